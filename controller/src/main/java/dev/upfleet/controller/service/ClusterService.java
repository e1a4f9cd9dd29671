package dev.upfleet.controller.service;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.controller.registry.RegistryException;
import dev.upfleet.controller.relay.AgentSession;
import dev.upfleet.controller.relay.PeerIdentity;
import dev.upfleet.controller.relay.RelayContext;
import dev.upfleet.core.cluster.NodeSelector;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.ClusterEmitReply;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
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
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.SubmitReply;
import dev.upfleet.proto.cluster.v1.SubmitRequest;
import dev.upfleet.proto.cluster.v1.WatchRequest;
import dev.upfleet.proto.cluster.v1.WithdrawReply;
import dev.upfleet.proto.cluster.v1.WithdrawRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The controller's gRPC face: agent sessions, and the one-shot cluster operations of {@code initctl} (submit,
 * withdraw, jobs, nodes, emit --cluster, monitor --cluster). Registry failures map to UNAVAILABLE, bad input to
 * INVALID_ARGUMENT with the reason; nothing here throws past the edge.
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
    /** Job names as in /etc/init: a relative path without ".." or a leading '/'. */
    private static final Pattern JOB_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._@+-]*(/[A-Za-z0-9_][A-Za-z0-9._@+-]*)*");
    private static final int MAX_JOB_BYTES = 256 * 1024;
    /** As for agents' publishes (AgentSession). */
    private static final int MAX_EVENT_BYTES = 64 * 1024;

    private final RelayContext ctx;
    private final AtomicLong directSeq = new AtomicLong(System.currentTimeMillis() << 16);

    public ClusterService(RelayContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public StreamObserver<AgentMessage> session(StreamObserver<ControllerMessage> responses) {
        return new AgentSession(ctx, (ServerCallStreamObserver<ControllerMessage>) responses);
    }

    @Override
    public void submit(SubmitRequest request, StreamObserver<SubmitReply> responses) {
        unary(responses, () -> {
            List<JobDefinition> valid = new ArrayList<>();
            for (JobFile file : request.getFilesList()) {
                valid.add(validate(file));
            }
            SubmitReply.Builder reply = SubmitReply.newBuilder();
            for (JobDefinition job : valid) {
                ctx.registry().putJob(job);
                reply.addStored(job.getName());
            }
            return reply.build();
        });
    }

    /** The same parser as the agents': a file that would not load is refused before any node sees it. */
    static JobDefinition validate(JobFile file) {
        if (!JOB_NAME.matcher(file.getName()).matches() || file.getName().contains("..")) {
            throw Status.INVALID_ARGUMENT.withDescription("invalid job name: '" + file.getName() + "'").asRuntimeException();
        }
        if (file.getText().length() > MAX_JOB_BYTES) {
            throw Status.INVALID_ARGUMENT.withDescription(file.getName() + ".conf: larger than " + MAX_JOB_BYTES + " bytes")
                    .asRuntimeException();
        }
        return switch (JobParser.parse(file.getName(), file.getName() + ".conf", file.getText())) {
            case ParseResult.Parsed p -> JobDefinition.newBuilder().setName(file.getName()).setText(file.getText()).build();
            case ParseResult.Failed f -> throw Status.INVALID_ARGUMENT.withDescription(f.problem().render()).asRuntimeException();
        };
    }

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawReply> responses) {
        unary(responses, () -> {
            WithdrawReply.Builder reply = WithdrawReply.newBuilder();
            for (String name : request.getNamesList()) {
                if (!ctx.registry().deleteJob(name)) {
                    throw Status.NOT_FOUND.withDescription("Unknown job: " + name).asRuntimeException();
                }
                reply.addWithdrawn(name);
            }
            return reply.build();
        });
    }

    @Override
    public void listJobs(ListJobsRequest request, StreamObserver<ListJobsReply> responses) {
        unary(responses, () -> ListJobsReply.newBuilder().addAllJobs(ctx.registry().jobs().stream()
                .sorted(Comparator.comparing(JobDefinition::getName)).toList()).build());
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesReply> responses) {
        unary(responses, () -> ListNodesReply.newBuilder().addAllNodes(ctx.registry().nodes().stream()
                .sorted(Comparator.comparing(n -> n.getNode())).toList()).build());
    }

    @Override
    public void emit(ClusterEmitRequest request, StreamObserver<ClusterEmitReply> responses) {
        unary(responses, () -> {
            if (request.getName().isEmpty()) {
                throw Status.INVALID_ARGUMENT.withDescription("Name may not be empty string").asRuntimeException();
            }
            for (String e : request.getEnvList()) {
                if (e.indexOf('=') <= 0) {
                    throw Status.INVALID_ARGUMENT.withDescription("Env must be KEY=VALUE pairs").asRuntimeException();
                }
            }
            String origin = request.getOriginNode().isEmpty() ? "cli" : request.getOriginNode();
            if (!NodeSelector.validNodeName(origin)) {
                throw Status.INVALID_ARGUMENT.withDescription("invalid origin node: " + origin).asRuntimeException();
            }
            // Under mTLS a named origin must be the caller's own certificate: no node speaks for another.
            Status denied = request.getOriginNode().isEmpty() ? null : PeerIdentity.checkCurrentCall(origin);
            if (denied != null) {
                throw denied.asRuntimeException();
            }
            RelayedEvent event = RelayedEvent.newBuilder().setOriginNode(origin).setOriginSeq(directSeq.incrementAndGet())
                    .setName(request.getName()).addAllEnv(request.getEnvList())
                    .setTarget(request.getSelector().isBlank() ? "*" : request.getSelector())
                    .setEmittedUnixMillis(System.currentTimeMillis()).build();
            if (event.getSerializedSize() > MAX_EVENT_BYTES) {
                throw Status.INVALID_ARGUMENT.withDescription("event " + request.getName() + " is "
                        + event.getSerializedSize() + " bytes (max " + MAX_EVENT_BYTES + ")").asRuntimeException();
            }
            long revision = ctx.registry().storeEvents(List.of(event), ctx.retentionLease()).getFirst();
            return ClusterEmitReply.newBuilder().setRevision(revision).build();
        });
    }

    /** Answered by the node's agent, however long the command takes there; the registry writes run on a virtual thread. */
    @Override
    public void nodeControl(NodeControlRequest request, StreamObserver<StatusReply> responses) {
        ctx.executor().execute(() -> {
            try {
                ctx.commands().ask(request.getNode(), request.getVerb(), request.getRequest()).whenComplete((status, error) -> {
                    if (error == null) {
                        responses.onNext(StatusReply.newBuilder().setStatus(status).build());
                        responses.onCompleted();
                    } else {
                        responses.onError(statusOf(error).asRuntimeException());
                    }
                });
            } catch (RuntimeException e) {
                responses.onError(statusOf(e).asRuntimeException());
            }
        });
    }

    @Override
    public void listStates(ListStatesRequest request, StreamObserver<ListStatesReply> responses) {
        unary(responses, () -> ListStatesReply.newBuilder().addAllStates(ctx.registry().allStates().stream()
                .filter(s -> request.getJob().isEmpty() || s.getStatus().getJob().equals(request.getJob()))
                .sorted(Comparator.comparing(NodeInstanceStatus::getNode)
                        .thenComparing(s -> s.getStatus().getJob())
                        .thenComparing(s -> s.getStatus().getInstance()))
                .toList()).build());
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<RelayedEvent> responses) {
        ServerCallStreamObserver<RelayedEvent> out = (ServerCallStreamObserver<RelayedEvent>) responses;
        long after = request.getAfterRevision() == 0 ? ctx.registry().currentRevision() : request.getAfterRevision();
        Registry.Watch watch = ctx.registry().watchEvents(after, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.StoredEvent stored) {
                synchronized (out) {
                    if (!out.isCancelled()) {
                        out.onNext(stored.event().toBuilder().setRevision(stored.revision()).build());
                    }
                }
            }

            @Override
            public void compacted(long compactRevision) {
                synchronized (out) {
                    out.onError(Status.OUT_OF_RANGE.withDescription("history compacted at revision " + compactRevision)
                            .asRuntimeException());
                }
            }

            @Override
            public void failed(Throwable cause) {
                synchronized (out) {
                    out.onError(Status.UNAVAILABLE.withDescription(cause.toString()).asRuntimeException());
                }
            }
        });
        out.setOnCancelHandler(watch::close);
    }

    private interface Call<T> {
        T run();
    }

    private static <T> void unary(StreamObserver<T> responses, Call<T> call) {
        T reply;
        try {
            reply = call.run();
        } catch (RuntimeException e) {
            responses.onError(statusOf(e).asRuntimeException());
            return;
        }
        responses.onNext(reply);
        responses.onCompleted();
    }

    /** The one place where failures become gRPC statuses. */
    private static Status statusOf(Throwable failure) {
        Throwable t = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                ? c.getCause() : failure;
        return switch (t) {
            case StatusRuntimeException e -> e.getStatus();
            case RegistryException e -> Status.UNAVAILABLE.withDescription("etcd: " + e.getMessage());
            default -> Status.INTERNAL.withDescription(t.toString());
        };
    }
}
