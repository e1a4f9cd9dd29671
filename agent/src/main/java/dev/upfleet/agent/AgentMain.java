package dev.upfleet.agent;

import dev.upfleet.agent.conf.ConfDirs;
import dev.upfleet.agent.engine.LogPriority;
import dev.upfleet.agent.log.DaemonLog;
import dev.upfleet.agent.process.Baseline;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.JobDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/upfleet-agent}: the node daemon. Parses flags and hands them to {@link Agent}. */
@Command(name = "upfleet-agent", mixinStandardHelpOptions = true, version = "upfleet-agent " + Agent.VERSION,
        description = "Runs Upstart 1.13 job files on this node (standalone without --controller).")
public final class AgentMain implements Callable<Integer> {

    @Option(names = "--confdir", paramLabel = "DIR", description = "Job configuration directory (repeatable; first wins), replacing the defaults: /etc/init, or the session directories with --user")
    List<Path> confDirs = new ArrayList<>();

    @Option(names = "--prepend-confdir", paramLabel = "DIR", description = "A configuration directory searched before the others (repeatable)")
    List<Path> prependConfDirs = new ArrayList<>();

    @Option(names = "--append-confdir", paramLabel = "DIR", description = "A configuration directory searched after the others (repeatable)")
    List<Path> appendConfDirs = new ArrayList<>();

    @Option(names = "--user", description = "User Session defaults: jobs from ~/.config/upstart, ~/.init, $XDG_CONFIG_DIRS/upstart and /usr/share/upstart/sessions, logs in ~/.cache/upstart")
    boolean user;

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: ${DEFAULT-VALUE})")
    Path socket = Path.of("/run/upfleet/agent.sock");

    @Option(names = {"--log-dir", "--logdir"}, paramLabel = "DIR", description = "Job output logs for console log (default: $UPSTART_LOGDIR, else ~/.cache/upstart with --user, else /var/log/upfleet)")
    Path logDir;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Job state kept across agent restarts (default: ${DEFAULT-VALUE})")
    Path stateDir = Path.of("/var/lib/upfleet");

    @Option(names = "--no-startup-event", description = "Do not emit startup nor the boot events after loading the configuration")
    boolean noStartupEvent;

    @Option(names = "--startup-event", paramLabel = "NAME", description = "Emit NAME as the first event instead of startup, and none of the boot events that follow it")
    String startupEvent = BootSequence.STARTUP;

    @Option(names = "--no-log", description = "Discard the output of console log jobs, as console none")
    boolean noLog;

    @Option(names = {"-v", "--verbose"}, description = "Log job state changes and events too (initctl log-priority info)")
    boolean verbose;

    @Option(names = "--debug", description = "Log everything (initctl log-priority debug)")
    boolean debug;

    @Option(names = {"-q", "--quiet"}, description = "Log errors only (initctl log-priority error)")
    boolean quiet;

    @Option(names = "--default-console", paramLabel = "VALUE", description = "console of jobs without the stanza: none, output, owner or log (default: ${DEFAULT-VALUE})")
    String defaultConsole = "log";

    @Option(names = "--event-log", paramLabel = "FILE", description = "Append one JSON object per emitted event")
    Path eventLog;

    @Option(names = "--node", paramLabel = "NAME", description = "This node's name (default: the host name)")
    String node;

    @Option(names = "--controller", split = ",", paramLabel = "HOST:PORT[,..]", description = "Join a cluster through these controllers (failing over between them)")
    List<String> controllers = new ArrayList<>();

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label of this node, for nodes stanzas and --nodes selectors (repeatable)")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "This node's client certificate (PEM) for the controllers")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "Its private key (PEM)")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "CA that signs the controllers' certificates (PEM)")
    Path tlsCa;

    @Option(names = "--insecure", description = "Plaintext to the controllers: only for loopback and tests")
    boolean insecure;

    @Option(names = "--metrics-port", paramLabel = "N", description = "Serve Prometheus metrics at /metrics on this port")
    Integer metricsPort;

    @Option(names = "--metrics-address", paramLabel = "ADDR", description = "Address for the metrics port (default: ${DEFAULT-VALUE})")
    String metricsAddress = "0.0.0.0";

    @Option(names = "--runlevel", paramLabel = "N", description = "Runlevel announced after boot (default: ${DEFAULT-VALUE})")
    String runlevel = "2";

    @Option(names = "--no-inherit-env", description = "Jobs get only PATH and TERM from the agent's environment")
    boolean noInheritEnv;

    @Option(names = "--socket-mode", paramLabel = "OCTAL", description = "Permissions of the control socket (default: ${DEFAULT-VALUE})")
    String socketMode = "0600";

    @Override
    public Integer call() throws Exception {
        Agent.Cluster cluster = null;
        if (!controllers.isEmpty()) {
            String name = node == null ? Agent.hostName() : node;
            if (!dev.upfleet.core.cluster.NodeSelector.validNodeName(name)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--node: '" + name
                        + "' is not a node name (letters, digits, '.', '_', '-'; at most 63; starting with a letter or digit)");
            }
            cluster = new Agent.Cluster(List.copyOf(controllers), Map.copyOf(labels), credentials());
        } else if (insecure || tlsCert != null || !labels.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--insecure, --tls-* and --label need --controller");
        }
        Console console = Console.fromWireName(defaultConsole).orElseThrow(() -> new CommandLine.ParameterException(
                new CommandLine(this), "--default-console: invalid console type specified: " + defaultConsole));
        Map<String, String> env = System.getenv();
        if (user && confDirs.isEmpty()) {
            ConfDirs.userConfigHome(env).ifPresent(AgentMain::createQuietly);
        }
        Agent.Settings settings = new Agent.Settings(
                ConfDirs.resolve(confDirs, prependConfDirs, appendConfDirs, user, env), socket.toAbsolutePath(),
                ConfDirs.logDir(Optional.ofNullable(logDir), user, env).toAbsolutePath(), stateDir.toAbsolutePath(),
                !noStartupEvent, startupEvent, user,
                eventLog == null ? null : eventLog.toAbsolutePath(), node == null ? Agent.hostName() : node,
                metricsPort, metricsAddress, runlevel, !noInheritEnv, Integer.parseInt(socketMode, 8),
                new JobDefaults(console, user && !noInheritEnv ? Baseline.ownUmask() : JobClass.DEFAULT_UMASK), !noLog,
                logPriority(), cluster);
        try (Agent agent = Agent.start(settings)) {
            agent.awaitShutdown();
        }
        return 0;
    }

    /** The daemon log's threshold at start; when several are given the most talkative wins. */
    LogPriority logPriority() {
        return debug ? LogPriority.DEBUG : verbose ? LogPriority.INFO : quiet ? LogPriority.ERROR : LogPriority.MESSAGE;
    }

    /** Best effort, as Upstart's mkdir of the session's configuration directory: a failure only means no watch. */
    private static void createQuietly(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException | RuntimeException e) {
            // nothing to watch there then; the other directories still load
        }
    }

    private io.grpc.ChannelCredentials credentials() throws java.io.IOException {
        if (insecure) {
            if (tlsCert != null || tlsKey != null || tlsCa != null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--insecure cannot be combined with --tls-*");
            }
            return io.grpc.InsecureChannelCredentials.create();
        }
        if (tlsCert == null || tlsKey == null || tlsCa == null) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "TLS is required with --controller: give --tls-cert, --tls-key and --tls-ca (or --insecure for loopback and tests)");
        }
        return io.grpc.TlsChannelCredentials.newBuilder().keyManager(tlsCert.toFile(), tlsKey.toFile())
                .trustManager(tlsCa.toFile()).build();
    }

    /**
     * Classes whose initialization is a large part of the agent's start-up and has no side effect (FFM downcall
     * handles, the control server's gRPC classes). They are initialized on a second thread while the main thread
     * parses the flags and configures logging, so the two overlap on a multi-core machine. Class initialization is done
     * once, by whichever thread gets there first (the other waits), so this changes only when it happens. A name that
     * does not resolve is skipped. Not the protobuf files' descriptors: the agent never needs them (its messages are
     * encoded by generated code), and building them loaded some 200 classes, all kept in memory.
     */
    private static final List<String> WARM_UP = List.of(
            "dev.upfleet.agent.process.Libc",
            "dev.upfleet.proto.state.v1.InstanceRecord",
            "dev.upfleet.proto.control.v1.ControlGrpc",
            "dev.upfleet.agent.control.ControlService",
            "dev.upfleet.agent.control.transport.H2ServerConnection",
            "io.grpc.stub.ServerCalls");

    private static void warmUp() {
        Thread.ofPlatform().name("upfleet-warmup").daemon().start(() -> {
            ClassLoader loader = AgentMain.class.getClassLoader();
            for (String name : WARM_UP) {
                try {
                    Class.forName(name, true, loader);
                } catch (Throwable e) {
                    // Not there, or its initialization fails: the code that needs it reports that, as before.
                }
            }
        });
    }

    public static void main(String[] args) {
        // Before anything logs (gRPC's classes may): the daemon log, without a class path scan.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", DaemonLog.class.getName());
            System.setProperty("slf4j.internal.verbosity", System.getProperty("slf4j.internal.verbosity", "WARN"));
        }
        warmUp();
        AgentMain quick = quickParse(args);
        if (quick != null) {
            int code;
            try {
                code = quick.call();
            } catch (Exception e) {
                System.err.println("upfleet-agent: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                code = 1;
            }
            System.exit(code);
        }
        CommandLine cli = new CommandLine(new AgentMain());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("upfleet-agent: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        System.exit(cli.execute(args));
    }

    /**
     * The usual standalone command lines, parsed without picocli: building picocli's model of this class takes about
     * 0.3 s of start-up (reflection, mostly interpreted). Handles {@code --name VALUE}, {@code --name=VALUE} and the
     * boolean flags of the options below; returns null for anything else (help, version, cluster and TLS options,
     * unknown words, a missing or option-like value, a bad number), which picocli then parses and reports as always.
     */
    static AgentMain quickParse(String[] args) {
        AgentMain parsed = new AgentMain();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (parsed.setFlag(arg)) {
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
                value = args[++i];
            } else {
                return null;
            }
            try {
                if (!parsed.set(name, value)) {
                    return null;
                }
            } catch (InvalidPathException e) {
                return null;
            }
        }
        return parsed;
    }

    /** One boolean option of {@link #quickParse}; false when {@code arg} is not one. */
    private boolean setFlag(String arg) {
        switch (arg) {
            case "--no-startup-event" -> noStartupEvent = true;
            case "--no-inherit-env" -> noInheritEnv = true;
            case "--user" -> user = true;
            case "--no-log" -> noLog = true;
            case "-v", "--verbose" -> verbose = true;
            case "--debug" -> debug = true;
            case "-q", "--quiet" -> quiet = true;
            default -> {
                return false;
            }
        }
        return true;
    }

    /** One option of {@link #quickParse}; false when it is not one that it handles or the value is not plain. */
    private boolean set(String name, String value) {
        switch (name) {
            case "--confdir" -> confDirs.add(Path.of(value));
            case "--prepend-confdir" -> prependConfDirs.add(Path.of(value));
            case "--append-confdir" -> appendConfDirs.add(Path.of(value));
            case "--socket" -> socket = Path.of(value);
            case "--log-dir", "--logdir" -> logDir = Path.of(value);
            case "--state-dir" -> stateDir = Path.of(value);
            case "--event-log" -> eventLog = Path.of(value);
            case "--node" -> node = value;
            case "--metrics-address" -> metricsAddress = value;
            case "--runlevel" -> runlevel = value;
            case "--startup-event" -> startupEvent = value;
            case "--default-console" -> {
                if (Console.fromWireName(value).isEmpty()) {
                    return false;
                }
                defaultConsole = value;
            }
            case "--metrics-port" -> {
                if (!value.matches("[0-9]{1,9}")) {
                    return false;
                }
                metricsPort = Integer.valueOf(value);
            }
            case "--socket-mode" -> {
                if (!value.matches("[0-7]{1,4}")) {
                    return false;
                }
                socketMode = value;
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
