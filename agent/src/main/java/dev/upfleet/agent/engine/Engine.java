package dev.upfleet.agent.engine;

import dev.upfleet.core.check.ListOrder;
import dev.upfleet.core.event.Event;
import dev.upfleet.core.event.EventMatcher;
import dev.upfleet.core.event.Expander;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The event engine of one node: job classes, their instances, and the event queue (Upstart's {@code event_poll}).
 * Not thread-safe: exactly one thread (see {@link EngineLoop}) calls it, and every input (commands, process exits,
 * timers, configuration changes) arrives as a call on that thread followed by {@link #poll()}.
 */
public final class Engine {
    private final EngineConfig config;
    private final ProcessLauncher launcher;
    private final Scheduler scheduler;
    private final EngineObserver observer;
    private final JobMachine machine = new JobMachine(this);
    private final TermMatcher matcher;

    /** Classes in load order; Upstart's hash order is derived from it. */
    private final Map<String, ClassEntry> classes = new LinkedHashMap<>();
    private List<ClassEntry> ordered;
    /**
     * Event name to the classes (in list order) whose start on, or whose instances' stop on, mention it; rebuilt
     * lazily after any class is added, dropped or has a definition installed. Classes not listed for an event cannot
     * react to it, so {@link #handle} visits only these: O(matching classes) per event instead of O(all classes).
     */
    private Map<String, List<ClassEntry>> byEvent;
    private final List<EventRecord> queue = new ArrayList<>();
    /** Run once the current {@link #poll()} has settled: the state a reply reports (see {@link #afterPoll}). */
    private final List<Runnable> afterPoll = new ArrayList<>();
    private final Map<Long, Job> jobsByPid = new HashMap<>();
    /** Instances changed since the last {@link #drainChanges()}, for the state directory. */
    private final java.util.Set<Job> changed = new java.util.LinkedHashSet<>();
    private final List<String> globalEnv;
    private long nextEventId = 1;
    private LogPriority logPriority;

    public Engine(EngineConfig config, ProcessLauncher launcher, Scheduler scheduler, EngineObserver observer) {
        this.config = config;
        this.launcher = launcher;
        this.scheduler = scheduler;
        this.observer = observer;
        this.matcher = (term, event, env) -> EventMatcher.matches(term, event, env, config.node());
        this.globalEnv = new ArrayList<>(config.initialEnv());
        this.logPriority = config.logPriority();
    }

    // ---- collaborators for JobMachine and the control adapter ---------------------------------------------------

    ProcessLauncher launcher() {
        return launcher;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    EngineObserver observer() {
        return observer;
    }

    JobMachine machine() {
        return machine;
    }

    String node() {
        return config.node();
    }

    EngineConfig config() {
        return config;
    }

    long monotonicSeconds() {
        return config.clock().millis() / 1000;
    }

    List<String> globalEnv() {
        return globalEnv;
    }

    LogPriority logPriority() {
        return logPriority;
    }

    void logPriority(LogPriority priority) {
        this.logPriority = priority;
    }

    void log(LogPriority priority, String message) {
        if (logs(priority)) {
            observer.log(priority, message);
        }
    }

    /** Whether messages of {@code priority} are logged: the hot paths build their info lines only when they are. */
    boolean logs(LogPriority priority) {
        return priority.compareTo(logPriority) >= 0;
    }

    void addProcessEnv(List<String> env) {
        for (String extra : config.processEnv()) {
            Environ.set(env, extra);
        }
    }

    void changed(Job job) {
        changed.add(job);
    }

    /** Snapshots of the instances that changed since the last call, destroyed ones marked gone. */
    public List<InstanceSnapshot> drainChanges() {
        if (changed.isEmpty()) {
            return List.of();
        }
        List<InstanceSnapshot> out = new ArrayList<>(changed.size());
        for (Job job : changed) {
            boolean gone = job.owner.instances.get(job.name) != job;
            out.add(new InstanceSnapshot(job.definition.name(), job.name, job.goal, job.state, job.env, job.pids, gone));
        }
        changed.clear();
        return out;
    }

    /**
     * Re-adopts an instance that a previous agent left running (state directory): it becomes a running instance of
     * the current definition, with the given live processes. Returns false when the class is unknown or the instance
     * already exists.
     */
    public boolean adopt(String job, String instance, List<String> env, Map<ProcessKind, Long> pids) {
        ClassEntry entry = classes.get(job);
        if (entry == null || entry.instances.containsKey(instance)) {
            return false;
        }
        Job adopted = newInstance(entry, instance);
        adopted.env = new ArrayList<>(env);
        adopted.goal = Goal.START;
        adopted.state = JobState.RUNNING;
        for (Map.Entry<ProcessKind, Long> e : pids.entrySet()) {
            adopted.pids.put(e.getKey(), e.getValue());
            registerPid(e.getValue(), adopted);
        }
        observer.stateChanged(job, instance, JobState.WAITING, JobState.RUNNING);
        changed(adopted);
        log(LogPriority.INFO, adopted.displayName() + " re-adopted in state running");
        return true;
    }

    /**
     * Starts an instance again whose previous agent died in the middle of a transition: its leftover processes have
     * been killed, and it goes through its start sequence with the environment it had.
     */
    public boolean resume(String job, String instance, List<String> env) {
        ClassEntry entry = classes.get(job);
        if (entry == null || entry.instances.containsKey(instance)) {
            return false;
        }
        Job resumed = newInstance(entry, instance);
        resumed.startEnv = new ArrayList<>(env);
        machine.changeGoal(resumed, Goal.START);
        return true;
    }

    void registerPid(long pid, Job job) {
        jobsByPid.put(pid, job);
    }

    void unregisterPid(long pid) {
        jobsByPid.remove(pid);
    }

    // ---- configuration ------------------------------------------------------------------------------------------

    /**
     * Loads or replaces a class. A class with live instances keeps serving them with their definition; the new one is
     * installed when the last of them has stopped (§1.4).
     */
    public void loadClass(JobClass definition) {
        ClassEntry entry = classes.get(definition.name());
        if (entry == null) {
            classes.put(definition.name(), new ClassEntry(definition));
            ordered = null;
            byEvent = null;
        } else if (entry.instances.isEmpty()) {
            entry.deleted = false;
            entry.replacement = null;
            entry.install(definition);
            byEvent = null;
        } else {
            entry.deleted = false;
            entry.replacement = definition;
        }
    }

    /** Removes a class whose file was deleted (or no longer parses); live instances finish first. */
    public void removeClass(String name) {
        ClassEntry entry = classes.get(name);
        if (entry == null) {
            return;
        }
        if (entry.instances.isEmpty()) {
            drop(entry);
        } else {
            entry.deleted = true;
            entry.replacement = null;
        }
    }

    private void drop(ClassEntry entry) {
        if (entry.startOn != null) {
            entry.startOn.reset();
        }
        classes.remove(entry.name());
        ordered = null;
        byEvent = null;
    }

    public boolean hasClass(String name) {
        return classes.containsKey(name);
    }

    /** The definition new instances of a class get. */
    public java.util.Optional<JobClass> definition(String name) {
        ClassEntry entry = classes.get(name);
        return entry == null ? java.util.Optional.empty() : java.util.Optional.of(entry.definition);
    }

    /** Class names in Upstart's list order. */
    public List<String> classNames() {
        return orderedClasses().stream().map(ClassEntry::name).toList();
    }

    List<ClassEntry> orderedClasses() {
        if (ordered == null) {
            List<String> names = ListOrder.order(new ArrayList<>(classes.keySet()));
            List<ClassEntry> list = new ArrayList<>(names.size());
            for (String n : names) {
                list.add(classes.get(n));
            }
            ordered = list;
        }
        return ordered;
    }

    private List<ClassEntry> classesFor(String eventName) {
        if (byEvent == null) {
            Map<String, List<ClassEntry>> index = new HashMap<>();
            for (ClassEntry entry : orderedClasses()) {
                for (String name : entry.eventNames) {
                    index.computeIfAbsent(name, k -> new ArrayList<>()).add(entry);
                }
            }
            byEvent = index;
        }
        return byEvent.getOrDefault(eventName, List.of());
    }

    ClassEntry classEntry(String name) {
        return classes.get(name);
    }

    /** The last instance of a job reached waiting: destroy it and let a pending definition take over. */
    void instanceGone(Job job) {
        ClassEntry entry = job.owner;
        entry.instances.remove(job.name);
        changed(job);
        if (job.stopOn != null) {
            job.stopOn.reset();
        }
        for (Long pid : job.pids.values()) {
            jobsByPid.remove(pid);
        }
        if (!entry.instances.isEmpty() || classes.get(entry.name()) != entry) {
            return;
        }
        if (entry.deleted) {
            drop(entry);
        } else if (entry.replacement != null) {
            JobClass next = entry.replacement;
            entry.replacement = null;
            entry.install(next);
            byEvent = null;
        }
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /** Queues an event; it is handled by the next {@link #poll()}. */
    EventRecord emit(String name, List<String> env, String node) {
        EventRecord record = new EventRecord(nextEventId++, new Event(name, env, node));
        queue.add(record);
        observer.eventEmitted(record.id, node, name, record.event.env());
        return record;
    }

    /** Queues a local event from outside (a command, the boot sequence); {@code onFinished} gets whether it failed. */
    public void emitEvent(String name, List<String> env, Consumer<Boolean> onFinished) {
        emitEvent(name, env, config.node(), onFinished);
    }

    /**
     * Queues an event that happened on {@code node}: another node's event relayed by the cluster matches only terms
     * that name {@code NODE=}, and a job it starts or stops gets {@code NODE=node} in its environment.
     */
    public void emitEvent(String name, List<String> env, String node, Consumer<Boolean> onFinished) {
        EventRecord record = emit(name, env, node);
        if (onFinished != null) {
            record.waiters.add(onFinished);
        }
    }

    /**
     * The names of events this node's jobs match on other nodes: every term with a {@code NODE} argument, in the
     * loaded classes' start on and stop on. The cluster relays such events of other nodes to this one.
     */
    public java.util.Set<String> clusterInterest() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (ClassEntry entry : classes.values()) {
            for (var expr : List.of(entry.definition.startOn(), entry.definition.stopOn())) {
                expr.ifPresent(e -> e.leaves().stream()
                        .filter(m -> m.args().stream().anyMatch(a -> a.startsWith("NODE=") || a.startsWith("NODE!=")))
                        .forEach(m -> names.add(m.name())));
            }
        }
        return names;
    }


    /**
     * Upstart's {@code event_poll}: handles pending events and finishes unblocked ones until nothing changes. Events
     * queued meanwhile are handled in the same pass, in emission order.
     */
    public void poll() {
        boolean again = true;
        while (again) {
            again = false;
            for (int i = 0; i < queue.size(); i++) {
                EventRecord event = queue.get(i);
                if (event.progress == EventRecord.Progress.PENDING) {
                    event.progress = EventRecord.Progress.HANDLING;
                    if (logs(LogPriority.INFO)) {
                        log(LogPriority.INFO, "Handling " + event.name() + " event");
                    }
                    handle(event);
                }
                if (event.progress == EventRecord.Progress.HANDLING && event.blockers == 0) {
                    event.progress = EventRecord.Progress.FINISHED;
                    finish(event);
                    again = true;
                }
            }
            queue.removeIf(e -> e.progress == EventRecord.Progress.FINISHED);
        }
        for (int i = 0; i < afterPoll.size(); i++) {
            afterPoll.get(i).run();
        }
        afterPoll.clear();
    }

    /**
     * Runs {@code action} at the end of the current input's {@link #poll()}, when everything that input caused has
     * been processed. Upstart's initctl reads the status it prints with a separate call after the reply, so a command
     * released in the middle of another one (a start superseded by a stop) reports the state after that other one.
     */
    void afterPoll(Runnable action) {
        afterPoll.add(action);
    }

    /** Stop conditions before start conditions, class by class in list order (§5.2). */
    private void handle(EventRecord event) {
        // The index lists are never mutated once built (a rebuild makes new ones), so iterating one is iterating a
        // snapshot, as the copy of the whole class list used to be. Classes not listed cannot react to this event.
        for (ClassEntry entry : classesFor(event.name())) {
            if (!entry.instances.isEmpty()) {
                for (Job job : List.copyOf(entry.instances.values())) {
                    handleStopOn(job, event);
                }
            }
            if (entry.startOn != null && entry.startOn.handle(event, Map.of(), matcher) && entry.startOn.value()) {
                startFromEvent(entry);
                entry.startOn.reset();
            }
        }
    }

    private void handleStopOn(Job job, EventRecord event) {
        ExprState stopOn = job.stopOn;
        if (stopOn == null || !stopOn.mentions(event.name())) {
            return;
        }
        Map<String, String> expansion = stopOn.expands() ? Environ.toMap(job.env) : Map.of();
        if (!stopOn.handle(event, expansion, matcher) || !stopOn.value()) {
            return;
        }
        if (job.goal != Goal.STOP) {
            List<EventRecord> events = new ArrayList<>();
            stopOn.contributing(events);
            job.stopEnv = eventEnvironment(new ArrayList<>(), events, "UPSTART_STOP_EVENTS");
            machine.finished(job, false);
            holdAll(job, events);
            machine.changeGoal(job, Goal.STOP);
        }
        stopOn.reset();
    }

    private void startFromEvent(ClassEntry entry) {
        JobClass def = entry.definition;
        List<EventRecord> events = new ArrayList<>();
        entry.startOn.contributing(events);
        List<String> env = eventEnvironment(classEnvironment(def), events, "UPSTART_EVENTS");
        String name;
        switch (expandInstance(def, env)) {
            case Expander.Result.Expanded ok -> name = ok.value();
            case Expander.Result.Failed failed -> {
                log(LogPriority.WARN, "Failed to obtain " + def.name() + " instance: " + failed.message());
                return;
            }
        }
        Job job = entry.instances.get(name);
        if (job == null) {
            job = newInstance(entry, name);
        }
        if (job.goal != Goal.START) {
            job.startEnv = env;
            machine.finished(job, false);
            holdAll(job, events);
            machine.changeGoal(job, Goal.START);
        }
    }

    private static void holdAll(Job job, List<EventRecord> events) {
        for (EventRecord e : events) {
            e.block();
            job.blocking.add(new Blocked.OnEvent(e));
        }
    }

    /**
     * Appends the events' environments, then {@code VAR=names} (§6.7 step 3). Another node's event also brings
     * {@code NODE=} that node.
     */
    private List<String> eventEnvironment(List<String> env, List<EventRecord> events, String namesVar) {
        StringBuilder names = new StringBuilder();
        for (EventRecord e : events) {
            Environ.appendAll(env, e.event.env());
            if (!e.event.node().equals(config.node())) {
                Environ.set(env, "NODE=" + e.event.node());
            }
            if (!names.isEmpty()) {
                names.append(' ');
            }
            names.append(e.name());
        }
        Environ.set(env, namesVar + "=" + names);
        return env;
    }

    private void finish(EventRecord event) {
        for (Job job : event.blockedJobs) {
            if (job.blocker == event) {
                machine.blockerFinished(job);
            }
        }
        for (Consumer<Boolean> waiter : event.waiters) {
            waiter.accept(event.failed);
        }
        if (event.failed && !event.name().endsWith("/failed")) {
            emit(event.name() + "/failed", event.event.env(), event.event.node());
        }
    }

    // ---- instances ------------------------------------------------------------------------------------------------

    Job newInstance(ClassEntry entry, String name) {
        Job job = new Job(entry, entry.definition, name);
        entry.instances.put(name, job);
        return job;
    }

    /** Expands the {@code instance} template against a start environment (§6.9). */
    static Expander.Result expandInstance(JobClass def, List<String> env) {
        // Only a '$' refers to the environment: most classes have no instance stanza, and a start needs no map then.
        return Expander.expand(def.instance(), def.instance().indexOf('$') < 0 ? Map.of() : Environ.toMap(env));
    }

    /** Global table, then the class's env stanzas (§6.7 steps 1–2). */
    List<String> classEnvironment(JobClass def) {
        List<String> env = new ArrayList<>(globalEnv);
        for (String stanza : def.env()) {
            Environ.addStanza(env, stanza, config.outerEnv());
        }
        return env;
    }

    /** Instances of a class in list order (libnih hash order over instance names). */
    List<Job> orderedInstances(ClassEntry entry) {
        if (entry.instances.size() <= 1) {
            return List.copyOf(entry.instances.values());
        }
        List<Job> out = new ArrayList<>();
        for (String n : ListOrder.order(new ArrayList<>(entry.instances.keySet()))) {
            out.add(entry.instances.get(n));
        }
        return out;
    }

    // ---- process reports ------------------------------------------------------------------------------------------

    public void processExited(long pid, ExitStatus status) {
        Job job = jobsByPid.remove(pid);
        if (job == null) {
            return;
        }
        ProcessKind kind = job.kindOf(pid);
        if (kind != null) {
            machine.processExited(job, kind, status);
        }
    }

    public void processStopped(long pid) {
        Job job = jobsByPid.get(pid);
        if (job != null && job.kindOf(pid) == ProcessKind.MAIN) {
            machine.mainStopped(job);
        }
    }

    public void mainPidResolved(long spawnedPid, long mainPid) {
        Job job = jobsByPid.get(spawnedPid);
        if (job != null) {
            machine.mainResolved(job, spawnedPid, mainPid);
        }
    }

    /** Every live instance, for shutdown and state snapshots. */
    List<Job> allInstances() {
        List<Job> all = new ArrayList<>();
        for (ClassEntry entry : orderedClasses()) {
            all.addAll(orderedInstances(entry));
        }
        return all;
    }

    /** Whether any instance still exists (shutdown waits for none). */
    public boolean anyInstance() {
        for (ClassEntry entry : classes.values()) {
            if (!entry.instances.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Sets every instance's goal to stop, as Upstart does on shutdown after the shutdown event. */
    public void stopAll() {
        for (Job job : allInstances()) {
            if (job.goal != Goal.STOP) {
                machine.finished(job, false);
                machine.changeGoal(job, Goal.STOP);
            }
        }
    }
}
