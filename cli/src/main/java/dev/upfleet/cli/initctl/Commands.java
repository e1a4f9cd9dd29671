package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.ArgParser.Invocation;
import dev.upfleet.cli.initctl.ArgParser.UsageError;
import dev.upfleet.cli.initctl.InitctlMain.Failure;
import dev.upfleet.cli.initctl.lean.LeanControlClient;
import dev.upfleet.proto.control.v1.ClassInfo;
import dev.upfleet.proto.control.v1.ClassesRequest;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.EnvRequest;
import dev.upfleet.proto.control.v1.EventMessage;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.LogPriorityRequest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One initctl command against the agent: builds the request, calls, prints Upstart's output. */
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
                    : printStatus(rpc().start(jobRequest()).getStatus());
            case "stop" -> inv.has("node") ? cluster().onNode(Verb.STOP, namedJobRequest())
                    : printStatus(rpc().stop(jobRequest()).getStatus());
            case "restart" -> inv.has("node") ? cluster().onNode(Verb.RESTART, namedJobRequest())
                    : printStatus(rpc().restart(jobRequest()).getStatus());
            case "status" -> inv.has("cluster") ? cluster().status(namedJobRequest().getJob())
                    : inv.has("node") ? cluster().onNode(Verb.STATUS, namedJobRequest())
                    : printStatus(rpc().status(jobRequest()).getStatus());
            case "reload" -> done(rpc().reload(jobRequest()));
            case "list" -> {
                if (inv.has("cluster")) {
                    yield cluster().list();
                }
                rpc().list(Empty.getDefaultInstance()).getInstancesList().forEach(s -> out.println(Formats.status(s)));
                yield 0;
            }
            case "emit" -> inv.has("cluster") || inv.has("nodes") ? cluster().emit(args) : emit(args);
            case "submit" -> cluster().submit(args);
            case "withdraw" -> cluster().withdraw(args);
            case "nodes" -> cluster().nodes();
            case "jobs" -> cluster().jobs();
            case "reload-configuration" -> done(rpc().reloadConfiguration(Empty.getDefaultInstance()));
            case "version" -> {
                out.println(rpc().version(Empty.getDefaultInstance()).getVersion());
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
                List<String> vars = new ArrayList<>(rpc().listEnv(envRequest().build()).getVarsList());
                vars.sort(null); // strcoll in the C locale: byte order
                vars.forEach(out::println);
                yield 0;
            }
            case "get-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable name");
                }
                out.println(rpc().getEnv(envRequest().addVars(args.getFirst()).build()).getVars(0));
                yield 0;
            }
            case "set-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable value");
                }
                yield done(rpc().setEnv(envRequest().addAllVars(args).setRetain(inv.has("retain")).build()));
            }
            case "unset-env" -> {
                if (args.isEmpty()) {
                    throw new UsageError("missing variable name");
                }
                yield done(rpc().unsetEnv(envRequest().addAllVars(args).build()));
            }
            case "reset-env" -> done(rpc().resetEnv(envRequest().build()));
            case "monitor" -> monitor();
            // upfleet has no Session Inits to list.
            case "list-sessions" -> 0;
            // The agent writes job logs as they come; there is no early-boot buffer to flush.
            case "notify-disk-writeable" -> 0;
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
            return JobRequest.newBuilder().setJob(env.get("UPSTART_JOB")).setByInstance(true)
                    .setInstance(env.get("UPSTART_INSTANCE")).setNoWait(true).build();
        }
        return JobRequest.newBuilder().setJob(args.getFirst()).addAllEnv(args.subList(1, args.size()))
                .setNoWait(inv.has("no-wait")).build();
    }

    /** A job named on the command line: another node's job cannot be the calling one. */
    private JobRequest namedJobRequest() throws UsageError {
        if (inv.args().isEmpty()) {
            throw new UsageError("missing job name");
        }
        return jobRequest();
    }

    private EnvRequest.Builder envRequest() {
        if (inv.has("global") || !inJob()) {
            return EnvRequest.newBuilder().setGlobal(true);
        }
        return EnvRequest.newBuilder().setJob(env.get("UPSTART_JOB")).setInstance(env.get("UPSTART_INSTANCE"));
    }

    private int printStatus(InstanceStatus s) {
        out.println(Formats.status(s));
        return 0;
    }

    private static int done(Object reply) {
        return 0;
    }

    private int emit(List<String> args) throws UsageError {
        if (args.isEmpty()) {
            throw new UsageError("missing event name");
        }
        return done(rpc().emit(EmitRequest.newBuilder().setName(args.getFirst())
                .addAllEnv(args.subList(1, args.size())).setNoWait(inv.has("no-wait")).build()));
    }

    private int logPriority(List<String> args) {
        LogPriorityRequest.Builder r = LogPriorityRequest.newBuilder();
        if (!args.isEmpty()) {
            rpc().logPriority(r.setPriority(args.getFirst()).build());
            return 0;
        }
        out.println(rpc().logPriority(r.build()).getPriority());
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
        out.println("Usage: " + classes(job).getFirst().getUsage());
        return 0;
    }

    private List<ClassInfo> classes(String job) {
        List<ClassInfo> list = rpc().classes(ClassesRequest.newBuilder().setJob(job).build()).getClassesList();
        if (!job.isEmpty() && list.isEmpty()) {
            throw new Failure("Unknown job: " + job);
        }
        return list;
    }

    private int checkConfig(List<String> args) {
        List<ClassInfo> all = classes("");
        String only = args.isEmpty() ? null : args.getFirst();
        if (only != null && all.stream().noneMatch(c -> c.getJob().equals(only))) {
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
                out.println(Formats.event(e));
                out.flush();
            });
        }
        return 0;
    }
}
