package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.ArgParser.Invocation;
import dev.upfleet.cli.initctl.ArgParser.UsageError;
import dev.upfleet.cli.initctl.InitctlMain.Failure;
import dev.upfleet.cli.initctl.lean.ControlMessages.ClassInfo;
import dev.upfleet.cli.initctl.lean.ControlMessages.ClassesRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.EmitRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.EnvRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.InstanceStatus;
import dev.upfleet.cli.initctl.lean.ControlMessages.JobRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.LogPriorityRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.StatusReply;
import dev.upfleet.cli.initctl.lean.LeanControlClient;
import dev.upfleet.proto.cluster.v1.Verb;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One initctl command against the agent: builds the request, calls, prints Upstart's output. The common commands
 * (status, start, stop, emit, list) run on a short path without lambdas, streams or string concatenation, each of
 * which would cost start-up time in class loading and linking.
 */
final class Commands {
    private final ControlClient client;
    private final Invocation inv;
    private final Map<String, String> env;
    private final PrintStream out;

    Commands(ControlClient client, Invocation inv, Map<String, String> env, PrintStream out) {
        this.client = client;
        this.inv = inv;
        this.env = env;
        this.out = out;
    }

    int run() throws UsageError {
        List<String> args = inv.args();
        return switch (inv.command()) {
            case "start" -> inv.has("node") ? cluster().onNode(Verb.START, namedJobRequest())
                    : printStatus(rpc().start(jobRequest()));
            case "stop" -> inv.has("node") ? cluster().onNode(Verb.STOP, namedJobRequest())
                    : printStatus(rpc().stop(jobRequest()));
            case "restart" -> inv.has("node") ? cluster().onNode(Verb.RESTART, namedJobRequest())
                    : printStatus(rpc().restart(jobRequest()));
            case "status" -> inv.has("cluster") ? cluster().status(namedJobRequest().job())
                    : inv.has("node") ? cluster().onNode(Verb.STATUS, namedJobRequest())
                    : printStatus(rpc().status(jobRequest()));
            case "reload" -> done(rpc().reload(jobRequest()));
            case "list" -> {
                if (inv.has("cluster")) {
                    yield cluster().list();
                }
                for (InstanceStatus s : rpc().list().instances()) {
                    out.println(Formats.status(s));
                }
                yield 0;
            }
            case "emit" -> inv.has("cluster") || inv.has("nodes") ? cluster().emit(args) : emit(args);
            case "submit" -> cluster().submit(args);
            case "withdraw" -> cluster().withdraw(args);
            case "nodes" -> cluster().nodes();
            case "jobs" -> cluster().jobs();
            case "reload-configuration" -> done(rpc().reloadConfiguration());
            case "version" -> {
                out.println(rpc().version().version());
                yield 0;
            }
            case "log-priority" -> logPriority(args);
            case "usage" -> usage();
            case "show-config" -> {
                ConfigReport.showConfig(classes(args.isEmpty() ? "" : args.getFirst()), inv.has("enumerate"))
                        .forEach(out::println);
                yield 0;
            }
            case "check-config" -> checkConfig(args);
            case "list-env" -> {
                List<String> vars = new ArrayList<>(rpc().listEnv(envRequest(List.of(), false)).vars());
                vars.sort(null); // strcoll in the C locale: byte order
                vars.forEach(out::println);
                yield 0;
            }
            case "get-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable name");
                }
                out.println(rpc().getEnv(envRequest(List.of(args.getFirst()), false)).vars().get(0));
                yield 0;
            }
            case "set-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable value");
                }
                yield done(rpc().setEnv(envRequest(args, inv.has("retain"))));
            }
            case "unset-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable name");
                }
                yield done(rpc().unsetEnv(envRequest(args, false)));
            }
            case "reset-env" -> done(rpc().resetEnv(envRequest(List.of(), false)));
            case "monitor" -> monitor();
            // upfleet has no Session Inits to list.
            case "list-sessions" -> 0;
            case "notify-disk-writeable" -> done(rpc().notifyDiskWriteable());
            // upfleet joins no D-Bus bus and ignores cgroup stanzas (as an Upstart without cgroup support does), so
            // neither address has a use: accepted and ignored, as Upstart ignores a bus address once connected.
            case "notify-dbus-address" -> requireAddress(args, "missing D-Bus address");
            case "notify-cgroup-manager-address" -> requireAddress(args, "missing cgroup manager address");
            default -> throw new UsageError("invalid command: " + inv.command());
        };
    }

    private LeanControlClient rpc() {
        return client.rpc();
    }

    private boolean inJob() {
        return env.get("UPSTART_JOB") != null && env.get("UPSTART_INSTANCE") != null;
    }

    /** Without JOB inside a job: the calling instance, by name, never waiting (it would deadlock the job). */
    private JobRequest jobRequest() throws UsageError {
        List<String> args = inv.args();
        if (args.isEmpty()) {
            if (!inJob()) {
                throw new UsageError("missing job name");
            }
            return new JobRequest(env.get("UPSTART_JOB"), true, env.get("UPSTART_INSTANCE"), List.of(), true);
        }
        return new JobRequest(args.getFirst(), false, "", args.subList(1, args.size()), inv.has("no-wait"));
    }

    /** A job named on the command line: another node's job cannot be the calling one. */
    private JobRequest namedJobRequest() throws UsageError {
        if (inv.args().isEmpty()) {
            throw new UsageError("missing job name");
        }
        return jobRequest();
    }

    private EnvRequest envRequest(List<String> vars, boolean retain) {
        if (inv.has("global") || !inJob()) {
            return new EnvRequest(true, "", "", vars, retain);
        }
        return new EnvRequest(false, env.get("UPSTART_JOB"), env.get("UPSTART_INSTANCE"), vars, retain);
    }

    private int printStatus(StatusReply reply) {
        out.println(Formats.status(reply.statusOrDefault()));
        return 0;
    }

    private static int done(Object reply) {
        return 0;
    }

    private static int requireAddress(List<String> args, String missing) throws UsageError {
        if (args.isEmpty()) {
            throw new UsageError(missing);
        }
        return 0;
    }

    private int emit(List<String> args) throws UsageError {
        if (args.isEmpty()) {
            throw new UsageError("missing event name");
        }
        return done(rpc().emit(new EmitRequest(args.getFirst(), args.subList(1, args.size()), inv.has("no-wait"))));
    }

    private int logPriority(List<String> args) {
        if (!args.isEmpty()) {
            rpc().logPriority(new LogPriorityRequest(args.getFirst()));
            return 0;
        }
        out.println(rpc().logPriority(new LogPriorityRequest("")).priority());
        return 0;
    }

    private int usage() throws UsageError {
        String job;
        if (!inv.args().isEmpty()) {
            job = inv.args().getFirst();
        } else if (inJob()) {
            job = env.get("UPSTART_JOB");
        } else {
            throw new UsageError("missing job name");
        }
        out.println("Usage: " + classes(job).getFirst().usage());
        return 0;
    }

    private List<ClassInfo> classes(String job) {
        List<ClassInfo> list = rpc().classes(new ClassesRequest(job)).classes();
        if (!job.isEmpty() && list.isEmpty()) {
            throw new Failure("Unknown job: " + job);
        }
        return list;
    }

    private int checkConfig(List<String> args) {
        List<ClassInfo> all = classes("");
        String only = args.isEmpty() ? null : args.getFirst();
        if (only != null && all.stream().noneMatch(c -> c.job().equals(only))) {
            throw new Failure("Invalid job class: " + only);
        }
        String ignore = inv.options().getOrDefault("ignore-events", "");
        Set<String> ignored = new HashSet<>(Arrays.asList(ignore.split(",")));
        boolean userMode = inv.has("user") || env.get("UPSTART_SESSION") != null;
        List<String> lines = ConfigReport.checkConfig(all, only, ignored, inv.has("warn"), userMode);
        lines.forEach(out::println);
        return lines.isEmpty() ? 0 : 1;
    }

    private ClusterCommands cluster() {
        return new ClusterCommands(client, inv, out);
    }

    private int monitor() {
        if (inv.has("cluster")) {
            return cluster().monitor();
        }
        try (GrpcMonitor monitor = new GrpcMonitor(client.socket())) {
            monitor.run(e -> {
                out.println(GrpcMonitor.format(e));
                out.flush();
            });
        }
        return 0;
    }
}
