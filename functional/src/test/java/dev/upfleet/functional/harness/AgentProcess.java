package dev.upfleet.functional.harness;

import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.JobRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code bin/upfleet-agent} process on its own temporary directories, started and driven like an operator
 * would. Every process it leads to (the agent, its jobs, their daemons, the initctl clients) carries a marker
 * variable unique to this object; {@link #close()} stops the agent with SIGTERM (then SIGKILL) and kills whatever
 * still carries the marker, so a failing test leaves nothing behind. Not thread-safe except {@link #control()}.
 */
public final class AgentProcess implements AutoCloseable {
    public static final Duration START_LIMIT = Duration.ofSeconds(60);
    private static final String MARKER_VAR = "UPFLEET_FT_MARKER";

    /**
     * How to start the agent; {@link #bootEvents} false passes {@code --no-startup-event}. {@code node} is the
     * {@code --node} name and {@code args} further flags (cluster: {@code --controller}, {@code --insecure},
     * {@code --label}, {@code --tls-*}). {@code wrapper} is a command the agent runs under, which must exec it (so
     * the process started is the agent's), e.g. {@code ip netns exec NS}.
     */
    public record Options(boolean bootEvents, Integer metricsPort, Map<String, String> env, String node,
                          List<String> args, List<String> wrapper) {
        public Options(boolean bootEvents, Integer metricsPort, Map<String, String> env) {
            this(bootEvents, metricsPort, env, "ft", List.of(), List.of());
        }

        public static Options quiet() {
            return new Options(false, null, Map.of());
        }

        public static Options booting() {
            return new Options(true, null, Map.of());
        }

        public Options withMetricsPort(int port) {
            return new Options(bootEvents, port, env, node, args, wrapper);
        }

        public Options withEnv(String key, String value) {
            Map<String, String> more = new LinkedHashMap<>(env);
            more.put(key, value);
            return new Options(bootEvents, metricsPort, Map.copyOf(more), node, args, wrapper);
        }

        public Options withNode(String name) {
            return new Options(bootEvents, metricsPort, env, name, args, wrapper);
        }

        /** Adds flags after the standard ones. */
        public Options withArgs(String... more) {
            List<String> all = new ArrayList<>(args);
            all.addAll(List.of(more));
            return new Options(bootEvents, metricsPort, env, node, List.copyOf(all), wrapper);
        }

        /** Runs the agent under {@code command} (which execs it), e.g. {@code ip netns exec NS}. */
        public Options withWrapper(String... command) {
            return new Options(bootEvents, metricsPort, env, node, args, List.of(command));
        }
    }

    private final Path dir;
    private final Path confDir;
    private final Path logDir;
    private final Path stateDir;
    private final Path socket;
    private final Path eventLog;
    private final String marker;
    private final Options options;
    private final List<Path> stderrFiles = new ArrayList<>();
    private Process process;
    private ManagedChannel channel;
    private MultiThreadIoEventLoopGroup group;
    private ControlGrpc.ControlBlockingStub stub;

    private AgentProcess(Path dir, Options options) {
        this.dir = dir;
        this.confDir = dir.resolve("conf");
        this.logDir = dir.resolve("log");
        this.stateDir = dir.resolve("state");
        this.socket = dir.resolve("agent.sock");
        this.eventLog = dir.resolve("events.jsonl");
        this.marker = MARKER_VAR + "=" + UUID.randomUUID();
        this.options = options;
    }

    /** A new agent on fresh directories whose job files are written beforehand by {@code setup}. */
    public static AgentProcess start(Options options, JobFiles setup) {
        AgentProcess agent;
        try {
            // Under /tmp, not target/: a unix socket path must stay under 108 bytes wherever the repo is cloned.
            agent = new AgentProcess(Files.createTempDirectory("upfleet-ft"), options);
            for (Path d : List.of(agent.confDir, agent.logDir, agent.stateDir)) {
                Files.createDirectories(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            setup.write(agent);
            agent.launch();
            return agent;
        } catch (RuntimeException | Error e) {
            agent.close();
            throw e;
        }
    }

    public static AgentProcess start(Options options) {
        return start(options, a -> {});
    }

    /** Writes job files before the agent starts. */
    @FunctionalInterface
    public interface JobFiles {
        void write(AgentProcess agent);
    }

    /** Starts (or, after {@link #kill9()}, starts again) the agent process on this object's directories. */
    public void launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("agent already running");
        }
        closeChannel();
        List<String> cmd = new ArrayList<>(options.wrapper());
        cmd.addAll(List.of(Project.bin("upfleet-agent").toString(),
                "--confdir", confDir.toString(), "--socket", socket.toString(), "--log-dir", logDir.toString(),
                "--state-dir", stateDir.toString(), "--event-log", eventLog.toString(), "--node", options.node()));
        if (!options.bootEvents()) {
            cmd.add("--no-startup-event");
        }
        if (options.metricsPort() != null) {
            cmd.addAll(List.of("--metrics-port", options.metricsPort().toString(), "--metrics-address", "127.0.0.1"));
        }
        cmd.addAll(options.args());
        Path stderr = dir.resolve("agent-" + (stderrFiles.size() + 1) + ".err");
        stderrFiles.add(stderr);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("agent.out").toFile())
                .redirectError(stderr.toFile());
        pb.environment().putAll(options.env());
        pb.environment().put(MARKER_VAR, marker.substring(MARKER_VAR.length() + 1));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Poll.until("agent to answer Version on " + socket, START_LIMIT, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("agent exited with " + process.exitValue() + ": " + stderr());
            }
            return Files.exists(socket) && !control().version(Empty.getDefaultInstance()).getVersion().isEmpty();
        });
    }

    public Path dir() {
        return dir;
    }

    public Path confDir() {
        return confDir;
    }

    public Path logDir() {
        return logDir;
    }

    public Path socket() {
        return socket;
    }

    public Path eventLog() {
        return eventLog;
    }

    /** The {@code NAME=VALUE} entry every process of this agent carries in its environment. */
    public String marker() {
        return marker;
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** The agent's standard error so far (every launch of it, in order). */
    public String stderr() {
        StringBuilder all = new StringBuilder();
        for (Path p : stderrFiles) {
            try {
                all.append(Files.readString(p, StandardCharsets.UTF_8));
            } catch (IOException e) {
                all.append("<").append(p).append(": ").append(e).append(">\n");
            }
        }
        return all.toString();
    }

    /** Writes {@code confdir/NAME.conf}; the agent's watcher sees it as soon as it is written. */
    public Path writeJob(String name, String text) {
        Path file = confDir.resolve(name + ".conf");
        try {
            // Write beside and rename so the watcher never parses a half-written file.
            Path tmp = confDir.resolve("." + name + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** A gRPC client on the control socket, for fast polling; initctl processes are for checking output. */
    public synchronized ControlGrpc.ControlBlockingStub control() {
        if (stub == null) {
            group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                    .channelType(NioDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
            stub = ControlGrpc.newBlockingStub(channel);
        }
        return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** A Cluster client on the control socket (the agent serves the Cluster service there too). */
    public synchronized ClusterGrpc.ClusterBlockingStub cluster() {
        control();
        return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public Options options() {
        return options;
    }

    public String node() {
        return options.node();
    }

    /** Sends {@code signal} (STOP, CONT, ...) to the agent process itself. */
    public void signal(String signal) {
        Procs.signal(process.pid(), signal);
    }

    /** A fresh channel of its own (the caller closes it), for load from several connections. */
    public ManagedChannel newChannel(MultiThreadIoEventLoopGroup loop) {
        return NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext().build();
    }

    /** The status of {@code job} (its only or unnamed instance) over gRPC, or null if the agent refuses. */
    public InstanceStatus status(String job) {
        try {
            return control().status(JobRequest.newBuilder().setJob(job).build()).getStatus();
        } catch (StatusRuntimeException e) {
            return null;
        }
    }

    /** Starts {@code job} over gRPC and waits as initctl start does; returns the reached status. */
    public InstanceStatus start(String job, String... env) {
        return control().start(JobRequest.newBuilder().setJob(job).addAllEnv(List.of(env)).build()).getStatus();
    }

    /** Stops {@code job} over gRPC and waits as initctl stop does; returns the reached status. */
    public InstanceStatus stop(String job) {
        return control().stop(JobRequest.newBuilder().setJob(job).build()).getStatus();
    }

    /** The main process pid of a running {@code job}, or 0. */
    public long mainPid(String job) {
        InstanceStatus s = status(job);
        if (s == null || !"running".equals(s.getState())) {
            return 0;
        }
        return s.getProcessesList().stream().filter(p -> p.getKind().equals("main")).mapToLong(p -> p.getPid())
                .findFirst().orElse(0);
    }

    /** Waits until {@code job} is start/running with a live main process and returns its pid. */
    public long awaitRunning(String job, Duration limit) {
        return Poll.value(job + " start/running", limit, () -> mainPid(job), pid -> pid > 0 && Procs.alive(pid));
    }

    /** Waits until {@code job} reaches goal/state, e.g. {@code stop/waiting}. */
    public void awaitState(String job, String goalState, Duration limit) {
        Poll.value(job + " " + goalState, limit, () -> status(job),
                s -> (s.getGoal() + "/" + s.getState()).equals(goalState));
    }

    /** The names of the jobs {@code List} returns (one entry per instance). */
    public List<String> listedJobs() {
        return control().list(Empty.getDefaultInstance()).getInstancesList().stream().map(InstanceStatus::getJob)
                .toList();
    }

    /** Runs {@code bin/initctl --socket SOCK ARGS} as a process and waits for it (bounded). */
    public Initctl initctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Project.bin("initctl").toString(), "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        return Project.run(cmd, Map.of(MARKER_VAR, marker.substring(MARKER_VAR.length() + 1)), Duration.ofSeconds(60));
    }

    /** The lines of the event log, one JSON object each. */
    public List<String> events() {
        try {
            return Files.exists(eventLog) ? Files.readAllLines(eventLog) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILLs the agent only: its jobs keep running, as after a crash. */
    public void kill9() {
        closeChannel();
        process.destroyForcibly();
        waitExit(Duration.ofSeconds(10));
    }

    /** Sends SIGTERM and waits (bounded) for the agent to exit; returns its exit code. */
    public int terminate(Duration limit) {
        process.destroy();
        if (!waitExit(limit)) {
            throw new AssertionError("agent did not exit within " + limit.toMillis() + " ms of SIGTERM");
        }
        closeChannel();
        return process.exitValue();
    }

    private boolean waitExit(Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private synchronized void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            channel = null;
            group = null;
            stub = null;
        }
    }

    /** Stops the agent (SIGTERM, then SIGKILL), kills every process left with this agent's marker, removes the dirs. */
    @Override
    public void close() {
        closeChannel();
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitExit(Duration.ofSeconds(20))) {
                process.destroyForcibly();
                waitExit(Duration.ofSeconds(10));
            }
        }
        List<Long> left = Procs.withEnv(marker);
        left.forEach(pid -> Procs.signal(pid, "KILL"));
        try {
            Poll.until("leftover processes of " + marker + " to die", Duration.ofSeconds(10),
                    () -> Procs.withEnv(marker).isEmpty());
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
