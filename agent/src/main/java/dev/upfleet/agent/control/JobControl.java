package dev.upfleet.agent.control;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What the control socket can ask of the engine: Upstart 1.13's D-Bus methods, one per {@code initctl} command.
 * Every call returns at once; the stage completes when Upstart's reply would be sent (for waiting commands, when the
 * job has settled). A refused request completes exceptionally with {@link ControlException}, whose message is
 * Upstart's text ({@code Unknown job: foo}); the CLI prints it as {@code initctl: MESSAGE}.
 *
 * <p>Thread-safe: implementations post each call to the engine's owner thread.
 */
public interface JobControl {

    /** Returns the status of the instance once started (or at once with {@code wait} false). */
    CompletionStage<InstanceStatus> start(JobRef ref, List<String> env, boolean wait);

    /** Returns the status after stopping; the instance is gone by then, so its name is empty ({@code svc stop/waiting}). */
    CompletionStage<InstanceStatus> stop(JobRef ref, List<String> env, boolean wait);

    CompletionStage<InstanceStatus> restart(JobRef ref, List<String> env, boolean wait);

    CompletionStage<Void> reload(JobRef ref, List<String> env);

    /** One instance's status; {@code JOB stop/waiting} when no KEY=VALUE was given and there is no such instance. */
    CompletionStage<InstanceStatus> status(JobRef ref, List<String> env);

    /** Every instance of every class, and {@code JOB stop/waiting} for classes without one, in Upstart's order (§8.4). */
    CompletionStage<List<InstanceStatus>> list();

    CompletionStage<Void> emit(String name, List<String> env, boolean wait);

    /** The loaded classes (or the one named), in list order. */
    CompletionStage<List<ClassInfo>> classes(Optional<String> job);

    CompletionStage<Void> reloadConfiguration();

    /** Returns the priority in force after the call; {@code set} empty only reads it. */
    CompletionStage<String> logPriority(Optional<String> set);

    CompletionStage<List<String>> listEnv(EnvScope scope);

    CompletionStage<String> getEnv(EnvScope scope, String name);

    CompletionStage<Void> setEnv(EnvScope scope, List<String> assignments, boolean retain);

    CompletionStage<Void> unsetEnv(EnvScope scope, List<String> names);

    CompletionStage<Void> resetEnv(EnvScope scope);

    /**
     * {@code initctl notify-disk-writeable}: writes the output of {@code console log} jobs held while the log
     * directory was not writable; fails with the reason when a log still cannot be written.
     */
    CompletionStage<Void> notifyDiskWriteable();

    /** Registers a listener for every event as it is emitted; close the returned handle to stop. */
    AutoCloseable monitor(EventListener listener);

    /**
     * Names a job, and optionally the exact instance: {@code initctl} run inside a job passes the caller's
     * {@code UPSTART_JOB}/{@code UPSTART_INSTANCE}; from outside, the instance is found by expanding the class's
     * {@code instance} stanza against the command's environment.
     */
    record JobRef(String job, Optional<String> instance) {
        public static JobRef byName(String job) {
            return new JobRef(job, Optional.empty());
        }
    }

    /** The job environment table a set-env family command acts on. */
    sealed interface EnvScope {
        record Global() implements EnvScope {}

        record Instance(String job, String instance) implements EnvScope {}
    }

    /** A process of an instance that is alive, in Upstart's reporting order (main, pre-start, post-start...). */
    record LiveProcess(String kind, long pid) {}

    /** What {@code initctl status} prints. {@code goal} is {@code start}/{@code stop}; state e.g. {@code running}. */
    record InstanceStatus(String job, String instance, String goal, String state, List<LiveProcess> processes) {
        public InstanceStatus {
            processes = List.copyOf(processes);
        }
    }

    /** A loaded job class as show-config and check-config need it: canonical expressions, emits, leaves. */
    record ClassInfo(String job, List<String> emits, Optional<String> startOn, Optional<String> stopOn,
                     List<Leaf> startOnLeaves, List<Leaf> stopOnLeaves, String usage) {}

    /** An event term of an expression: event name and stored arguments. */
    record Leaf(String name, List<String> args) {}

    /** An emitted event, as the event log and {@code initctl monitor} show it. */
    record EmittedEvent(long id, String node, String name, List<String> env) {}

    interface EventListener {
        void onEvent(EmittedEvent event);
    }
}
