package dev.upfleet.agent;

import dev.upfleet.agent.cluster.ClusterLink;
import dev.upfleet.agent.cluster.ClusterState;
import dev.upfleet.agent.cluster.ReplicatedJobs;
import dev.upfleet.agent.conf.ConfLoader;
import dev.upfleet.agent.conf.ConfWatcher;
import dev.upfleet.agent.control.ControlException;
import dev.upfleet.agent.control.ControlServer;
import dev.upfleet.agent.engine.Engine;
import dev.upfleet.agent.engine.EngineConfig;
import dev.upfleet.agent.engine.EngineControl;
import dev.upfleet.agent.engine.EngineLoop;
import dev.upfleet.agent.engine.EngineObserver;
import dev.upfleet.agent.engine.Environ;
import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.LogPriority;
import dev.upfleet.agent.engine.ProcessLauncher;
import dev.upfleet.agent.engine.RealScheduler;
import dev.upfleet.agent.events.EventLog;
import dev.upfleet.agent.log.DaemonLog;
import dev.upfleet.agent.metrics.EngineMetrics;
import dev.upfleet.agent.metrics.MetricsServer;
import dev.upfleet.agent.process.PidWatcher;
import dev.upfleet.agent.process.PosixProcessLauncher;
import dev.upfleet.agent.state.Readoption;
import dev.upfleet.agent.state.StateStore;
import dev.upfleet.proto.state.v1.InstanceRecord;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.ConfProblem;
import dev.upfleet.core.parse.JobDefaults;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent: the composition root that wires the engine to real processes, the configuration directories,
 * the control socket, the event log and metrics, and runs the boot and shutdown sequences.
 */
public final class Agent implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    private static final Logger LOG = LoggerFactory.getLogger("init");
    /** Variables of the agent's own environment that must not leak into jobs as if they ran inside one. */
    private static final Set<String> NOT_INHERITED = Set.of("UPSTART_JOB", "UPSTART_INSTANCE", "UPSTART_EVENTS",
            "UPSTART_STOP_EVENTS", "UPSTART_SESSION", "UPFLEET_SOCKET");

    /** The agent's flags, validated. */
    public record Settings(List<Path> confDirs, Path socket, Path logDir, Path stateDir, boolean bootEvents,
                           String startupEvent, boolean sessionInit, Path eventLog, String node, Integer metricsPort,
                           String metricsAddress, String runlevel, boolean inheritEnv, int socketMode,
                           JobDefaults jobDefaults, boolean jobLogging, LogPriority logPriority, Cluster cluster) {}

    /** How the node joins a cluster; absent for a standalone agent. */
    public record Cluster(List<String> controllers, Map<String, String> labels, io.grpc.ChannelCredentials credentials) {}

    private final Settings settings;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CountDownLatch shutdownRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private EngineLoop loop;
    private ConfLoader confLoader;
    /** Re-reads every job file (reload-configuration, SIGHUP); runs on the engine thread. */
    private Runnable reloadConfiguration;

    private Agent(Settings settings) {
        this.settings = settings;
    }

    public static Agent start(Settings settings) throws Exception {
        Agent agent = new Agent(settings);
        try {
            agent.boot();
        } catch (Exception | Error e) {
            agent.close();
            throw e;
        }
        return agent;
    }

    private void boot() throws Exception {
        Files.createDirectories(settings.logDir());
        Files.createDirectories(settings.stateDir());
        List<Path> confDirs = new ArrayList<>(settings.confDirs());
        ReplicatedJobs replicated = null;
        if (settings.cluster() != null) {
            replicated = new ReplicatedJobs(settings.stateDir());
            confDirs.add(replicated.dir());
        }
        // Watched before they are first read, so that no change is missed: one during the boot is rescanned once the
        // engine runs (below).
        AtomicReference<Runnable> onConfChange = new AtomicReference<>();
        AtomicBoolean changedDuringBoot = new AtomicBoolean();
        onConfChange.set(() -> changedDuringBoot.set(true));
        ConfWatcher confWatcher = new ConfWatcher(confDirs, () -> onConfChange.get().run());
        resources.add(confWatcher);
        confWatcher.start();
        // The job files are read and parsed first thing, on a thread of their own, while the native calls are bound
        // and the engine is built; the engine thread then only installs the classes.
        CompletableFuture<ConfLoader.Scan> firstScan = new CompletableFuture<>();
        Thread.ofPlatform().name("upfleet-conf").daemon().start(() -> {
            try {
                firstScan.complete(ConfLoader.scanAll(confDirs, settings.jobDefaults()));
            } catch (RuntimeException | Error e) {
                firstScan.completeExceptionally(e);
            }
        });
        List<EngineObserver> observers = new ArrayList<>();
        observers.add(new EngineObserver() {
            @Override
            public void log(LogPriority priority, String message) {
                logDaemon(priority, message);
            }
        });
        if (settings.eventLog() != null) {
            EventLog eventLog = new EventLog(settings.eventLog());
            resources.add(eventLog);
            observers.add(eventLog);
        }
        PrometheusMeterRegistry registry = null;
        if (settings.metricsPort() != null) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            observers.add(new EngineMetrics(registry));
        }
        // Observers created after the engine thread started (it reads this list concurrently).
        List<EngineObserver> late = new java.util.concurrent.CopyOnWriteArrayList<>();
        observers.add(EngineObserver.all(late));

        RealScheduler scheduler = new RealScheduler();
        resources.add(scheduler);
        Reports reports = new Reports();
        PosixProcessLauncher launcher = new PosixProcessLauncher(settings.logDir(), reports,
                PosixProcessLauncher.Options.defaults().withJobLogging(settings.jobLogging()));
        resources.add(launcher);

        Engine engine = new Engine(engineConfig(), launcher, scheduler, EngineObserver.all(observers));
        loop = new EngineLoop(engine, 4096);
        reports.loop = loop;
        scheduler.bind(loop);
        loop.start();
        resources.add(loop);

        confLoader = new ConfLoader(confDirs, settings.jobDefaults(), new ConfLoader.Sink() {
            @Override
            public void load(JobClass job) {
                engine.loadClass(job);
            }

            @Override
            public void remove(String name) {
                engine.removeClass(name);
            }

            @Override
            public void problem(ConfProblem problem) {
                LOG.error("{}", problem.render());
            }
        });
        // The engine thread loads the configuration and re-adopts jobs while this thread builds the control server
        // (start-up work that overlaps on a multi-core machine). Both tasks are queued before the socket exists, so
        // every request is handled after them; the boot events are queued once both are done.
        CompletableFuture<Void> loaded = onLoopLater(() -> confLoader.apply(firstScan.join()));

        StateStore store = new StateStore(settings.stateDir());
        resources.add(store);
        PidWatcher watcher = new PidWatcher(reports);
        resources.add(watcher);
        List<InstanceRecord> previous = store.takeAll();
        loop.afterEachBatch(() -> {
            store.record(engine.drainChanges());
            DaemonLog.flushHeld();
        });
        loop.post(DaemonLog::holdLines); // the engine thread's lines: one write per batch (the hook above)
        CompletableFuture<Void> readopted = onLoopLater(() -> {
            if (loaded.isDone() && !loaded.isCompletedExceptionally()) { // it ran first; if it failed, the boot fails
                Readoption.run(previous, engine, watcher, store, (pid, sig) -> launcher.signal(pid, sig, true));
            }
        });
        ClusterLink link = null;
        if (settings.cluster() != null) {
            link = new ClusterLink(new ClusterLink.Settings(settings.node(), settings.cluster().labels(),
                    settings.cluster().controllers(), settings.cluster().credentials(), VERSION, System.currentTimeMillis(),
                    100_000), loop, new ClusterState(settings.stateDir()), replicated, engine::clusterInterest);
            resources.add(link);
            if (registry != null) {
                ClusterLink l = link;
                io.micrometer.core.instrument.Gauge.builder("upfleet_controller_connected", () -> l.connected() ? 1 : 0)
                        .description("1 while a controller session is up").register(registry);
                io.micrometer.core.instrument.Gauge.builder("upfleet_revision_lag", l::revisionLag)
                        .description("Relayed events known to exist but not yet applied here").register(registry);
                io.micrometer.core.instrument.FunctionCounter.builder("upfleet_events_dropped", l, ClusterLink::droppedEvents)
                        .description("Own events dropped while no controller was reachable").register(registry);
            }
        }
        ClusterLink clusterLink = link;
        Runnable rescan = () -> {
            confLoader.rescan(false);
            if (clusterLink != null) {
                clusterLink.configurationChanged();
            }
        };
        onConfChange.set(() -> loop.post(rescan));
        if (changedDuringBoot.get()) {
            loop.post(rescan);
        }

        reloadConfiguration = () -> {
            confLoader.rescan(true);
            if (clusterLink != null) {
                clusterLink.configurationChanged();
            }
        };
        EngineControl control = new EngineControl(loop, reloadConfiguration, () -> notifyDiskWriteable(launcher));
        late.add(control);
        Set<PosixFilePermission> mode = permissions(settings.socketMode());
        ControlServer controlServer = new ControlServer(settings.socket(), control, link,
                ControlServer.Options.defaults().withMode(mode));
        resources.add(controlServer);
        loaded.join();
        readopted.join();
        if (link != null) {
            late.add(link);
            link.start(controlServer.clusterControl());
        }

        if (registry != null) {
            MetricsServer metrics = new MetricsServer(registry, settings.metricsAddress(), settings.metricsPort());
            metrics.start();
            resources.add(metrics);
        }
        installSignalHandlers();
        // The boot burst (parsing every job file, starting the jobs) leaves the heap full of garbage that young
        // collections promoted; one full collection once it is over lets the heap shrink back (MaxHeapFreeRatio,
        // bin/lib/agent-jvm-opts.sh). Over means the boot events have finished and the task that finished them has
        // also handled the events their jobs emitted (their started events), hence posted.
        if (settings.bootEvents()) {
            onLoop(() -> BootSequence.boot(engine, settings.startupEvent(), settings.sessionInit(),
                    settings.runlevel(), () -> loop.post(System::gc)));
        } else {
            System.gc();
        }
        LOG.info("upfleet-agent {} running on {} ({} jobs)", VERSION, settings.socket(), engine.classNames().size());
    }

    /** initctl notify-disk-writeable: the reply carries the reason a held log still cannot be written. */
    private static CompletionStage<Void> notifyDiskWriteable(PosixProcessLauncher launcher) {
        return launcher.notifyDiskWriteable().exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return CompletableFuture.failedFuture(new ControlException(cause.getMessage()));
        });
    }

    private EngineConfig engineConfig() {
        Map<String, String> own = System.getenv();
        List<String> initial = new ArrayList<>();
        for (Map.Entry<String, String> e : own.entrySet()) {
            boolean wanted = settings.inheritEnv() ? !NOT_INHERITED.contains(e.getKey())
                    : e.getKey().equals("PATH") || e.getKey().equals("TERM");
            if (wanted) {
                initial.add(e.getKey() + "=" + e.getValue());
            }
        }
        if (Environ.get(initial, "PATH") == null) {
            initial.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        initial.sort(null);
        InstantSource monotonic = () -> Instant.ofEpochSecond(0, System.nanoTime());
        String node = settings.node();
        return new EngineConfig(node, initial, own::get, List.of("UPFLEET_SOCKET=" + settings.socket(), "UPFLEET_NODE=" + node),
                monotonic, settings.logPriority());
    }

    /** Runs a task on the engine thread and waits for it. */
    private void onLoop(Runnable task) {
        onLoopLater(task).join();
    }

    /** Queues a task on the engine thread; the future completes when it has run (exceptionally if it threw). */
    private CompletableFuture<Void> onLoopLater(Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.post(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private static void logDaemon(LogPriority priority, String message) {
        switch (priority) {
            case DEBUG -> LOG.debug(message);
            case INFO -> LOG.info(message);
            case MESSAGE -> LOG.info(message);
            case WARN -> LOG.warn(message);
            case ERROR, FATAL -> LOG.error(message);
        }
    }

    private void installSignalHandlers() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            shutdownRequested.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> loop.post(reloadConfiguration));
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot handle SIGHUP: {}", e.getMessage());
        }
        // TERM and INT are handled here rather than left to the JVM: through the shutdown hook alone the stop
        // sequence ran, but the JVM then exited with 128+15 = 143 instead of 0 (systemd counts that as a failure).
        // With these handlers awaitShutdown() returns and main exits 0; the hook remains for System.exit callers.
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> shutdownRequested.countDown());
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }

    /** Blocks until SIGTERM/SIGINT, then stops every job through its stop sequence. */
    public void awaitShutdown() throws InterruptedException {
        shutdownRequested.await();
        try {
            shutdown();
        } finally {
            stopped.countDown();
        }
    }

    private void shutdown() throws InterruptedException {
        Engine engine = loop.engine();
        CompletableFuture<Void> goalsStopped = new CompletableFuture<>();
        loop.post(() -> BootSequence.shutdown(engine, settings.bootEvents(), settings.sessionInit(),
                settings.runlevel(), goalsStopped));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BootSequence.SHUTDOWN_LIMIT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (goalsStopped.isDone()) {
                CompletableFuture<Boolean> any = new CompletableFuture<>();
                loop.post(() -> any.complete(engine.anyInstance()));
                if (!any.join()) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        LOG.warn("shutdown: jobs still running after {} s", BootSequence.SHUTDOWN_LIMIT_SECONDS);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << (8 - i))) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    /**
     * The kernel's host name, up to its first dot. Read from procfs rather than through
     * {@code InetAddress.getLocalHost()}, which resolves the name (a DNS wait on a droplet whose resolver is down) and
     * first looks for resolver providers on the whole class path, opening every jar for good.
     */
    static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            int dot = name.indexOf('.');
            return dot > 0 ? name.substring(0, dot) : name.isEmpty() ? "localhost" : name;
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        resources.clear();
    }

    /** Process reports from the launcher's threads, posted to the engine thread. */
    private static final class Reports implements ProcessLauncher.ProcessObserver {
        volatile EngineLoop loop;

        @Override
        public void exited(long pid, ExitStatus status) {
            // From the reaper thread (its stack is as large as the engine thread's): a respawn is spawned right here
            // when the engine is idle, without waking the engine thread first. Its log lines ("killed by KILL
            // signal", "respawning") are written after the batch, as the engine thread's are, not before the spawn.
            DaemonLog.holdLines();
            try {
                loop.runOrPost(() -> loop.engine().processExited(pid, status));
            } finally {
                DaemonLog.releaseLines();
            }
        }

        @Override
        public void stopped(long pid) {
            loop.post(() -> loop.engine().processStopped(pid));
        }

        @Override
        public void mainPidResolved(long spawnedPid, long mainPid) {
            loop.post(() -> loop.engine().mainPidResolved(spawnedPid, mainPid));
        }

        @Override
        public void lostTrack(long pid) {
            loop.post(() -> loop.engine().processExited(pid, ExitStatus.unknown()));
        }
    }
}
