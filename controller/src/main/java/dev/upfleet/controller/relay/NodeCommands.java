package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.controller.registry.RegistryException;
import dev.upfleet.core.cluster.NodeSelector;
import dev.upfleet.proto.cluster.v1.CommandFailure;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.JobRequest;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job control on other nodes ({@code initctl --node NAME start|stop|restart|status JOB}). A node's agent holds its
 * session with any one controller, so a command travels through etcd: the asking controller watches
 * {@code results/ID}, then stores the command under {@code commands/NODE/ID}; the controller serving the node takes
 * it (deletes the key, which only one caller can do), sends it down the session, and stores the agent's answer as
 * {@code results/ID}. Commands and results live on short expiring leases, so a controller that dies half-way leaves
 * nothing behind.
 *
 * <p>The asker gives up with UNAVAILABLE when nobody takes the command within {@link #TAKE_WITHIN} (the node is not
 * connected) or when the node leaves before answering; otherwise it waits as long as the command takes, as a local
 * {@code initctl start} waits for its job.
 */
public final class NodeCommands implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeCommands.class);
    static final Duration TAKE_WITHIN = Duration.ofSeconds(10);
    private static final Duration LEASE_TTL = Duration.ofSeconds(60);
    private static final long NODE_CHECK_MS = 2000;

    private final Registry registry;
    private final ClusterView view;
    private final Executor executor;
    private final ScheduledExecutorService timers =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("node-commands").daemon().factory());
    private Registry.Watch watch;
    private volatile boolean closed;

    public NodeCommands(Registry registry, ClusterView view, Executor executor) {
        this.registry = registry;
        this.view = view;
        this.executor = executor;
    }

    /** Starts taking the commands meant for nodes this controller serves. */
    public synchronized void start() {
        watchFrom(registry.currentRevision());
    }

    private synchronized void watchFrom(long revision) {
        if (closed) {
            return;
        }
        watch = registry.watchCommands(revision, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.PendingCommand pending) {
                view.session(pending.node()).ifPresent(session -> executor.execute(() -> take(pending, session)));
            }

            @Override
            public void compacted(long compactRevision) {
                rewatch("compacted at " + compactRevision);
            }

            @Override
            public void failed(Throwable cause) {
                rewatch(cause.toString());
            }
        });
    }

    /** Commands stored in the gap are not taken: their askers time out, as for a node that is not connected. */
    private void rewatch(String why) {
        LOG.warn("command watch ended ({}): watching again", why);
        timers.schedule(() -> executor.execute(() -> {
            try {
                watchFrom(registry.currentRevision());
            } catch (RegistryException e) {
                rewatch(e.getMessage());
            }
        }), 500, TimeUnit.MILLISECONDS);
    }

    private void take(Registry.PendingCommand pending, AgentSession session) {
        NodeCommand command = pending.command();
        try {
            if (registry.takeCommand(pending.node(), command.getId())) {
                session.command(command, result -> executor.execute(() -> answer(result)));
            }
        } catch (RegistryException e) {
            LOG.warn("node {}: cannot take command {}: {}", pending.node(), command.getId(), e.getMessage());
        }
    }

    private void answer(CommandResult result) {
        try {
            registry.putResult(result, registry.grantExpiringLease(LEASE_TTL));
        } catch (RegistryException e) {
            LOG.warn("cannot store the result of command {}: {}", result.getId(), e.getMessage());
        }
    }

    /**
     * Runs {@code verb} on {@code node}; completes with the instance's status, or exceptionally with a gRPC status
     * ({@code NOT_FOUND} for an unknown node, the agent's own refusal, {@code UNAVAILABLE} when it cannot answer).
     * Blocks for the registry writes: call it on a virtual thread.
     */
    public CompletableFuture<InstanceStatus> ask(String node, Verb verb, JobRequest request) {
        CompletableFuture<InstanceStatus> answer = new CompletableFuture<>();
        if (!NodeSelector.validNodeName(node)) {
            answer.completeExceptionally(Status.INVALID_ARGUMENT.withDescription("invalid node name: " + node)
                    .asRuntimeException());
            return answer;
        }
        if (verb == Verb.VERB_UNSPECIFIED || verb == Verb.UNRECOGNIZED) {
            answer.completeExceptionally(Status.INVALID_ARGUMENT.withDescription("no command given").asRuntimeException());
            return answer;
        }
        if (!view.hasNode(node)) {
            answer.completeExceptionally(Status.NOT_FOUND.withDescription("Unknown node: " + node).asRuntimeException());
            return answer;
        }
        String id = UUID.randomUUID().toString().replace("-", "");
        Registry.Watch result = registry.watchResult(id, registry.currentRevision(), new Registry.Listener<>() {
            @Override
            public void onNext(CommandResult r) {
                switch (r.getOutcomeCase()) {
                    case STATUS -> answer.complete(r.getStatus());
                    case FAILURE -> answer.completeExceptionally(failure(r.getFailure()));
                    case OUTCOME_NOT_SET -> answer.completeExceptionally(
                            Status.INTERNAL.withDescription("empty answer from node " + node).asRuntimeException());
                }
            }

            @Override
            public void failed(Throwable cause) {
                answer.completeExceptionally(Status.UNAVAILABLE.withDescription("lost the answer of node " + node
                        + ": " + cause).asRuntimeException());
            }
        });
        try {
            registry.putCommand(node, NodeCommand.newBuilder().setId(id).setVerb(verb).setRequest(request).build(),
                    registry.grantExpiringLease(LEASE_TTL));
        } catch (RegistryException e) {
            result.close();
            answer.completeExceptionally(e);
            return answer;
        }
        ScheduledFuture<?> untaken = timers.schedule(() -> executor.execute(() -> {
            if (!answer.isDone() && takeBack(node, id)) {
                answer.completeExceptionally(Status.UNAVAILABLE.withDescription("node " + node
                        + " did not take the command within " + TAKE_WITHIN.toSeconds() + " s (is its agent connected?)")
                        .asRuntimeException());
            }
        }), TAKE_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        ScheduledFuture<?> departed = timers.scheduleWithFixedDelay(() -> {
            if (!answer.isDone() && !view.hasNode(node)) {
                answer.completeExceptionally(Status.UNAVAILABLE.withDescription("node " + node + " left before it answered")
                        .asRuntimeException());
            }
        }, NODE_CHECK_MS, NODE_CHECK_MS, TimeUnit.MILLISECONDS);
        answer.whenComplete((status, error) -> {
            untaken.cancel(false);
            departed.cancel(false);
            result.close();
            executor.execute(() -> {
                try {
                    registry.deleteResult(id);
                } catch (RegistryException e) {
                    // It expires with its lease.
                }
            });
        });
        return answer;
    }

    /** Deletes a command nobody took; true when it was still there (so it will never run). */
    private boolean takeBack(String node, String id) {
        try {
            return registry.takeCommand(node, id);
        } catch (RegistryException e) {
            return false;
        }
    }

    static RuntimeException failure(CommandFailure f) {
        return Status.fromCodeValue(f.getCode()).withDescription(f.getMessage()).asRuntimeException();
    }

    /** The answer for commands a session can no longer deliver. */
    static CommandResult unanswered(String id, String node) {
        return CommandResult.newBuilder().setId(id).setFailure(CommandFailure.newBuilder()
                .setCode(Status.Code.UNAVAILABLE.value())
                .setMessage("node " + node + " disconnected before it answered")).build();
    }

    @Override
    public synchronized void close() {
        closed = true;
        Optional.ofNullable(watch).ifPresent(Registry.Watch::close);
        timers.shutdownNow();
    }
}
