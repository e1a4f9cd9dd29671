package dev.upfleet.agent.cluster;

import dev.upfleet.agent.control.ClusterAccess;
import dev.upfleet.agent.control.ClusterControl;
import dev.upfleet.agent.engine.EngineLoop;
import dev.upfleet.agent.engine.EngineObserver;
import dev.upfleet.agent.engine.JobState;
import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.Applied;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.Hello;
import dev.upfleet.proto.cluster.v1.Interest;
import dev.upfleet.proto.cluster.v1.JobStates;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.PublishBatch;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the cluster: one session with a controller at a time, failing over to the next on any error.
 * It publishes the local events some node is interested in (through the {@link Outbox}), applies delivered events in
 * etcd order exactly once (the applied revision is recorded before the next event is applied), keeps the replicated
 * job files in step, turns a lost history into a {@code cluster-resync} event, reports its job states (coalesced,
 * and repeated now and then so a lost write heals) and runs job commands other nodes send it. Losing every
 * controller never stops local jobs: the engine does not wait for any of this.
 */
public final class ClusterLink implements EngineObserver, ClusterAccess, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("init");
    private static final int BATCH = 500;
    private static final long MAX_BACKOFF_MS = 2000;
    /** The controllers' limit on one relayed event (AgentSession.MAX_EVENT_BYTES; seq and revision fit in it). */
    static final int MAX_EVENT_BYTES = 64 * 1024 - 64;
    /** A burst of transitions becomes one state report. */
    private static final long STATES_COALESCE_MS = 200;
    /** Unchanged states are reported again this often (the controller writes nothing when they match). */
    private static final long STATES_REPEAT_MS = 30_000;

    /** How this node joins. */
    public record Settings(String node, Map<String, String> labels, List<String> controllers,
                           ChannelCredentials credentials, String version, long startedMillis, int outboxCapacity) {}

    private final Settings settings;
    private final EngineLoop loop;
    private final ClusterState state;
    private final ReplicatedJobs jobs;
    private final Supplier<Set<String>> interestOnLoop;
    private final Outbox outbox;
    private final Thread connector;
    private final Thread sender;
    private final Thread reporter;
    private final Object statesLock = new Object();
    private boolean statesDirty; // guarded by statesLock
    private volatile ClusterControl control;
    private final AtomicLong latestRevision = new AtomicLong();
    private volatile Set<String> publishNames = Set.of();
    private volatile Set<String> interest = Set.of();
    private volatile Session session;
    private volatile boolean closed;

    /** The live connection: its channel and the stream towards the controller. */
    private record Session(ManagedChannel channel, StreamObserver<AgentMessage> requests, String controller) {}

    /**
     * @param interestOnLoop computes this node's interest; called on the engine thread
     */
    public ClusterLink(Settings settings, EngineLoop loop, ClusterState state, ReplicatedJobs jobs,
                       Supplier<Set<String>> interestOnLoop) {
        this.settings = settings;
        this.loop = loop;
        this.state = state;
        this.jobs = jobs;
        this.interestOnLoop = interestOnLoop;
        this.outbox = new Outbox(settings.outboxCapacity());
        this.connector = Thread.ofPlatform().name("upfleet-cluster").daemon().unstarted(this::connectLoop);
        this.sender = Thread.ofPlatform().name("upfleet-publish").daemon().unstarted(this::sendLoop);
        this.reporter = Thread.ofPlatform().name("upfleet-states").daemon().unstarted(this::reportLoop);
    }

    /** Starts joining; job commands from other nodes and state reports go through {@code control}. */
    public void start(ClusterControl control) {
        this.control = control;
        connector.start();
        sender.start();
        reporter.start();
    }

    public boolean connected() {
        return session != null;
    }

    /** The revision known to exist minus the one applied: how far behind this node is. */
    public long revisionLag() {
        return Math.max(0, latestRevision.get() - state.appliedRevision());
    }

    /** This node's events dropped because no controller was reachable for long (the outbox is bounded). */
    public long droppedEvents() {
        return outbox.dropped();
    }

    @Override
    public String node() {
        return settings.node();
    }

    @Override
    public ManagedChannel controller() {
        Session s = session;
        return s == null ? null : s.channel();
    }

    // ---- connection -----------------------------------------------------------------------------------------------

    private void connectLoop() {
        int next = 0;
        long backoff = 100;
        while (!closed) {
            String target = settings.controllers().get(next++ % settings.controllers().size());
            boolean welcomed = runSession(target);
            if (closed) {
                return;
            }
            backoff = welcomed ? 100 : Math.min(backoff * 2, MAX_BACKOFF_MS);
            try {
                Thread.sleep(welcomed ? 50 : backoff);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Runs one session until it ends; returns whether the controller welcomed us. */
    private boolean runSession(String target) {
        ManagedChannel channel = NettyChannelBuilder.forTarget(target, settings.credentials())
                // A controller that vanished in silence (its machine died, the link went down) is given up after at
                // most 15 s of no answer to a ping, and the next controller is tried (grpc's default waits 20 s).
                .keepAliveTime(10, TimeUnit.SECONDS).keepAliveTimeout(5, TimeUnit.SECONDS).keepAliveWithoutCalls(true)
                .build();
        CountDownLatch ended = new CountDownLatch(1);
        Responses responses = new Responses(target, channel, ended);
        try {
            StreamObserver<AgentMessage> requests = ClusterGrpc.newStub(channel).session(responses);
            responses.requests = requests;
            Set<String> mine = onLoop(interestOnLoop);
            interest = mine;
            Hello hello = Hello.newBuilder().setNode(settings.node()).putAllLabels(settings.labels())
                    .setVersion(settings.version()).setResumeAfter(state.appliedRevision())
                    .setInterest(Interest.newBuilder().addAllEventNames(mine))
                    .setStartedUnixMillis(settings.startedMillis()).build();
            synchronized (requests) {
                requests.onNext(AgentMessage.newBuilder().setHello(hello).build());
            }
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("controller {}: {}", target, e.toString());
        } finally {
            session = null;
            channel.shutdownNow();
        }
        return responses.welcomed;
    }

    private final class Responses implements StreamObserver<ControllerMessage> {
        private final String target;
        private final ManagedChannel channel;
        private final CountDownLatch ended;
        volatile StreamObserver<AgentMessage> requests;
        volatile boolean welcomed;

        Responses(String target, ManagedChannel channel, CountDownLatch ended) {
            this.target = target;
            this.channel = channel;
            this.ended = ended;
        }

        @Override
        public void onNext(ControllerMessage message) {
            switch (message.getBodyCase()) {
                case WELCOME -> {
                    welcomed = true;
                    latestRevision.accumulateAndGet(message.getWelcome().getCurrentRevision(), Math::max);
                    Session s = new Session(channel, requests, target);
                    session = s;
                    outbox.resend(s);
                    statesChanged();
                    LOG.info("joined the cluster through controller {} as {}", target, settings.node());
                }
                case COMMAND -> runCommand(message.getCommand());
                case DELIVERY -> {
                    for (RelayedEvent e : message.getDelivery().getEventsList()) {
                        latestRevision.accumulateAndGet(e.getRevision(), Math::max);
                        loop.post(() -> apply(e));
                    }
                }
                case PROGRESS -> {
                    long revision = message.getProgress().getRevision();
                    latestRevision.accumulateAndGet(revision, Math::max);
                    loop.post(() -> state.appliedThrough(revision));
                }
                case PUBLISH_INTEREST -> publishNames = Set.copyOf(message.getPublishInterest().getEventNamesList());
                case JOBS -> jobs.replaceAll(message.getJobs().getJobsList());
                case RESYNC -> {
                    var resync = message.getResync();
                    loop.post(() -> {
                        LOG.warn("events up to revision {} were lost to this node: cluster-resync", resync.getCompactedRevision());
                        loop.engine().emitEvent("cluster-resync", List.of(
                                "COMPACTED_REVISION=" + resync.getCompactedRevision(),
                                "RESUME_REVISION=" + resync.getResumeAt()), null);
                        state.appliedThrough(resync.getResumeAt());
                    });
                }
                case PUBLISHED -> outbox.stored(message.getPublished().getUpToSeq());
                case BODY_NOT_SET -> { }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (!closed) {
                LOG.warn("controller {}: session ended: {}", target, t.getMessage());
            }
            ended.countDown();
        }

        @Override
        public void onCompleted() {
            ended.countDown();
        }
    }

    /** A job command from another node: answered on the session it came on (a later session's controller has moved on). */
    private void runCommand(NodeCommand command) {
        Session s = session;
        ClusterControl c = control;
        if (s != null && c != null) {
            c.run(command, result -> send(s, AgentMessage.newBuilder().setCommandResult(result).build()));
        }
    }

    // ---- job states ----------------------------------------------------------------------------------------------

    @Override
    public void stateChanged(String job, String instance, JobState from, JobState to) {
        statesChanged();
    }

    private void statesChanged() {
        synchronized (statesLock) {
            statesDirty = true;
            statesLock.notifyAll();
        }
    }

    private void reportLoop() {
        while (!closed) {
            try {
                synchronized (statesLock) {
                    long until = System.currentTimeMillis() + STATES_REPEAT_MS;
                    for (long left = STATES_REPEAT_MS; !statesDirty && !closed && left > 0;
                         left = until - System.currentTimeMillis()) {
                        statesLock.wait(left);
                    }
                    statesDirty = false;
                }
                Thread.sleep(STATES_COALESCE_MS);
                Session s = session;
                if (s != null) {
                    var states = control.states().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    send(s, AgentMessage.newBuilder().setStates(JobStates.newBuilder().addAllInstances(states)).build());
                }
            } catch (InterruptedException e) {
                return;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.debug("job states not reported: {}", e.toString()); // the next round reports them
            }
        }
    }

    /** On the engine thread: inject a delivered event, once, then record it as applied. */
    private void apply(RelayedEvent e) {
        if (state.isApplied(e.getRevision(), e.getRevisionIndex())) {
            return;
        }
        if (!e.getTarget().isEmpty()) {
            // A cluster emit: a local event here, as if initctl emit had run on this node.
            List<String> env = new ArrayList<>(e.getEnvList());
            env.add("ORIGIN_NODE=" + e.getOriginNode());
            loop.engine().emitEvent(e.getName(), env, null);
        } else {
            loop.engine().emitEvent(e.getName(), e.getEnvList(), e.getOriginNode(), null);
        }
        state.applied(e.getRevision(), e.getRevisionIndex());
        Session s = session;
        if (s != null) {
            send(s, AgentMessage.newBuilder().setApplied(Applied.newBuilder().setRevision(e.getRevision())).build());
        }
    }

    // ---- publishing ----------------------------------------------------------------------------------------------

    @Override
    public void eventEmitted(long id, String node, String name, List<String> env) {
        if (node.equals(settings.node()) && publishNames.contains(name)) {
            RelayedEvent event = RelayedEvent.newBuilder().setOriginNode(node).setName(name).addAllEnv(env)
                    .setEmittedUnixMillis(System.currentTimeMillis()).build();
            if (event.getSerializedSize() > MAX_EVENT_BYTES) {
                // The controllers refuse it (and the session with it): publishing it would wedge the outbox.
                LOG.warn("event {} is {} bytes (max {}): not relayed to other nodes", name, event.getSerializedSize(),
                        MAX_EVENT_BYTES);
                return;
            }
            outbox.add(event.toBuilder().setOriginSeq(state.nextSeq()).build());
        }
    }

    /** {@code initctl emit --cluster}: completes with the revision once a controller stored the event. */
    @Override
    public CompletableFuture<Long> emitCluster(String name, List<String> env, String selector) {
        RelayedEvent event = RelayedEvent.newBuilder().setOriginNode(settings.node()).setName(name).addAllEnv(env)
                .setTarget(selector.isBlank() ? "*" : selector).setEmittedUnixMillis(System.currentTimeMillis()).build();
        if (event.getSerializedSize() > MAX_EVENT_BYTES) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("event " + name + " is "
                    + event.getSerializedSize() + " bytes (max " + MAX_EVENT_BYTES + ")"));
        }
        return outbox.add(event.toBuilder().setOriginSeq(state.nextSeq()).build());
    }

    /** After a configuration change (on the engine thread): tell the controller if this node's interest changed. */
    public void configurationChanged() {
        statesChanged(); // classes came or went: initctl list changed
        Set<String> now = interestOnLoop.get();
        if (!now.equals(interest)) {
            interest = now;
            Session s = session;
            if (s != null) {
                send(s, AgentMessage.newBuilder().setInterest(Interest.newBuilder().addAllEventNames(now)).build());
            }
        }
    }

    private void sendLoop() {
        while (!closed) {
            try {
                Session s = session;
                if (s == null) {
                    Thread.sleep(20);
                    continue;
                }
                List<RelayedEvent> batch = outbox.takeUnsent(s, BATCH, 200);
                // A failed send means the session is dying: the next one resends everything unacknowledged.
                if (!batch.isEmpty()) {
                    send(s, AgentMessage.newBuilder().setPublish(PublishBatch.newBuilder().addAllEvents(batch)).build());
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean send(Session s, AgentMessage message) {
        try {
            synchronized (s.requests()) {
                s.requests().onNext(message);
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private <T> T onLoop(Supplier<T> task) throws InterruptedException {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.post(() -> result.complete(task.get()));
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("engine did not answer", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        Session s = session;
        if (s != null) {
            try {
                synchronized (s.requests()) {
                    s.requests().onCompleted();
                }
            } catch (RuntimeException ignored) {
                // already gone
            }
            s.channel().shutdownNow();
        }
        connector.interrupt();
        sender.interrupt();
        reporter.interrupt();
        outbox.wakeUp();
    }
}
