package dev.upfleet.agent.engine;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.Signals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The job state machine: Upstart's {@code job_change_goal}, {@code job_change_state}, {@code job_process_terminated},
 * {@code job_failed} and {@code job_finished}. Runs on the engine thread only; every effect goes through the
 * {@link ProcessLauncher}, the {@link Scheduler} and the engine's event queue.
 */
final class JobMachine {
    private final Engine engine;

    JobMachine(Engine engine) {
        this.engine = engine;
    }

    /** A goal change moves the machine at once only from the two rest states (waiting, running). */
    void changeGoal(Job job, Goal goal) {
        if (job.goal == goal) {
            return;
        }
        if (engine.logs(LogPriority.INFO)) {
            engine.log(LogPriority.INFO, job.displayName() + " goal changed from " + job.goal.wireName() + " to " + goal.wireName());
        }
        job.goal = goal;
        if ((job.state == JobState.WAITING && goal == Goal.START) || (job.state == JobState.RUNNING && goal == Goal.STOP)) {
            changeState(job, next(job));
        }
    }

    private JobState next(Job job) {
        Transitions.Next next = Transitions.next(job.state, job.goal, job.alive(ProcessKind.MAIN));
        if (next.state() == JobState.SECURITY && securityCommand(job) == null) {
            // Without a profile to load, Upstart passes through security in the same main-loop iteration: a state
            // nobody can see, skipped like the other transient ones.
            next = Transitions.next(JobState.SECURITY, next.goal(), false);
        }
        job.goal = next.goal();
        return next.state();
    }

    /** {@code PARSER -r -W PROFILE} when the job loads an AppArmor profile and AppArmor is enabled; else null. */
    private Command securityCommand(Job job) {
        var profile = job.definition.apparmorLoad();
        if (profile.isEmpty()) {
            return null;
        }
        return engine.launcher().appArmorParser()
                .map(parser -> (Command) new Command.Exec(parser + " -r -W " + profile.get()))
                .orElse(null);
    }

    /** Enters {@code target} and keeps going while each state's entry action completes at once. */
    void changeState(Job job, JobState target) {
        JobState state = target;
        while (job.state != state) {
            JobState old = job.state;
            job.state = state;
            engine.changed(job);
            if (engine.logs(LogPriority.INFO)) {
                engine.log(LogPriority.INFO, job.displayName() + " state changed from " + old.wireName() + " to " + state.wireName());
            }
            engine.observer().stateChanged(job.definition.name(), job.name, old, state);
            switch (state) {
                case STARTING -> {
                    if (job.startEnv != null) {
                        job.env = job.startEnv;
                        job.startEnv = null;
                    }
                    job.stopEnv = null;
                    job.failed = false;
                    job.failedProcess = null;
                    job.failedStatus = null;
                    block(job, emitJobEvent(job, "starting", false));
                }
                case SECURITY -> {
                    // The parser's exit status is ignored (Upstart 1.13 disabled that failure, LP: #1058356); a
                    // parser that cannot be spawned fails the job as a pre-start would.
                    Command load = securityCommand(job);
                    if (load == null) {
                        state = next(job);
                    } else if (!run(job, ProcessKind.SECURITY, load)) {
                        failed(job, ProcessKind.SECURITY, null);
                        changeGoal(job, Goal.STOP);
                        state = next(job);
                    }
                }
                case PRE_START, POST_STOP -> {
                    ProcessKind kind = state == JobState.PRE_START ? ProcessKind.PRE_START : ProcessKind.POST_STOP;
                    if (!job.definition.processes().containsKey(kind)) {
                        state = next(job);
                    } else if (!run(job, kind)) {
                        failed(job, kind, null);
                        changeGoal(job, Goal.STOP);
                        state = next(job);
                    }
                }
                case SPAWNED -> {
                    if (!job.definition.hasMain()) {
                        state = next(job);
                    } else if (!run(job, ProcessKind.MAIN)) {
                        failed(job, ProcessKind.MAIN, null);
                        changeGoal(job, Goal.STOP);
                        state = next(job);
                    } else if (job.definition.expect() != Expect.NONE) {
                        job.awaitingReady = true;
                    } else {
                        state = next(job);
                    }
                }
                case POST_START, PRE_STOP -> {
                    ProcessKind kind = state == JobState.POST_START ? ProcessKind.POST_START : ProcessKind.PRE_STOP;
                    // A hook that cannot be spawned is ignored, as is its exit status.
                    if (!job.definition.processes().containsKey(kind) || !run(job, kind)) {
                        state = next(job);
                    }
                }
                case RUNNING -> {
                    if (old == JobState.PRE_STOP) {
                        job.stopEnv = null;
                        finished(job, false);
                    } else {
                        emitJobEvent(job, "started", false);
                        if (!job.definition.task()) {
                            finished(job, false);
                        }
                    }
                }
                case STOPPING -> block(job, emitJobEvent(job, "stopping", true));
                case KILLED -> {
                    if (job.alive(ProcessKind.MAIN)) {
                        kill(job);
                    } else {
                        state = next(job);
                    }
                }
                case WAITING -> {
                    emitJobEvent(job, "stopped", true);
                    finished(job, false);
                    engine.instanceGone(job);
                    return;
                }
            }
        }
    }

    private void block(Job job, EventRecord event) {
        job.blocker = event;
        event.blockedJobs.add(job);
    }

    /** The starting or stopping event this job waited for has finished. */
    void blockerFinished(Job job) {
        job.blocker = null;
        changeState(job, next(job));
    }

    private boolean run(Job job, ProcessKind kind) {
        return run(job, kind, job.definition.processes().get(kind));
    }

    private boolean run(Job job, ProcessKind kind, Command command) {
        List<String> env = new ArrayList<>(job.env);
        if ((kind == ProcessKind.PRE_STOP || kind == ProcessKind.POST_STOP) && job.stopEnv != null) {
            Environ.appendAll(env, job.stopEnv);
        }
        Environ.set(env, "UPSTART_JOB=" + job.definition.name());
        Environ.set(env, "UPSTART_INSTANCE=" + job.name);
        engine.addProcessEnv(env);
        try {
            long pid = engine.launcher().spawn(new SpawnRequest(job.definition, job.name, kind, command, env));
            job.pids.put(kind, pid);
            engine.changed(job);
            engine.registerPid(pid, job);
            engine.observer().processSpawned(job.definition.name(), kind, pid);
            if (job.definition.debug()) {
                // The launcher stops it before exec; a debugger continues it.
                engine.log(LogPriority.INFO, "Pausing " + job.definition.name() + " (" + pid + ") [pre-exec] for debug");
            }
            if (engine.logs(LogPriority.INFO)) {
                engine.log(LogPriority.INFO, job.displayName() + " " + kind.wireName() + " process (" + pid + ")");
            }
            return true;
        } catch (SpawnException e) {
            engine.log(LogPriority.WARN, "Failed to spawn " + job.displayName() + " " + kind.wireName() + " process: " + e.getMessage());
            return false;
        }
    }

    private void kill(Job job) {
        long pid = job.pids.get(ProcessKind.MAIN);
        JobClass def = job.definition;
        if (engine.logs(LogPriority.INFO)) {
            engine.log(LogPriority.INFO, "Sending " + Signals.toName(def.killSignal()) + " signal to " + job.displayName() + " main process (" + pid + ")");
        }
        engine.launcher().signal(pid, def.killSignal(), true);
        job.killTimer = engine.scheduler().schedule(Duration.ofSeconds(def.killTimeout()), () -> {
            job.killTimer = null;
            Long alive = job.pids.get(ProcessKind.MAIN);
            if (alive != null && alive == pid) {
                engine.log(LogPriority.INFO, "Sending KILL signal to " + job.displayName() + " main process (" + pid + ")");
                engine.launcher().signal(pid, Signals.KILL, true);
            }
        });
    }

    /** Marks the job failed (only the first failure counts) and releases what it holds, as failed. */
    void failed(Job job, ProcessKind kind, Integer status) {
        if (job.failed) {
            return;
        }
        job.failed = true;
        job.failedProcess = kind;
        job.failedStatus = status;
        engine.observer().failed(job.definition.name(), kind);
        finished(job, true);
    }

    /** Releases every event and command the job holds. */
    void finished(Job job, boolean failed) {
        if (job.blocking.isEmpty()) {
            return;
        }
        List<Blocked> held = new ArrayList<>(job.blocking);
        job.blocking.clear();
        for (Blocked b : held) {
            b.release(failed);
        }
    }

    /** An expect stop main process stopped itself: it is ready. */
    void mainStopped(Job job) {
        if (job.state == JobState.SPAWNED && job.awaitingReady && job.definition.expect() == Expect.STOP) {
            job.awaitingReady = false;
            engine.launcher().signal(job.pids.get(ProcessKind.MAIN), Signals.CONT, false);
            changeState(job, next(job));
        }
    }

    /** An expect fork/daemon main process has forked: follow the daemon. */
    void mainResolved(Job job, long spawnedPid, long mainPid) {
        Long current = job.pids.get(ProcessKind.MAIN);
        if (current == null || current != spawnedPid) {
            return;
        }
        job.pids.put(ProcessKind.MAIN, mainPid);
        engine.changed(job);
        engine.unregisterPid(spawnedPid);
        engine.registerPid(mainPid, job);
        if (job.state == JobState.SPAWNED && job.awaitingReady) {
            job.awaitingReady = false;
            changeState(job, next(job));
        }
    }

    /** Upstart's {@code job_process_terminated}. */
    void processExited(Job job, ProcessKind kind, ExitStatus status) {
        boolean fail = false;
        boolean stop = false;
        boolean advance = true;
        logExit(job, kind, status);
        switch (kind) {
            case MAIN -> {
                job.awaitingReady = false;
                if ((job.state == JobState.POST_START && job.alive(ProcessKind.POST_START))
                        || (job.state == JobState.PRE_STOP && job.alive(ProcessKind.PRE_STOP))) {
                    advance = false;
                }
                if (job.state == JobState.KILLED) {
                    break;
                }
                if (job.state == JobState.STOPPING) {
                    advance = false;
                    break;
                }
                int encoded = status.encoded();
                if (job.goal != Goal.STOP && (encoded != 0 || (job.definition.respawn() && !job.definition.task()))) {
                    fail = !job.definition.isNormalExit(encoded);
                    if (fail && job.definition.respawn()) {
                        fail = false;
                        if (runaway(job)) {
                            engine.log(LogPriority.WARN, job.displayName() + " respawning too fast, stopped");
                            failed(job, null, null);
                        } else {
                            engine.log(LogPriority.WARN, job.displayName() + " " + kind.wireName() + " process ended, respawning");
                            engine.observer().respawned(job.definition.name());
                            if (!advance) {
                                job.goal = Goal.RESPAWN;
                            }
                            break;
                        }
                    }
                }
                stop = true;
            }
            case PRE_START, POST_STOP -> {
                if (status.encoded() != 0) {
                    fail = true;
                    stop = true;
                }
            }
            case POST_START, PRE_STOP, SECURITY -> {
            }
        }
        if (job.killTimer != null) {
            job.killTimer.cancel();
            job.killTimer = null;
        }
        job.pids.remove(kind);
        engine.changed(job);
        if (fail) {
            failed(job, kind, status.known() ? status.encoded() : null);
        }
        if (stop) {
            if (job.state == JobState.RUNNING) {
                advance = false;
            }
            changeGoal(job, Goal.STOP);
        }
        if (advance && isWaitingOnProcess(job, kind)) {
            changeState(job, next(job));
        }
    }

    /**
     * Whether the machine was parked on this process: the state advances on an exit only while it waits for that
     * process (or, for the main process, in the states where its death moves the job on).
     */
    private static boolean isWaitingOnProcess(Job job, ProcessKind kind) {
        return switch (kind) {
            case MAIN -> switch (job.state) {
                case SPAWNED, POST_START, RUNNING, PRE_STOP, KILLED -> true;
                default -> false;
            };
            case PRE_START -> job.state == JobState.PRE_START;
            case POST_START -> job.state == JobState.POST_START;
            case PRE_STOP -> job.state == JobState.PRE_STOP;
            case POST_STOP -> job.state == JobState.POST_STOP;
            case SECURITY -> job.state == JobState.SECURITY;
        };
    }

    /** Upstart's {@code job_process_catch_runaway}: whole-second windows of the monotonic clock. */
    private boolean runaway(Job job) {
        var limit = job.definition.respawnLimit();
        if (limit.unlimited()) {
            return false;
        }
        long now = engine.monotonicSeconds();
        if (job.respawnWindowStart != Long.MIN_VALUE && now - job.respawnWindowStart < limit.interval()) {
            job.respawnCount++;
            return job.respawnCount > limit.count();
        }
        job.respawnWindowStart = now;
        job.respawnCount = 1;
        return false;
    }

    private void logExit(Job job, ProcessKind kind, ExitStatus status) {
        long pid = job.pids.getOrDefault(kind, -1L);
        boolean normal = job.definition.isNormalExit(status.encoded());
        if (status.signaled()) {
            engine.log(normal ? LogPriority.INFO : LogPriority.WARN, job.displayName() + " " + kind.wireName()
                    + " process (" + pid + ") killed by " + Signals.toName(status.value()) + " signal");
        } else if (status.value() != 0) {
            engine.log(normal ? LogPriority.INFO : LogPriority.WARN, job.displayName() + " " + kind.wireName()
                    + " process (" + pid + ") terminated with status " + status.value());
        } else if (engine.logs(LogPriority.INFO)) {
            engine.log(LogPriority.INFO, job.displayName() + " " + kind.wireName() + " process (" + pid + ") exited normally");
        }
    }

    /** Emits a job event with Upstart's environment (§5.3) plus exported variables. */
    private EventRecord emitJobEvent(Job job, String name, boolean withResult) {
        List<String> env = new ArrayList<>();
        env.add("JOB=" + job.definition.name());
        env.add("INSTANCE=" + job.name);
        if (withResult) {
            if (job.failed) {
                env.add("RESULT=failed");
                env.add("PROCESS=" + (job.failedProcess == null ? "respawn" : job.failedProcess.wireName()));
                if (job.failedProcess != null && job.failedStatus != null) {
                    int s = job.failedStatus;
                    env.add((s & ~0xff) != 0 ? "EXIT_SIGNAL=" + Signals.toName(s >> 8) : "EXIT_STATUS=" + s);
                }
            } else {
                env.add("RESULT=ok");
            }
        }
        for (String key : job.definition.export()) {
            String value = Environ.get(job.env, key);
            if (value != null && Environ.get(env, key) == null) {
                env.add(key + "=" + value);
            }
        }
        return engine.emit(name, env, engine.node());
    }
}
