package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.controller.registry.RegistryException;
import dev.upfleet.core.cluster.NodeSelector;
import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.Delivery;
import dev.upfleet.proto.cluster.v1.Hello;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.JobDefinitions;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.Progress;
import dev.upfleet.proto.cluster.v1.PublishBatch;
import dev.upfleet.proto.cluster.v1.PublishInterest;
import dev.upfleet.proto.cluster.v1.Published;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.Resync;
import dev.upfleet.proto.cluster.v1.Welcome;
import dev.upfleet.proto.control.v1.InstanceStatus;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's session with this controller. The agent's node record lives on a lease the session keeps alive: when
 * the agent goes away the lease is revoked (or, if this controller dies, expires), and the leader turns the deletion
 * into {@code node-down}. Events are delivered from an etcd watch that starts after the revision the agent last
 * applied, so a reconnecting agent gets what it missed exactly once and in order.
 *
 * <p>Threads: gRPC calls {@link #onNext} serially; registry calls run on a per-session serial executor; watch
 * callbacks on the registry's thread. Sends to the agent are serialised on {@link #out}.
 */
public final class AgentSession implements StreamObserver<AgentMessage>, ClusterView.Member {
    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);
    /** Largest PublishBatch accepted; an agent sends at most this many events at once. */
    static final int MAX_BATCH = 1000;
    static final int MAX_EVENT_BYTES = 64 * 1024;
    /** Largest job-state report accepted (instances). */
    static final int MAX_STATES = 100_000;

    private final RelayContext ctx;
    private final ServerCallStreamObserver<ControllerMessage> out;
    private final SerialExecutor serial;
    private volatile String node;
    private volatile Map<String, String> labels = Map.of();
    private volatile Set<String> interest = Set.of();
    private volatile Hello hello;
    private Registry.Lease lease;
    private EventFeed.Subscription events;
    private List<JobDefinition> jobsSent;
    private long lastDelivered;
    private long lastProgressSent;
    /** Commands sent to the agent and not answered yet, by id. */
    private final Map<String, Consumer<CommandResult>> commands = new ConcurrentHashMap<>();
    /** The newest job-state report not written yet (older ones are superseded, never written). */
    private final AtomicReference<List<InstanceStatus>> latestStates = new AtomicReference<>();
    /** What this session stored under state/NODE/ (null before its first report). Serial executor only. */
    private Map<String, InstanceStatus> statesStored;
    private volatile boolean closed;

    public AgentSession(RelayContext ctx, ServerCallStreamObserver<ControllerMessage> out) {
        this.ctx = ctx;
        this.out = out;
        this.serial = new SerialExecutor(ctx.executor());
        out.setOnCancelHandler(() -> serial.execute(this::end));
    }

    @Override
    public String node() {
        return node;
    }

    @Override
    public Set<String> interest() {
        return interest;
    }

    @Override
    public void onNext(AgentMessage message) {
        switch (message.getBodyCase()) {
            case HELLO -> {
                if (hello != null) {
                    fail(Status.INVALID_ARGUMENT.withDescription("Hello sent twice"));
                    return;
                }
                Hello h = message.getHello();
                if (!NodeSelector.validNodeName(h.getNode())) {
                    fail(Status.INVALID_ARGUMENT.withDescription("invalid node name: " + quote(h.getNode())
                            + " (letters, digits, '.', '_', '-'; at most 63; starting with a letter or digit)"));
                    return;
                }
                Status denied = PeerIdentity.checkCurrentCall(h.getNode());
                if (denied != null) {
                    fail(denied);
                    return;
                }
                hello = h;
                node = h.getNode();
                labels = Map.copyOf(h.getLabelsMap());
                interest = Set.copyOf(h.getInterest().getEventNamesList());
                serial.execute(() -> join(h));
            }
            case PUBLISH -> {
                if (requireJoined()) {
                    PublishBatch batch = message.getPublish();
                    Status bad = validate(batch);
                    if (bad != null) {
                        fail(bad);
                        return;
                    }
                    serial.execute(() -> publish(batch));
                }
            }
            // Progress reports: the agent keeps its own resume point (upfleet_revision_lag there); nothing to do here.
            case APPLIED -> requireJoined();
            case INTEREST -> {
                if (requireJoined()) {
                    interest = Set.copyOf(message.getInterest().getEventNamesList());
                    serial.execute(this::refreshNode);
                }
            }
            case STATES -> {
                if (requireJoined()) {
                    List<InstanceStatus> report = message.getStates().getInstancesList();
                    if (report.size() > MAX_STATES || report.stream().anyMatch(i -> i.getJob().isEmpty())) {
                        fail(Status.INVALID_ARGUMENT.withDescription("bad job-state report (" + report.size() + " instances)"));
                        return;
                    }
                    latestStates.set(report);
                    serial.execute(this::writeStates);
                }
            }
            case COMMAND_RESULT -> {
                if (requireJoined()) {
                    Consumer<CommandResult> answer = commands.remove(message.getCommandResult().getId());
                    if (answer != null) {
                        answer.accept(message.getCommandResult());
                    }
                }
            }
            case BODY_NOT_SET -> fail(Status.INVALID_ARGUMENT.withDescription("empty message"));
        }
    }

    /** Stores the newest job-state report: only what changed, except after joining, when every key moves to this session's lease. */
    private void writeStates() {
        List<InstanceStatus> report = latestStates.getAndSet(null);
        if (report == null || closed || lease == null) {
            return;
        }
        boolean first = statesStored == null;
        try {
            Map<String, InstanceStatus> stored = first ? StateDiff.index(ctx.registry().states(node)) : statesStored;
            Map<String, InstanceStatus> reported = StateDiff.index(report);
            StateDiff diff = StateDiff.between(stored, reported, first);
            if (!diff.isEmpty()) {
                ctx.registry().writeStates(node, diff.put(), diff.delete(), lease);
            }
            statesStored = reported;
        } catch (RegistryException e) {
            // Not known what was applied: the next report (agents repeat theirs periodically) rewrites everything.
            LOG.warn("node {}: cannot store its job states: {}", node, e.getMessage());
            statesStored = null;
        }
    }

    /** Sends a control command to the agent; {@code answer} gets its result, or a failure if the session ends first. */
    void command(NodeCommand command, Consumer<CommandResult> answer) {
        commands.put(command.getId(), answer);
        send(ControllerMessage.newBuilder().setCommand(command).build());
        if (closed) {
            failCommands();
        }
    }

    private void failCommands() {
        for (String id : List.copyOf(commands.keySet())) {
            Consumer<CommandResult> answer = commands.remove(id);
            if (answer != null) {
                answer.accept(NodeCommands.unanswered(id, node));
            }
        }
    }

    private boolean requireJoined() {
        if (hello == null) {
            fail(Status.FAILED_PRECONDITION.withDescription("send Hello first"));
            return false;
        }
        return true;
    }

    private Status validate(PublishBatch batch) {
        if (batch.getEventsCount() > MAX_BATCH) {
            return Status.INVALID_ARGUMENT.withDescription("batch of " + batch.getEventsCount() + " events (max " + MAX_BATCH + ")");
        }
        for (RelayedEvent e : batch.getEventsList()) {
            if (!e.getOriginNode().equals(node)) {
                return Status.PERMISSION_DENIED.withDescription("node " + node + " cannot publish for " + quote(e.getOriginNode()));
            }
            if (e.getName().isEmpty()) {
                return Status.INVALID_ARGUMENT.withDescription("event name may not be empty");
            }
            if (e.getSerializedSize() > MAX_EVENT_BYTES) {
                return Status.INVALID_ARGUMENT.withDescription("event " + e.getName() + " is " + e.getSerializedSize()
                        + " bytes (max " + MAX_EVENT_BYTES + ")");
            }
        }
        return null;
    }

    private void join(Hello h) {
        try {
            lease = ctx.registry().grantLease(ctx.sessionTtl());
            refreshNode();
            long current = ctx.registry().currentRevision();
            send(ControllerMessage.newBuilder().setWelcome(Welcome.newBuilder().setController(ctx.name())
                    .setCurrentRevision(current)).build());
            ctx.view().register(this);
            jobsChanged();
            // Resume at the agent's last revision (not after it): a batch is one revision, and the agent may have
            // applied only part of it. It skips the positions it has.
            long after = h.getResumeAfter() == 0 ? current : h.getResumeAfter() - 1;
            long oldest = ctx.registry().oldestAvailableRevision();
            if (after + 1 < oldest) {
                // Resume right after the compaction, not at the current revision: what is still stored is delivered.
                after = oldest - 1;
                resync(after, after);
            }
            watchFrom(after);
            ctx.metrics().agentJoined();
            LOG.info("node {} joined (resuming after revision {})", node, after);
        } catch (RegistryException e) {
            fail(Status.UNAVAILABLE.withDescription("registry: " + e.getMessage()));
        }
    }

    private void watchFrom(long after) {
        lastDelivered = after;
        events = ctx.feed().subscribe(after, new EventFeed.Subscriber() {
            @Override
            public void deliver(long revision, int index, RelayedEvent event) {
                AgentSession.this.deliver(revision, index, event);
            }

            @Override
            public void compacted(long compactRevision) {
                serial.execute(() -> {
                    if (events != null) {
                        events.close();
                    }
                    long resumeAt = Math.max(compactRevision, lastDelivered); // as in join: lose only what is gone
                    resync(compactRevision, resumeAt);
                    watchFrom(resumeAt);
                });
            }

            @Override
            public void failed(Throwable cause) {
                fail(Status.UNAVAILABLE.withDescription("event watch ended: " + cause));
            }
        });
    }

    private void resync(long compacted, long resumeAt) {
        LOG.warn("node {}: events up to revision {} are no longer retained: resync", node, compacted);
        send(ControllerMessage.newBuilder().setResync(Resync.newBuilder().setCompactedRevision(compacted)
                .setResumeAt(resumeAt)).build());
    }

    /** One stored event at its position; called by the feed in order. */
    private void deliver(long revision, int index, RelayedEvent event) {
        if (revision != lastDelivered && lastDelivered - lastProgressSent >= 100) {
            // The previous revision is complete: let the agent move its resume point past events not for it.
            send(ControllerMessage.newBuilder().setProgress(Progress.newBuilder().setRevision(lastDelivered)).build());
            lastProgressSent = lastDelivered;
        }
        lastDelivered = revision;
        if (Relevance.forNode(event, node, labels, interest)) {
            RelayedEvent withPosition = event.toBuilder().setRevision(revision).setRevisionIndex(index).build();
            send(ControllerMessage.newBuilder().setDelivery(Delivery.newBuilder().addEvents(withPosition)).build());
            ctx.metrics().delivered(event);
            lastProgressSent = revision;
        }
    }

    private void publish(PublishBatch batch) {
        if (closed) {
            return;
        }
        try {
            ctx.registry().storeEvents(batch.getEventsList(), ctx.retentionLease());
            long upTo = batch.getEventsList().stream().mapToLong(RelayedEvent::getOriginSeq).max().orElse(0);
            ctx.metrics().stored(batch.getEventsCount());
            send(ControllerMessage.newBuilder().setPublished(Published.newBuilder().setUpToSeq(upTo)).build());
        } catch (RegistryException e) {
            // Acks are cumulative (up to a sequence number), so a later batch must never be acknowledged while this
            // one is not stored: end the session. The agent reconnects (here or to another controller) and sends
            // everything unacknowledged again, in order; storing is idempotent, so nothing is stored twice.
            LOG.warn("node {}: cannot store {} events, ending its session: {}", node, batch.getEventsCount(), e.getMessage());
            fail(Status.UNAVAILABLE.withDescription("cannot store events: " + e.getMessage()));
        }
    }

    private void refreshNode() {
        if (closed || lease == null) {
            return;
        }
        NodeInfo info = NodeInfo.newBuilder().setNode(node).putAllLabels(labels).setVersion(hello.getVersion())
                .setController(ctx.name()).setStartedUnixMillis(hello.getStartedUnixMillis())
                .addAllInterest(interest).build();
        ctx.registry().putNode(info, lease);
        ctx.view().interestChanged();
    }

    /** The union of interests changed: tell the agent which of its events to publish. */
    @Override
    public void publishInterestChanged(Set<String> names) {
        if (node != null) {
            send(ControllerMessage.newBuilder().setPublishInterest(PublishInterest.newBuilder().addAllEventNames(names)).build());
        }
    }

    /** Replicated jobs changed: send this node its set if it differs from what it has. */
    @Override
    public synchronized void jobsChanged() {
        if (node == null) {
            return;
        }
        List<JobDefinition> mine = ctx.view().jobsFor(node, labels);
        if (!mine.equals(jobsSent)) {
            jobsSent = mine;
            send(ControllerMessage.newBuilder().setJobs(JobDefinitions.newBuilder().addAllJobs(mine)).build());
        }
    }

    private void send(ControllerMessage message) {
        synchronized (out) {
            if (closed) {
                return;
            }
            try {
                out.onNext(message);
            } catch (RuntimeException e) {
                // The call is already cancelled; end() cleans up.
                closed = true;
            }
        }
    }

    private void fail(Status status) {
        synchronized (out) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException ignored) {
                // already cancelled
            }
        }
        serial.execute(this::end);
    }

    @Override
    public void onError(Throwable t) {
        serial.execute(this::end);
    }

    @Override
    public void onCompleted() {
        synchronized (out) {
            if (!closed) {
                closed = true;
                out.onCompleted();
            }
        }
        serial.execute(this::end);
    }

    /** The agent went away: drop its watch and revoke its lease, which removes its node record (node-down). */
    private void end() {
        closed = true;
        failCommands();
        if (events != null) {
            events.close();
            events = null;
        }
        if (node != null && lease != null) {
            ctx.view().unregister(this);
            ctx.metrics().agentLeft();
            try {
                if (ctx.shuttingDown()) {
                    lease.abandon();
                } else {
                    lease.close();
                }
            } catch (RuntimeException e) {
                LOG.warn("node {}: cannot revoke its lease (it expires by itself): {}", node, e.toString());
            }
            lease = null;
            LOG.info("node {} left", node);
        }
    }

    private static String quote(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }
}
