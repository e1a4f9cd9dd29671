package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.EngineLoop;
import dev.upfleet.agent.engine.Environ;
import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.ProcessLauncher;
import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.event.Expander;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;

/**
 * Runs job processes for real: posix_spawn in a new session, console log through a pty read by one epoll thread,
 * reaping of every child (including adopted orphans) by one reaper thread, and expect fork/daemon following.
 *
 * <p>Threads: {@link #spawn} and {@link #signal} are called by the engine thread (they are also safe from any
 * thread). Observer callbacks {@code exited} and {@code stopped} come from the reaper thread
 * ({@code upfleet-reaper}); {@code mainPidResolved} from the reaper or, when a daemon settles by time, from the
 * timer thread ({@code upfleet-follow}). Callbacks for one process never run concurrently, and
 * {@code mainPidResolved(p, d)} always precedes {@code exited(d, …)}.
 *
 * <p>At construction the agent becomes a child subreaper and raises its RLIMIT_NOFILE soft limit to the hard limit
 * (each logged job holds one descriptor). The reaper waits on {@code waitpid(-1)}: nothing else in the agent may
 * spawn children through {@link ProcessBuilder} while a launcher is open, or their statuses would be taken here.
 */
public final class PosixProcessLauncher implements ProcessLauncher, AutoCloseable {

    /**
     * @param forcePipeLogs  log through a pipe even when a pty is available (tests the fallback path)
     * @param daemonSettle   how long an {@code expect daemon} candidate may sit without exiting or forking before it
     *                       is taken as the daemon (see {@link ChildTable})
     * @param maxOpenLogs    log files kept open at once by the pump
     * @param etc            where {@code passwd} and {@code group} are read from
     * @param appArmor       how AppArmor is detected and which parser loads profiles
     * @param console        the system console ({@code console output}/{@code owner}); another terminal in tests
     * @param jobLogging     false makes {@code console log} act as {@code console none} (init's {@code --no-log})
     */
    public record Options(boolean forcePipeLogs, Duration daemonSettle, int maxOpenLogs, Path etc, AppArmor appArmor,
                          String console, boolean jobLogging) {
        public static Options defaults() {
            return new Options(false, Duration.ofMillis(500), 1024, Path.of("/etc"), AppArmor.system(), Stdio.CONSOLE,
                    true);
        }

        public Options withForcePipeLogs(boolean force) {
            return new Options(force, daemonSettle, maxOpenLogs, etc, appArmor, console, jobLogging);
        }

        public Options withDaemonSettle(Duration settle) {
            return new Options(forcePipeLogs, settle, maxOpenLogs, etc, appArmor, console, jobLogging);
        }

        public Options withAppArmor(AppArmor probe) {
            return new Options(forcePipeLogs, daemonSettle, maxOpenLogs, etc, probe, console, jobLogging);
        }

        public Options withConsole(String path) {
            return new Options(forcePipeLogs, daemonSettle, maxOpenLogs, etc, appArmor, path, jobLogging);
        }

        /** False: {@code console log} acts as {@code console none} (init's {@code --no-log}). */
        public Options withJobLogging(boolean logging) {
            return new Options(forcePipeLogs, daemonSettle, maxOpenLogs, etc, appArmor, console, logging);
        }
    }

    private final Path logDir;
    private final Options options;
    private final long self;
    private final int ownGroup;
    private final Baseline baseline;
    private final AttributeChain attributes;
    private final LogPump pump;
    /** Null when logs go through pipes ({@link Options#forcePipeLogs}). */
    private final PtySpare ptys;
    private final ChildTable children;
    private final ScheduledExecutorService timers;
    private final Semaphore childHint = new Semaphore(0);
    private final Thread reaper;
    private volatile boolean closed;

    public PosixProcessLauncher(Path logDir, ProcessObserver observer) throws LibcException {
        this(logDir, observer, Options.defaults());
    }

    public PosixProcessLauncher(Path logDir, ProcessObserver observer, Options options) throws LibcException {
        this.logDir = logDir;
        this.options = options;
        this.self = Libc.getpid();
        this.ownGroup = Libc.getpgid(0);
        Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1);
        raiseNofile();
        this.baseline = Baseline.current();
        this.attributes = new AttributeChain(baseline, new Accounts(options.etc()));
        this.pump = new LogPump(options.maxOpenLogs());
        this.ptys = options.forcePipeLogs() ? null : new PtySpare();
        this.timers = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("upfleet-follow").daemon().unstarted(r));
        this.children = new ChildTable(observer, self, timers, options.daemonSettle().toMillis());
        // The engine may run a process exit on this thread (EngineLoop.runOrPost): same stack size as its own thread.
        this.reaper = Thread.ofPlatform().name("upfleet-reaper").daemon().stackSize(EngineLoop.STACK_SIZE).start(this::reap);
    }

    /** Each logged job holds a pty master: lift the soft descriptor limit to the hard one. */
    private static void raiseNofile() throws LibcException {
        Libc.Rlimit now = Libc.getrlimit(Libc.RLIMIT_NOFILE);
        if (now.soft() != now.hard()) {
            Libc.setrlimit(Libc.RLIMIT_NOFILE, new Libc.Rlimit(now.hard(), now.hard()));
        }
    }

    @Override
    public long spawn(SpawnRequest request) throws SpawnException {
        if (closed) {
            throw new SpawnException("launcher closed");
        }
        var job = request.job();
        Optional<String> profile = appArmorProfile(request);
        Stdio stdio;
        try {
            stdio = Stdio.forConsole(console(job), ptys, options.console());
        } catch (LibcException e) {
            throw new SpawnException("unable to open console: " + Libc.strerror(e.errno()), e);
        }
        AttributeChain.Plan plan;
        try {
            // console owner: the console becomes the controlling terminal when it opened, and only with
            // CAP_SYS_ADMIN, with which taking it over cannot fail (Upstart ignores a failure; setsid(1) would not).
            boolean ctty = job.console() == Console.OWNER && stdio.onConsole() && baseline.sysAdmin();
            var extras = new AttributeChain.Extras(ctty, profile, job.debug(), request.kind() == ProcessKind.SECURITY);
            plan = attributes.plan(job, CommandLine.argv(request.command()), request.env(), extras);
            if (!plan.wrapped() && !"/".equals(plan.chdir()) && !java.nio.file.Files.isDirectory(Path.of(plan.chdir()))) {
                throw new SpawnException("unable to change working directory: " + Libc.strerror(Libc.ENOENT));
            }
        } catch (SpawnException e) {
            stdio.abandon();
            throw e;
        }
        ScriptFeed feed = null;
        long pid;
        try {
            List<Libc.FileAction> actions = stdio.actions();
            Optional<String> script = CommandLine.fedScript(request.command());
            if (script.isPresent()) {
                feed = ScriptFeed.open(script.get());
                if (plan.user().isPresent()) {
                    feed.ownBy(plan.user().get());
                }
                actions = stdio.actionsGiving(feed.readEnd(), CommandLine.SCRIPT_FD);
            }
            synchronized (children) {
                pid = Libc.spawn(plan.executable(), plan.argv(), request.env(), actions,
                        Optional.of(plan.chdir()), plan.newSession());
                children.add(pid, job.expect(), request.kind() == ProcessKind.MAIN, envValue(request.env(), "UPSTART_JOB"),
                        envValue(request.env(), "UPSTART_INSTANCE"));
            }
        } catch (LibcException e) {
            stdio.abandon();
            if (feed != null) {
                feed.abandon();
            }
            throw new SpawnException("unable to execute: " + Libc.strerror(e.errno()), e);
        }
        if (feed != null) {
            feed.start();
        }
        childHint.release();
        // glibc's posix_spawn returns once the child has released our memory, early in its exec(); the reaper, just
        // woken, would otherwise preempt the child on this CPU for the bookkeeping after a respawn (the pty's and the
        // state's writes, some 0.5 ms) while the new program waits, half loaded. Let it finish loading first. Only
        // there: a burst of spawns on the engine thread (a boot) would give each CPU-hungry child a time slice.
        if (Thread.currentThread() == reaper) {
            Thread.yield();
        }
        stdio.close();
        if (stdio.parentEnd() >= 0) {
            try {
                pump.register(stdio.parentEnd(), LogNames.path(logDir, job.name(), request.instance()));
            } catch (LibcException e) {
                Libc.closeQuietly(stdio.parentEnd()); // the child then writes into a closed pipe/pty: as console none
            }
        }
        if (ptys != null && console(job) == Console.LOG) {
            ptys.refill(); // for the next spawn, now that this one's child runs
        }
        return pid;
    }

    /** The job's {@code console}, as {@code --no-log} leaves it. */
    private Console console(JobClass job) {
        return job.console() == Console.LOG && !options.jobLogging() ? Console.NONE : job.console();
    }

    @Override
    public Optional<String> appArmorParser() {
        return options.appArmor().parserIfEnabled();
    }

    /**
     * {@code apparmor switch} of a main process, expanded against its environment; empty when there is none or
     * AppArmor is not enabled (Upstart's apparmor_switch then silently does nothing).
     */
    private Optional<String> appArmorProfile(SpawnRequest request) throws SpawnException {
        Optional<String> name = request.job().apparmorSwitch();
        if (request.kind() != ProcessKind.MAIN || name.isEmpty() || options.appArmor().parserIfEnabled().isEmpty()) {
            return Optional.empty();
        }
        String profile = switch (Expander.expand(name.get(), Environ.toMap(request.env()))) {
            case Expander.Result.Expanded e -> e.value();
            case Expander.Result.Failed f -> throw new SpawnException("unable to switch security profile: " + f.message());
        };
        if (!options.appArmor().mayBeLoaded(profile)) {
            throw new SpawnException("unable to switch security profile: " + Libc.strerror(Libc.ENOENT));
        }
        return Optional.of(profile);
    }

    /** UPSTART_JOB/UPSTART_INSTANCE mark a job's descendants; {@code null} when the engine did not set them. */
    private static String envValue(List<String> env, String key) {
        String value = Environ.get(env, key);
        return value == null && key.equals("UPSTART_INSTANCE") ? "" : value;
    }

    @Override
    public void signal(long pid, int signal, boolean group) {
        try {
            // As Upstart's system_kill: signal the process's group, not -pid. A daemon followed through expect
            // fork/daemon is not a group leader (it stays in the group of the main process that forked it), so
            // kill(-pid) would fail with ESRCH and stop would hang in stop/killed forever.
            int pgid = group ? Libc.getpgid(pid) : 0;
            // A console owner process is in the agent's own group until its setsid link has run: never signal that.
            if (pgid == ownGroup) {
                pgid = 0;
            }
            Libc.kill(pgid > 0 ? -pgid : pid, signal);
        } catch (LibcException e) {
            // ESRCH: it is already gone, and the reaper will (or did) report that. Nothing else can go wrong for
            // a supervisor running as the processes' owner.
        }
    }

    /** Processes reported on and not yet exited (spawned, followed or resolved). */
    public int trackedCount() {
        return children.size();
    }

    /**
     * {@code initctl notify-disk-writeable}: writes the job output held while the log directory was not writable.
     * Fails with the reason (an errno text) of the first log that still cannot be written.
     */
    public CompletionStage<Void> notifyDiskWriteable() {
        return pump.notifyDiskWriteable();
    }

    /** Bytes of job output held in memory until the log directory is writable. */
    public long heldLogBytes() {
        return pump.heldBytes();
    }

    /** Log streams still open (jobs whose output side has not reached end of file). */
    public int openLogStreams() {
        return pump.streams();
    }

    private void reap() {
        while (!closed) {
            Libc.WaitResult w;
            try {
                w = Libc.waitpid(-1, Libc.WUNTRACED);
            } catch (LibcException e) {
                if (e.errno() == Libc.ECHILD) {
                    childHint.acquireUninterruptibly(); // no children: sleep until the next spawn
                }
                continue;
            }
            if (w.stopped()) {
                children.onStopped(w.pid());
            } else {
                children.onExit(w.pid(), w.signaled() ? ExitStatus.killedBy(w.termSignal()) : ExitStatus.exited(w.exitCode()));
            }
        }
    }

    /**
     * Stops the reaper, timer and pump threads and closes every descriptor. Running jobs are left running (an agent
     * restart re-adopts them through {@link PidWatcher}).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        childHint.release();
        // The reaper may be blocked in waitpid: give it one child to reap so it sees the flag.
        try {
            Libc.spawn(CommandLine.SHELL, List.of(CommandLine.SHELL, "-c", "exit 0"), List.of(), Stdio.none().actions(),
                    Optional.of("/"));
        } catch (LibcException ignored) {
            // cannot spawn: the reaper is a daemon thread and ends with the JVM
        }
        try {
            reaper.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
        pump.close();
        if (ptys != null) {
            ptys.close();
        }
    }
}
