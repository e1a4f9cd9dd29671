package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.ArgParser.Invocation;
import dev.upfleet.cli.initctl.ArgParser.UsageError;
import dev.upfleet.cli.initctl.InitctlMain.Failure;
import dev.upfleet.cli.initctl.lean.RpcException;
import dev.upfleet.proto.cluster.v1.ClusterEmitReply;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.JobFile;
import dev.upfleet.proto.cluster.v1.ListJobsReply;
import dev.upfleet.proto.cluster.v1.ListJobsRequest;
import dev.upfleet.proto.cluster.v1.ListNodesReply;
import dev.upfleet.proto.cluster.v1.ListNodesRequest;
import dev.upfleet.proto.cluster.v1.ListStatesReply;
import dev.upfleet.proto.cluster.v1.ListStatesRequest;
import dev.upfleet.proto.cluster.v1.NodeControlRequest;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.SubmitReply;
import dev.upfleet.proto.cluster.v1.SubmitRequest;
import dev.upfleet.proto.cluster.v1.WithdrawReply;
import dev.upfleet.proto.cluster.v1.WithdrawRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.upfleet.cli.initctl.lean.ControlMessages;
import dev.upfleet.cli.initctl.lean.ProtoException;
import dev.upfleet.cli.initctl.lean.ProtoReader;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The cluster verbs: {@code emit --cluster|--nodes SELECTOR}, {@code submit FILE...}, {@code withdraw JOB...},
 * {@code nodes}, {@code jobs}, {@code monitor --cluster}, {@code list --cluster}, {@code status --cluster JOB} and
 * {@code start|stop|restart|status --node NODE JOB}. They reach the cluster through the local agent's socket,
 * which serves the Cluster service and forwards to its controller.
 */
final class ClusterCommands {
    private static final String SERVICE = "upfleet.cluster.v1.Cluster";

    private final ControlClient client;
    private final Invocation inv;
    private final PrintStream out;

    ClusterCommands(ControlClient client, Invocation inv, PrintStream out) {
        this.client = client;
        this.inv = inv;
        this.out = out;
    }

    /** Emits on every node the selector picks (all with --cluster); returns once the cluster stored the event. */
    int emit(List<String> args) throws UsageError {
        if (args.isEmpty()) {
            throw new UsageError("missing event name");
        }
        String selector = inv.has("nodes") ? inv.value("nodes") : "*";
        call("Emit", ClusterEmitRequest.newBuilder().setName(args.getFirst()).addAllEnv(args.subList(1, args.size()))
                .setSelector(selector).build(), ClusterEmitReply.parser());
        return 0;
    }

    /** Stores job files in the cluster; each is checked by the controller's parser first. */
    int submit(List<String> files) throws UsageError {
        if (files.isEmpty()) {
            throw new UsageError("missing job file");
        }
        SubmitRequest.Builder request = SubmitRequest.newBuilder();
        for (String f : files) {
            Path path = Path.of(f);
            String base = path.getFileName().toString();
            if (!base.endsWith(".conf")) {
                throw new Failure(f + ": a job file must end in .conf");
            }
            try {
                request.addFiles(JobFile.newBuilder().setName(base.substring(0, base.length() - ".conf".length()))
                        .setText(Files.readString(path, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new Failure(f + ": " + (e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
                        : e.getMessage()));
            }
        }
        call("Submit", request.build(), SubmitReply.parser());
        return 0;
    }

    int withdraw(List<String> names) throws UsageError {
        if (names.isEmpty()) {
            throw new UsageError("missing job name");
        }
        call("Withdraw", WithdrawRequest.newBuilder().addAllNames(names).build(), WithdrawReply.parser());
        return 0;
    }

    /** One line per node: {@code NAME LABEL=VALUE... (via CONTROLLER)}, by name. */
    int nodes() {
        for (NodeInfo n : call("ListNodes", ListNodesRequest.getDefaultInstance(), ListNodesReply.parser()).getNodesList()) {
            String labels = new TreeMap<>(n.getLabelsMap()).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
            out.println(n.getNode() + (labels.isEmpty() ? "" : " " + labels) + " (via " + n.getController() + ")");
        }
        return 0;
    }

    /** The replicated jobs, one name a line. */
    int jobs() {
        for (JobDefinition j : call("ListJobs", ListJobsRequest.getDefaultInstance(), ListJobsReply.parser()).getJobsList()) {
            out.println(j.getName());
        }
        return 0;
    }

    /** A job command run by another node's agent; its answer is printed as a local one would be. */
    int onNode(Verb verb, ControlMessages.JobRequest request) {
        StatusReply reply;
        try {
            reply = call("NodeControl", NodeControlRequest.newBuilder().setNode(inv.value("node")).setVerb(verb)
                    .setRequest(dev.upfleet.proto.control.v1.JobRequest.parseFrom(request.toByteArray())).build(),
                    StatusReply.parser());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the two Control codecs disagree", e);
        }
        out.println(Formats.status(lean(reply.getStatus())));
        return 0;
    }

    /** Every node's jobs, as each node's {@code initctl list} shows them, each line prefixed {@code NODE: }. */
    int list() {
        states("").forEach(this::printState);
        return 0;
    }

    /** JOB on every node that has it; Upstart's {@code Unknown job} when none has. */
    int status(String job) {
        List<NodeInstanceStatus> states = states(job);
        if (states.isEmpty()) {
            throw new Failure("Unknown job: " + job);
        }
        states.forEach(this::printState);
        return 0;
    }

    private List<NodeInstanceStatus> states(String job) {
        return call("ListStates", ListStatesRequest.newBuilder().setJob(job).build(), ListStatesReply.parser())
                .getStatesList();
    }

    private void printState(NodeInstanceStatus s) {
        out.println(s.getNode() + ": " + Formats.status(lean(s.getStatus())));
    }

    /** The generated message in initctl's own form (the same wire format), to print as every status is printed. */
    private static ControlMessages.InstanceStatus lean(dev.upfleet.proto.control.v1.InstanceStatus s) {
        try {
            return ControlMessages.InstanceStatus.read(ProtoReader.of(s.toByteArray()));
        } catch (ProtoException e) {
            throw new IllegalStateException("the two Control codecs disagree", e);
        }
    }

    /** Every relayed event as it is stored: {@code NODE NAME KEY=VALUE...}. */
    int monitor() {
        try (GrpcMonitor monitor = new GrpcMonitor(client.socket())) {
            monitor.runCluster(e -> {
                String env = e.getEnvCount() == 0 ? "" : " " + String.join(" ", e.getEnvList());
                String target = e.getTarget().isEmpty() ? "" : " (to " + e.getTarget() + ")";
                out.println(e.getOriginNode() + " " + e.getName() + env + target);
                out.flush();
            });
        }
        return 0;
    }

    /** A unary call of the Cluster service; its messages are protobuf-java's (these verbs are not start-up bound). */
    private <T> T call(String method, MessageLite request, Parser<T> parser) {
        byte[] reply;
        try {
            reply = client.rpc().call(SERVICE, method, request.toByteArray());
        } catch (RpcException e) {
            if (e.code() == RpcException.Code.UNIMPLEMENTED) {
                throw new Failure("this agent is not part of a cluster (it runs without --controller)");
            }
            throw e;
        }
        try {
            return parser.parseFrom(reply);
        } catch (InvalidProtocolBufferException e) {
            throw RpcException.invalidMessage(e);
        }
    }
}
