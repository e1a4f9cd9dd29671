package dev.upfleet.agent.engine;

import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of a job class (Upstart's {@code Job}). Keeps the definition it was created with, so a class replaced
 * on disk does not change running instances. Confined to the engine thread; mutated only by {@link JobMachine}.
 */
final class Job {
    final ClassEntry owner;
    final JobClass definition;
    final String name;

    Goal goal = Goal.STOP;
    JobState state = JobState.WAITING;
    /** The environment the instance runs with (adopted from {@link #startEnv} on entering starting). */
    List<String> env = new ArrayList<>();
    /** The environment of the pending start, or null when a respawn keeps {@link #env}. */
    List<String> startEnv;
    /** Variables for pre-stop and post-stop: the stop command's, or the stopping events' plus UPSTART_STOP_EVENTS. */
    List<String> stopEnv;
    /** This instance's own copy of the class's stop on, expanded against its environment; null when none. */
    final ExprState stopOn;

    final Map<ProcessKind, Long> pids = new EnumMap<>(ProcessKind.class);
    /** The starting/stopping event the state machine waits for, or null. */
    EventRecord blocker;
    /** Events and commands this instance holds until it settles. */
    final List<Blocked> blocking = new ArrayList<>();

    Scheduler.Cancellable killTimer;
    /** Set while an expect stop/fork/daemon main process has not yet signalled readiness. */
    boolean awaitingReady;

    boolean failed;
    /** The failed process, or null for {@code PROCESS=respawn} (the respawn limit was hit). */
    ProcessKind failedProcess;
    /** Upstart's encoded exit status of the failure; null when the process could not be spawned. */
    Integer failedStatus;

    long respawnWindowStart = Long.MIN_VALUE;
    int respawnCount;

    Job(ClassEntry owner, JobClass definition, String name) {
        this.owner = owner;
        this.definition = definition;
        this.name = name;
        this.stopOn = definition.stopOn().map(ExprState::new).orElse(null);
    }

    /** {@code svc} or {@code svc (inst)}: how Upstart names an instance in messages. */
    String displayName() {
        return name.isEmpty() ? definition.name() : definition.name() + " (" + name + ")";
    }

    boolean alive(ProcessKind kind) {
        return pids.containsKey(kind);
    }

    ProcessKind kindOf(long pid) {
        for (Map.Entry<ProcessKind, Long> e : pids.entrySet()) {
            if (e.getValue() == pid) {
                return e.getKey();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return displayName() + " " + goal.wireName() + "/" + state.wireName();
    }
}
