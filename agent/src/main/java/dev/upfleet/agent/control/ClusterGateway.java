package dev.upfleet.agent.control;

import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.ClusterEmitReply;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.ListJobsReply;
import dev.upfleet.proto.cluster.v1.ListJobsRequest;
import dev.upfleet.proto.cluster.v1.ListNodesReply;
import dev.upfleet.proto.cluster.v1.ListNodesRequest;
import dev.upfleet.proto.cluster.v1.ListStatesReply;
import dev.upfleet.proto.cluster.v1.ListStatesRequest;
import dev.upfleet.proto.cluster.v1.NodeControlRequest;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.SubmitReply;
import dev.upfleet.proto.cluster.v1.SubmitRequest;
import dev.upfleet.proto.cluster.v1.WatchRequest;
import dev.upfleet.proto.cluster.v1.WithdrawReply;
import dev.upfleet.proto.cluster.v1.WithdrawRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The Cluster service on the agent's local socket, so that initctl reaches the cluster through its own agent
 * (DESIGN.md): one-shot calls are forwarded to the agent's current controller, and a cluster emit is published by the
 * agent itself (origin, sequence number, retries across failover). Sessions are only for agents, at controllers.
 */
final class ClusterGateway extends ClusterGrpc.ClusterImplBase {
    private static final long FORWARD_DEADLINE_S = 15;

    private final ClusterAccess cluster;
    private final CallerPolicy policy;

    ClusterGateway(ClusterAccess cluster, CallerPolicy policy) {
        this.cluster = cluster;
        this.policy = policy;
    }

    @Override
    public StreamObserver<AgentMessage> session(StreamObserver<ControllerMessage> responses) {
        responses.onError(Status.UNIMPLEMENTED.withDescription("sessions are served by controllers").asRuntimeException());
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentMessage value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        };
    }

    @Override
    public void emit(ClusterEmitRequest request, StreamObserver<ClusterEmitReply> out) {
        if (!allowed("You do not have permission to emit events", out)) {
            return;
        }
        if (request.getName().isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("Name may not be empty string").asRuntimeException());
            return;
        }
        if (request.getEnvList().stream().anyMatch(e -> e.indexOf('=') <= 0)) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("Env must be KEY=VALUE pairs").asRuntimeException());
            return;
        }
        cluster.emitCluster(request.getName(), request.getEnvList(), request.getSelector())
                .orTimeout(60, TimeUnit.SECONDS)
                .whenComplete((revision, error) -> {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                            ? c.getCause() : error;
                    if (cause instanceof IllegalArgumentException bad) {
                        out.onError(Status.INVALID_ARGUMENT.withDescription(bad.getMessage()).asRuntimeException());
                    } else if (error != null) {
                        out.onError(Status.UNAVAILABLE.withDescription("the event was not stored: no controller reachable")
                                .asRuntimeException());
                    } else {
                        out.onNext(ClusterEmitReply.newBuilder().setRevision(revision).build());
                        out.onCompleted();
                    }
                });
    }

    @Override
    public void submit(SubmitRequest request, StreamObserver<SubmitReply> out) {
        if (allowed("You do not have permission to submit jobs", out)) {
            forward(out, (stub, o) -> stub.submit(request, o));
        }
    }

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawReply> out) {
        if (allowed("You do not have permission to withdraw jobs", out)) {
            forward(out, (stub, o) -> stub.withdraw(request, o));
        }
    }

    @Override
    public void listJobs(ListJobsRequest request, StreamObserver<ListJobsReply> out) {
        forward(out, (stub, o) -> stub.listJobs(request, o));
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesReply> out) {
        forward(out, (stub, o) -> stub.listNodes(request, o));
    }

    @Override
    public void listStates(ListStatesRequest request, StreamObserver<ListStatesReply> out) {
        forward(out, (stub, o) -> stub.listStates(request, o));
    }

    /** No deadline: like a local start, it waits as long as the job takes to settle on its node. */
    @Override
    public void nodeControl(NodeControlRequest request, StreamObserver<StatusReply> out) {
        if (request.getVerb() != Verb.STATUS
                && !allowed("You do not have permission to modify job: " + request.getRequest().getJob(), out)) {
            return;
        }
        forward(out, false, (stub, o) -> stub.nodeControl(request, o));
    }

    /** A stream for as long as the caller keeps it. */
    @Override
    public void watch(WatchRequest request, StreamObserver<RelayedEvent> out) {
        forward(out, false, (stub, o) -> stub.watch(request, o));
    }

    private <T> void forward(StreamObserver<T> out, BiConsumer<ClusterGrpc.ClusterStub, StreamObserver<T>> call) {
        forward(out, true, call);
    }

    /** Sends the call on to the current controller (with the one-shot deadline when {@code bounded}). */
    private <T> void forward(StreamObserver<T> out, boolean bounded,
                             BiConsumer<ClusterGrpc.ClusterStub, StreamObserver<T>> call) {
        Channel channel = cluster.controller();
        if (channel == null) {
            out.onError(notConnected());
            return;
        }
        ClusterGrpc.ClusterStub stub = ClusterGrpc.newStub(channel);
        call.accept(bounded ? stub.withDeadlineAfter(FORWARD_DEADLINE_S, TimeUnit.SECONDS) : stub, out);
    }

    private boolean allowed(String message, StreamObserver<?> out) {
        try {
            policy.checkModify(message);
            return true;
        } catch (CallerPolicy.PermissionDenied e) {
            out.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            return false;
        }
    }

    private static RuntimeException notConnected() {
        return Status.UNAVAILABLE.withDescription("not connected to a controller").asRuntimeException();
    }
}
