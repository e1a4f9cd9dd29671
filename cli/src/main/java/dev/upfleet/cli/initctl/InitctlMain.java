package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.ArgParser.Invocation;
import dev.upfleet.cli.initctl.ArgParser.UsageError;
import dev.upfleet.cli.initctl.lean.RpcException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * {@code initctl}, and {@code start}/{@code stop}/{@code restart}/{@code reload}/{@code status} when run under those
 * names (the launchers pass the name as system property {@code upfleet.prog}). Output and exit codes are Upstart
 * 1.13's: usage errors are two lines on stderr, runtime errors one line {@code PROG: MESSAGE}, both exit 1.
 *
 * <p>Start-up time matters (every job script may call it, and {@code emit} is on the path of stopping jobs), so this
 * path avoids reflection, lambdas and streams, talks to the agent without gRPC's, Netty's and protobuf-java's classes
 * (only {@code monitor} and the cluster verbs load them), prints through one buffered stream, and leaves the JVM
 * with {@code halt}. bin/initctl adds an AOT cache and runs the short commands interpreted.
 */
public final class InitctlMain {
    static final String DEFAULT_SOCKET = "/run/upfleet/agent.sock";
    private static final Set<String> LINK_NAMES = Set.of("start", "stop", "restart", "reload", "status");
    private static final String SELECTOR_PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    private static final String LINUX_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

    /** Thrown for a runtime error: printed as {@code PROG: MESSAGE}, exit 1. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        String prog = System.getProperty("upfleet.prog", "initctl");
        nameTheSelectorProvider();
        int rc = args.length > 0 && args[0].equals(AotTraining.FLAG)
                ? AotTraining.run(System.getenv())
                : run(prog, args, System.getenv(), out, err, true);
        out.flush();
        err.flush();
        // halt, not exit: no shutdown hook has work to do, and exit first looks up a System.Logger to log the exit,
        // which loads and sets up the logging classes. After monitor, Netty's event loop may still be winding
        // down: do not wait for it either. (A JVM recording for an AOT cache writes its configuration at halt too.)
        Runtime.getRuntime().halt(rc);
    }

    /**
     * Names the JDK's own selector provider where it is the known Linux one, so that opening the socket channel does
     * not first look for another provider with a ServiceLoader, which opens and searches every jar of the class path
     * (the largest start-up cost after the JVM's own). Elsewhere, or when the property is set, nothing changes.
     */
    private static void nameTheSelectorProvider() {
        if (System.getProperty(SELECTOR_PROVIDER_PROPERTY) != null) {
            return;
        }
        try {
            Class.forName(LINUX_SELECTOR_PROVIDER, false, null);
            System.setProperty(SELECTOR_PROVIDER_PROPERTY, LINUX_SELECTOR_PROVIDER);
        } catch (ClassNotFoundException e) {
            // another platform or JDK: the usual lookup
        }
    }

    /** As {@code initctl ARGS}. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run("initctl", args, env, out, err);
    }

    /** As the program {@code prog} ({@code initctl}, or a link name that implies the command). */
    public static int run(String prog, String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(prog, args, env, out, err, false);
    }

    /** {@code exitFollows}: the process ends after this call, which may leave its socket for the exit to close. */
    static int run(String prog, String[] args, Map<String, String> env, PrintStream out, PrintStream err,
                           boolean exitFollows) {
        String[] argv = args;
        if (LINK_NAMES.contains(prog)) {
            argv = new String[args.length + 1];
            argv[0] = prog;
            System.arraycopy(args, 0, argv, 1, args.length);
        }
        try {
            Invocation inv = ArgParser.parse(argv);
            if (inv.has("help")) {
                // After the command, --help describes that command (nih_command_handle); before it, initctl.
                out.print(inv.command() == null ? HelpText.help(prog)
                        : HelpText.commandHelp(prog, inv.command(), argv != args, ArgParser.COMMANDS.get(inv.command())));
                return 0;
            }
            if (inv.has("version")) {
                out.print(HelpText.version(prog));
                return 0;
            }
            if (inv.command() == null) {
                throw new UsageError("missing command");
            }
            if (inv.command().equals("help")) {
                out.print(HelpText.commands());
                return 0;
            }
            if (inv.has("dest") && !inv.has("system")) {
                throw new UsageError("--dest given without --system");
            }
            // UPSTART_SESSION locates a Session Init; the agent is located by --socket or UPFLEET_SOCKET (set in
            // every job's environment), so --user fails only when nothing names the instance to talk to.
            if (inv.has("user") && env.get("UPSTART_SESSION") == null && namedSocket(inv, env) == null) {
                throw new Failure("UPSTART_SESSION isn't set in the environment. Unable to locate the Upstart instance.");
            }
            // libnih's -q raises the log priority above "message": every normal output line is dropped.
            PrintStream sink = inv.has("quiet") ? new PrintStream(OutputStream.nullOutputStream()) : out;
            try (ControlClient client = new ControlClient(Path.of(socketPath(inv, env)), exitFollows)) {
                try {
                    return new Commands(client, inv, env, sink).run();
                } catch (RpcException e) {
                    throw new Failure(client.describe(e));
                }
            }
        } catch (UsageError e) {
            err.println(prog + ": " + e.getMessage());
            err.println("Try `" + prog + " --help' for more information.");
            return 1;
        } catch (Failure e) {
            err.println(prog + ": " + e.getMessage());
            return 1;
        } finally {
            out.flush();
        }
    }

    private static String socketPath(Invocation inv, Map<String, String> env) {
        String s = namedSocket(inv, env);
        return s == null ? DEFAULT_SOCKET : s;
    }

    /** The agent's socket as --socket or UPFLEET_SOCKET names it; null when neither does. */
    private static String namedSocket(Invocation inv, Map<String, String> env) {
        String s = inv.options().get("socket");
        if (s == null || s.isEmpty()) {
            s = env.get("UPFLEET_SOCKET");
        }
        return s == null || s.isEmpty() ? null : s;
    }
}
