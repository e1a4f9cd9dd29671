package dev.upfleet.agent.control;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A complete in-memory {@link JobControl} with Upstart's refusal texts, for tests of the control socket and initctl.
 * Every call is recorded as a readable line in {@link #calls()} ({@code start svc [A=B] wait}). Jobs are added with
 * {@link #job}; an instance job takes its instance name from one variable of the command environment.
 *
 * <p>Special names make failures: a job named {@code boom} throws from the call itself, {@code late-boom} fails the
 * stage with a non-control exception, and emitting {@code fail} answers {@code Event failed}.
 */
public final class FakeJobControl implements JobControl {
    private record Job(ClassInfo info, String instanceVar, Map<String, InstanceStatus> instances) {}

    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Map<String, String>> envTables = new TreeMap<>();
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();
    private String logPriority = "message";
    private long nextPid = 1000;
    private long nextEvent = 1;

    /** Adds a job; {@code instanceVar} null for a single-instance job. */
    public synchronized FakeJobControl job(String name, String instanceVar) {
        return job(new ClassInfo(name, List.of(), Optional.empty(), Optional.empty(), List.of(), List.of(), ""),
                instanceVar);
    }

    public synchronized FakeJobControl job(ClassInfo info, String instanceVar) {
        jobs.put(info.job(), new Job(info, instanceVar, new LinkedHashMap<>()));
        return this;
    }

    /** Puts an instance in place as if it had got there on its own. */
    public synchronized FakeJobControl instance(InstanceStatus status) {
        jobs.get(status.job()).instances().put(status.instance(), status);
        return this;
    }

    public List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public int monitorCount() {
        return listeners.size();
    }

    /** Delivers an event to every monitor, as the engine's emit would. */
    public synchronized void publish(String name, List<String> env) {
        EmittedEvent e = new EmittedEvent(nextEvent++, "local", name, List.copyOf(env));
        listeners.forEach(l -> l.onEvent(e));
    }

    @Override
    public synchronized CompletionStage<InstanceStatus> start(JobRef ref, List<String> env, boolean wait) {
        record("start", ref, env, wait);
        Job job = job(ref);
        String inst = instanceName(job, ref, env);
        InstanceStatus old = job.instances().get(inst);
        if (old != null && old.goal().equals("start")) {
            return failed("Job is already running: " + label(ref.job(), inst));
        }
        InstanceStatus s = new InstanceStatus(ref.job(), inst, "start", wait ? "running" : "starting",
                wait ? List.of(new LiveProcess("main", nextPid++)) : List.of());
        job.instances().put(inst, s);
        return done(s);
    }

    @Override
    public synchronized CompletionStage<InstanceStatus> stop(JobRef ref, List<String> env, boolean wait) {
        record("stop", ref, env, wait);
        Job job = job(ref);
        String inst = instanceName(job, ref, env);
        InstanceStatus old = job.instances().get(inst);
        if (old == null) {
            return failed("Unknown instance: " + inst);
        }
        if (old.goal().equals("stop")) {
            return failed("Job has already been stopped: " + label(ref.job(), inst));
        }
        if (wait) {
            job.instances().remove(inst);
            return done(new InstanceStatus(ref.job(), "", "stop", "waiting", List.of()));
        }
        InstanceStatus s = new InstanceStatus(ref.job(), inst, "stop", "stopping", old.processes());
        job.instances().put(inst, s);
        return done(s);
    }

    @Override
    public synchronized CompletionStage<InstanceStatus> restart(JobRef ref, List<String> env, boolean wait) {
        record("restart", ref, env, wait);
        Job job = job(ref);
        String inst = instanceName(job, ref, env);
        InstanceStatus old = job.instances().get(inst);
        if (old == null) {
            return failed("Unknown instance: " + inst);
        }
        if (old.goal().equals("stop")) {
            return failed("Job has already been stopped: " + inst);
        }
        InstanceStatus s = new InstanceStatus(ref.job(), inst, "start", "running",
                List.of(new LiveProcess("main", nextPid++)));
        job.instances().put(inst, s);
        return done(s);
    }

    @Override
    public synchronized CompletionStage<Void> reload(JobRef ref, List<String> env) {
        record("reload", ref, env, false);
        Job job = job(ref);
        String inst = instanceName(job, ref, env);
        InstanceStatus s = job.instances().get(inst);
        if (s == null) {
            return failed("Unknown instance: " + inst);
        }
        if (s.processes().stream().noneMatch(p -> p.kind().equals("main"))) {
            return failed("Job is not running: " + label(ref.job(), inst));
        }
        return done(null);
    }

    @Override
    public synchronized CompletionStage<InstanceStatus> status(JobRef ref, List<String> env) {
        record("status", ref, env, false);
        if (ref.job().equals("late-boom")) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("late"));
        }
        Job job = job(ref);
        String inst = instanceName(job, ref, env);
        InstanceStatus s = job.instances().get(inst);
        if (s != null) {
            return done(s);
        }
        if (env.isEmpty() && ref.instance().isEmpty() && job.instanceVar() == null) {
            return done(new InstanceStatus(ref.job(), "", "stop", "waiting", List.of()));
        }
        return failed("Unknown instance: " + inst);
    }

    @Override
    public synchronized CompletionStage<List<InstanceStatus>> list() {
        calls.add("list");
        List<InstanceStatus> out = new ArrayList<>();
        for (Job job : jobs.values()) {
            if (job.instances().isEmpty()) {
                out.add(new InstanceStatus(job.info().job(), "", "stop", "waiting", List.of()));
            }
            out.addAll(job.instances().values());
        }
        return done(out);
    }

    @Override
    public synchronized CompletionStage<Void> emit(String name, List<String> env, boolean wait) {
        calls.add(line("emit " + name, env) + (wait ? " wait" : " nowait"));
        publish(name, env);
        return name.equals("fail") ? failed("Event failed") : done(null);
    }

    @Override
    public synchronized CompletionStage<List<ClassInfo>> classes(Optional<String> job) {
        calls.add("classes" + job.map(j -> " " + j).orElse(""));
        if (job.isPresent()) {
            Job j = jobs.get(job.get());
            return j == null ? failed("Unknown job: " + job.get()) : done(List.of(j.info()));
        }
        return done(jobs.values().stream().map(Job::info).toList());
    }

    @Override
    public synchronized CompletionStage<Void> notifyDiskWriteable() {
        calls.add("notify-disk-writeable");
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Void> reloadConfiguration() {
        calls.add("reload-configuration");
        return done(null);
    }

    @Override
    public synchronized CompletionStage<String> logPriority(Optional<String> set) {
        calls.add("log-priority" + set.map(p -> " " + p).orElse(""));
        set.ifPresent(p -> logPriority = p);
        return done(logPriority);
    }

    @Override
    public synchronized CompletionStage<List<String>> listEnv(EnvScope scope) {
        calls.add("list-env " + scopeName(scope));
        return done(table(scope).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    @Override
    public synchronized CompletionStage<String> getEnv(EnvScope scope, String name) {
        calls.add("get-env " + scopeName(scope) + " " + name);
        String v = table(scope).get(name);
        return v == null ? failed("No such variable: " + name) : done(v);
    }

    @Override
    public synchronized CompletionStage<Void> setEnv(EnvScope scope, List<String> assignments, boolean retain) {
        calls.add(line("set-env " + scopeName(scope), assignments) + (retain ? " retain" : ""));
        for (String a : assignments) {
            int eq = a.indexOf('=');
            String k = eq < 0 ? a : a.substring(0, eq);
            String v = eq < 0 ? "" : a.substring(eq + 1);
            if (!retain || !table(scope).containsKey(k)) {
                table(scope).put(k, v);
            }
        }
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Void> unsetEnv(EnvScope scope, List<String> names) {
        calls.add(line("unset-env " + scopeName(scope), names));
        for (String n : names) {
            if (table(scope).remove(n) == null) {
                return failed("No such variable: " + n);
            }
        }
        return done(null);
    }

    @Override
    public synchronized CompletionStage<Void> resetEnv(EnvScope scope) {
        calls.add("reset-env " + scopeName(scope));
        table(scope).clear();
        return done(null);
    }

    @Override
    public AutoCloseable monitor(EventListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private Job job(JobRef ref) {
        if (ref.job().equals("boom")) {
            throw new IllegalStateException("boom");
        }
        Job job = jobs.get(ref.job());
        if (job == null) {
            throw new ControlException("Unknown job: " + ref.job());
        }
        return job;
    }

    private static String instanceName(Job job, JobRef ref, List<String> env) {
        if (ref.instance().isPresent()) {
            return ref.instance().get();
        }
        if (job.instanceVar() == null) {
            return "";
        }
        String prefix = job.instanceVar() + "=";
        return env.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length()))
                .findFirst().orElseThrow(() -> new ControlException("Unknown parameter: " + job.instanceVar()));
    }

    private Map<String, String> table(EnvScope scope) {
        return envTables.computeIfAbsent(scopeName(scope), k -> new TreeMap<>());
    }

    private static String scopeName(EnvScope scope) {
        return switch (scope) {
            case EnvScope.Global g -> "global";
            case EnvScope.Instance i -> i.job() + "(" + i.instance() + ")";
        };
    }

    private void record(String op, JobRef ref, List<String> env, boolean wait) {
        String target = ref.job() + ref.instance().map(i -> "(" + i + ")").orElse("");
        calls.add(line(op + " " + target, env) + (wait ? " wait" : ""));
    }

    private static String line(String head, List<String> args) {
        return args.isEmpty() ? head : head + " " + String.join(" ", args);
    }

    private static String label(String job, String inst) {
        return inst.isEmpty() ? job : job + " (" + inst + ")";
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static <T> CompletionStage<T> failed(String message) {
        return CompletableFuture.failedFuture(new ControlException(message));
    }
}
