package dev.upfleet.agent.engine;

import dev.upfleet.agent.control.ControlException;
import dev.upfleet.agent.control.JobControl.EnvScope;
import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.JobRef;
import dev.upfleet.agent.control.JobControl.LiveProcess;
import dev.upfleet.core.event.Expander;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The control commands as Upstart's D-Bus methods implement them ({@code job_class_start}, {@code job_stop}...),
 * on the engine thread. Each completes its future when Upstart would reply; refusals complete it with a
 * {@link ControlException} carrying Upstart's message.
 */
final class EngineCommands {
    private final Engine engine;

    EngineCommands(Engine engine) {
        this.engine = engine;
    }

    void start(JobRef ref, List<String> env, boolean wait, CompletableFuture<InstanceStatus> reply) {
        ClassEntry entry = requireClass(ref.job());
        requireValidEnv(env);
        JobClass def = entry.definition;
        if (ref.instance().isPresent()) {
            // The calling instance (initctl start without a job name inside a job): Upstart's Instance.Start has no
            // environment of its own and drops any pending one, so the instance keeps the environment it has.
            Job job = requireInstance(entry, ref.instance().get());
            requireNotStarted(job);
            job.startEnv = null;
            holdReply(job, wait, reply, "Job failed to start");
            engine.machine().changeGoal(job, Goal.START);
            replyNowUnlessWaiting(job, wait, reply);
            return;
        }
        List<String> startEnv = engine.classEnvironment(def);
        Environ.appendAll(startEnv, env);
        String name = expandInstance(def, startEnv, true);
        Job job = entry.instances.get(name);
        if (job != null) {
            requireNotStarted(job);
        } else {
            job = engine.newInstance(entry, name);
        }
        job.startEnv = startEnv;
        holdReply(job, wait, reply, "Job failed to start");
        engine.machine().changeGoal(job, Goal.START);
        replyNowUnlessWaiting(job, wait, reply);
    }

    private static void requireNotStarted(Job job) {
        if (job.goal == Goal.START) {
            throw new ControlException("Job is already running: " + job.displayName());
        }
    }

    /**
     * Supersedes what the job held (replying success to it) and, for a waiting command, makes the job hold this
     * command's reply until it settles: the instance's status once that input is processed, or {@code failure} if
     * it failed.
     */
    private void holdReply(Job job, boolean wait, CompletableFuture<InstanceStatus> reply, String failure) {
        engine.machine().finished(job, false);
        if (wait) {
            job.blocking.add(new Blocked.OnCommand(failed -> {
                if (failed) {
                    reply.completeExceptionally(new ControlException(failure));
                } else {
                    // The status as initctl would read it after the reply: once this input is fully processed.
                    engine.afterPoll(() -> reply.complete(statusAfter(job)));
                }
            }));
        }
    }

    /**
     * A command that does not wait is answered at once, but initctl reads the status it prints with a separate call
     * after that reply, when the daemon has processed what the goal change set off (a job without processes is
     * already running, or gone): the status once this input is fully processed, as for a waiting reply.
     */
    private void replyNowUnlessWaiting(Job job, boolean wait, CompletableFuture<InstanceStatus> reply) {
        if (!wait) {
            engine.afterPoll(() -> reply.complete(statusAfter(job)));
        }
    }

    void stop(JobRef ref, List<String> env, boolean wait, CompletableFuture<InstanceStatus> reply) {
        ClassEntry entry = requireClass(ref.job());
        requireValidEnv(env);
        Job job = selectExisting(entry, ref, env);
        if (job.goal == Goal.STOP) {
            throw new ControlException("Job has already been stopped: " + job.displayName());
        }
        // Upstart's Job.Stop sets the stop environment to the given pairs (possibly none); Instance.Stop (the calling
        // instance, inside a job) drops it.
        job.stopEnv = ref.instance().isPresent() ? null : new ArrayList<>(env);
        holdReply(job, wait, reply, "Job failed while stopping");
        engine.machine().changeGoal(job, Goal.STOP);
        replyNowUnlessWaiting(job, wait, reply);
    }

    void restart(JobRef ref, List<String> env, boolean wait, CompletableFuture<InstanceStatus> reply) {
        ClassEntry entry = requireClass(ref.job());
        requireValidEnv(env);
        Job job = selectExisting(entry, ref, env);
        if (job.goal == Goal.STOP) {
            // Job.Restart names only the instance here (quirk §14.16); Instance.Restart (the calling instance) the job.
            throw new ControlException("Job has already been stopped: "
                    + (ref.instance().isPresent() ? job.displayName() : job.name));
        }
        if (ref.instance().isPresent()) {
            // Instance.Restart (the calling instance): no new environment, the instance keeps its own.
            job.startEnv = null;
        } else {
            List<String> startEnv = engine.classEnvironment(job.definition);
            Environ.appendAll(startEnv, env);
            job.startEnv = startEnv;
        }
        job.stopEnv = null;
        holdReply(job, wait, reply, "Job failed to restart");
        engine.machine().changeGoal(job, Goal.STOP);
        engine.machine().changeGoal(job, Goal.START);
        replyNowUnlessWaiting(job, wait, reply);
    }

    void reload(JobRef ref, List<String> env) {
        ClassEntry entry = requireClass(ref.job());
        requireValidEnv(env);
        Job job = selectExisting(entry, ref, env);
        Long pid = job.pids.get(ProcessKind.MAIN);
        if (pid == null) {
            throw new ControlException("Job is not running: " + job.displayName());
        }
        engine.launcher().signal(pid, job.definition.reloadSignal(), false);
    }

    InstanceStatus status(JobRef ref, List<String> env) {
        ClassEntry entry = requireClass(ref.job());
        requireValidEnv(env);
        if (ref.instance().isPresent()) {
            return status(requireInstance(entry, ref.instance().get()));
        }
        String name = expandInstance(entry.definition, withClassEnv(entry, env), true);
        Job job = entry.instances.get(name);
        if (job != null) {
            return status(job);
        }
        if (env.isEmpty()) {
            // initctl status falls back to "JOB stop/waiting" whenever no KEY=VALUE was given and the instance is
            // unknown, whatever the instance stanza (an unexpandable one has failed above).
            return waiting(entry.name());
        }
        throw new ControlException("Unknown instance: " + name);
    }

    List<InstanceStatus> list() {
        List<InstanceStatus> out = new ArrayList<>();
        for (ClassEntry entry : engine.orderedClasses()) {
            if (entry.instances.isEmpty()) {
                out.add(waiting(entry.name()));
            } else {
                for (Job job : engine.orderedInstances(entry)) {
                    out.add(status(job));
                }
            }
        }
        return out;
    }

    void emit(String name, List<String> env, boolean wait, CompletableFuture<Void> reply) {
        if (name.isEmpty()) {
            throw new ControlException("Name may not be empty string");
        }
        requireValidEnv(env);
        engine.emitEvent(name, env, wait ? failed -> {
            if (failed) {
                reply.completeExceptionally(new ControlException("Event failed"));
            } else {
                reply.complete(null);
            }
        } : null);
        if (!wait) {
            reply.complete(null);
        }
    }

    // ---- job environment table ---------------------------------------------------------------------------------

    List<String> listEnv(EnvScope scope) {
        List<String> env = new ArrayList<>(table(scope));
        env.sort(null);
        return env;
    }

    String getEnv(EnvScope scope, String name) {
        requireVariableName(name);
        String value = Environ.get(table(scope), name);
        if (value == null) {
            throw new ControlException("No such variable: " + name);
        }
        return value;
    }

    void setEnv(EnvScope scope, List<String> assignments, boolean retain) {
        for (String assignment : assignments) {
            String key = Environ.key(assignment);
            requireVariableName(key);
            String entry = assignment.indexOf('=') < 0 ? assignment + "=" : assignment;
            for (List<String> table : tablesFor(scope)) {
                if (!(retain && Environ.get(table, key) != null)) {
                    Environ.set(table, entry);
                }
            }
        }
    }

    void unsetEnv(EnvScope scope, List<String> names) {
        for (String name : names) {
            requireVariableName(name);
            if (Environ.get(table(scope), name) == null) {
                throw new ControlException("No such variable: " + name);
            }
            for (List<String> table : tablesFor(scope)) {
                Environ.remove(table, name);
            }
        }
    }

    void resetEnv(EnvScope scope) {
        switch (scope) {
            case EnvScope.Global g -> {
                engine.globalEnv().clear();
                engine.globalEnv().addAll(engine.config().initialEnv());
            }
            case EnvScope.Instance i -> {
                Job job = requireInstance(requireClass(i.job()), i.instance());
                job.env = engine.classEnvironment(job.definition);
            }
        }
    }

    private List<String> table(EnvScope scope) {
        return switch (scope) {
            case EnvScope.Global g -> engine.globalEnv();
            case EnvScope.Instance i -> requireInstance(requireClass(i.job()), i.instance()).env;
        };
    }

    /** A global change also reaches every running instance's environment (§8.7). */
    private List<List<String>> tablesFor(EnvScope scope) {
        List<List<String>> tables = new ArrayList<>();
        tables.add(table(scope));
        if (scope instanceof EnvScope.Global) {
            for (Job job : engine.allInstances()) {
                tables.add(job.env);
            }
        }
        return tables;
    }

    private static void requireVariableName(String name) {
        if (name.isEmpty()) {
            throw new ControlException("Variable may not be empty string");
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private ClassEntry requireClass(String name) {
        ClassEntry entry = engine.classEntry(name);
        if (entry == null) {
            throw new ControlException("Unknown job: " + name);
        }
        return entry;
    }

    private static Job requireInstance(ClassEntry entry, String name) {
        Job job = entry.instances.get(name);
        if (job == null) {
            throw new ControlException("Unknown instance: " + name);
        }
        return job;
    }

    private Job selectExisting(ClassEntry entry, JobRef ref, List<String> env) {
        if (ref.instance().isPresent()) {
            return requireInstance(entry, ref.instance().get());
        }
        return requireInstance(entry, expandInstance(entry.definition, withClassEnv(entry, env), false));
    }

    private List<String> withClassEnv(ClassEntry entry, List<String> env) {
        List<String> full = engine.classEnvironment(entry.definition);
        Environ.appendAll(full, env);
        return full;
    }

    private static String expandInstance(JobClass def, List<String> env, boolean withUsage) {
        return switch (Engine.expandInstance(def, env)) {
            case Expander.Result.Expanded ok -> ok.value();
            case Expander.Result.Failed failed -> {
                String usage = withUsage ? def.usage().map(u -> "\nUsage: " + u).orElse("") : "";
                throw new ControlException(failed.message() + usage);
            }
        };
    }

    private static void requireValidEnv(List<String> env) {
        if (!Environ.allValid(env)) {
            throw new ControlException("Env must be KEY=VALUE pairs");
        }
    }

    /**
     * The instance's status, or {@code JOB stop/waiting} once it has reached waiting (a finished task, a stopped
     * service): the instance is destroyed there, so Upstart's initctl finds no instance and prints the class name
     * alone, without {@code (INSTANCE)} (§8.2, §14.8). A waiting reply is released just before the destruction.
     */
    private static InstanceStatus statusAfter(Job job) {
        if (job.state == JobState.WAITING || job.owner.instances.get(job.name) != job) {
            return waiting(job.definition.name());
        }
        return status(job);
    }

    static InstanceStatus waiting(String job) {
        return new InstanceStatus(job, "", "stop", "waiting", List.of());
    }

    static InstanceStatus status(Job job) {
        List<LiveProcess> live = new ArrayList<>();
        for (ProcessKind kind : ProcessKind.values()) {
            Long pid = job.pids.get(kind);
            if (pid != null) {
                live.add(new LiveProcess(kind.wireName(), pid));
            }
        }
        // Upstart's job_goal_name: the transient respawn goal shows as such (respawn/post-start).
        String goal = job.goal.wireName();
        return new InstanceStatus(job.definition.name(), job.name, goal, job.state.wireName(), live);
    }

    Optional<JobClass> definition(String name) {
        return engine.definition(name);
    }
}
