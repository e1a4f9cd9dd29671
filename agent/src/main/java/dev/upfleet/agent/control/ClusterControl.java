package dev.upfleet.agent.control;

import dev.upfleet.proto.cluster.v1.CommandFailure;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.StatusReply;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * What the cluster may ask of this agent: run a job command for {@code initctl --node} on another node, and report
 * every job's state for {@code initctl --cluster list}. Commands run through the same {@link ControlService} path as
 * the local socket's, so they are checked, answered and refused exactly as a local {@code initctl} would be; the
 * controller's mutual TLS is their authority, so no local caller check applies. Thread-safe.
 */
public final class ClusterControl {
    private final ControlService service;
    private final JobControl control;

    ClusterControl(ControlService service, JobControl control) {
        this.service = service;
        this.control = control;
    }

    /** Runs {@code command}; {@code answer} is called once, from whichever thread settles it. */
    public void run(NodeCommand command, Consumer<CommandResult> answer) {
        StreamObserver<StatusReply> out = new StreamObserver<>() {
            @Override
            public void onNext(StatusReply reply) {
                answer.accept(CommandResult.newBuilder().setId(command.getId()).setStatus(reply.getStatus()).build());
            }

            @Override
            public void onError(Throwable t) {
                Status s = Status.fromThrowable(t);
                answer.accept(CommandResult.newBuilder().setId(command.getId()).setFailure(CommandFailure.newBuilder()
                        .setCode(s.getCode().value()).setMessage(s.getDescription() == null ? s.getCode().name()
                                : s.getDescription())).build());
            }

            @Override
            public void onCompleted() {}
        };
        switch (command.getVerb()) {
            case START -> service.start(command.getRequest(), out);
            case STOP -> service.stop(command.getRequest(), out);
            case RESTART -> service.restart(command.getRequest(), out);
            case STATUS -> service.status(command.getRequest(), out);
            case VERB_UNSPECIFIED, UNRECOGNIZED ->
                    out.onError(Status.INVALID_ARGUMENT.withDescription("unknown command").asRuntimeException());
        }
    }

    /** Every instance and idle class, as {@code initctl list} shows them. */
    public CompletionStage<List<InstanceStatus>> states() {
        return control.list().thenApply(list -> list.stream().map(WireMapping::status).toList());
    }
}
