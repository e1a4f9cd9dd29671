package dev.upfleet.bench.cluster;

import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.Hello;
import dev.upfleet.proto.cluster.v1.Interest;
import dev.upfleet.proto.cluster.v1.PublishBatch;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A lightweight simulated agent: one Session stream at a time, like agent/.../ClusterLink: on any stream error it
 * waits 50 ms (ClusterLink's pause after a welcomed session) and opens a session with the next controller of its
 * list, resuming after the last revision it saw. Publishing waits for the Published ack of each batch.
 */
final class SimAgent implements AutoCloseable {
    final String node;
    private final List<String> controllers;
    private final Function<String, ManagedChannel> channels;
    private final ScheduledExecutorService timer;
    private final List<String> interest;
    private int next;
    private volatile StreamObserver<AgentMessage> requests;
    private volatile boolean closed;
    private volatile long lastRevision;
    private long seq;
    /** Completed by each Welcome: (controller name, nanoTime). */
    volatile CompletableFuture<String> welcomed = new CompletableFuture<>();
    volatile long welcomedAt;
    volatile String controller;
    private volatile CompletableFuture<Long> ack;
    private volatile long ackWanted;
    /** Called for each delivered event with its arrival nanoTime. */
    volatile BiConsumer<RelayedEvent, Long> onDelivery = (e, t) -> {};

    SimAgent(String node, List<String> controllers, List<String> interest, Function<String, ManagedChannel> channels,
             ScheduledExecutorService timer) {
        this.node = node;
        this.controllers = controllers;
        this.interest = interest;
        this.channels = channels;
        this.timer = timer;
    }

    void connect() {
        if (closed) {
            return;
        }
        String target = controllers.get(next++ % controllers.size());
        ManagedChannel channel = channels.apply(target);
        StreamObserver<AgentMessage> req = ClusterGrpc.newStub(channel).session(new StreamObserver<>() {
            @Override
            public void onNext(ControllerMessage m) {
                switch (m.getBodyCase()) {
                    case WELCOME -> {
                        long now = System.nanoTime();
                        lastRevision = Math.max(lastRevision, m.getWelcome().getCurrentRevision());
                        controller = m.getWelcome().getController();
                        welcomedAt = now;
                        welcomed.complete(controller);
                    }
                    case DELIVERY -> {
                        long now = System.nanoTime();
                        for (RelayedEvent e : m.getDelivery().getEventsList()) {
                            lastRevision = Math.max(lastRevision, e.getRevision());
                            onDelivery.accept(e, now);
                        }
                    }
                    case PROGRESS -> lastRevision = Math.max(lastRevision, m.getProgress().getRevision());
                    case PUBLISHED -> {
                        CompletableFuture<Long> a = ack;
                        if (a != null && m.getPublished().getUpToSeq() >= ackWanted) {
                            a.complete(m.getPublished().getUpToSeq());
                        }
                    }
                    default -> { }
                }
            }

            @Override
            public void onError(Throwable t) {
                ended();
            }

            @Override
            public void onCompleted() {
                ended();
            }
        });
        requests = req;
        send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode(node).setVersion("bench")
                .setResumeAfter(lastRevision).setInterest(Interest.newBuilder().addAllEventNames(interest))
                .setStartedUnixMillis(System.currentTimeMillis())).build());
    }

    private void ended() {
        if (closed) {
            return;
        }
        welcomed = new CompletableFuture<>();
        CompletableFuture<Long> a = ack;
        if (a != null) {
            a.completeExceptionally(new IllegalStateException("session ended"));
        }
        timer.schedule(this::connect, 50, TimeUnit.MILLISECONDS);
    }

    private void send(AgentMessage m) {
        StreamObserver<AgentMessage> r = requests;
        synchronized (r) {
            r.onNext(m);
        }
    }

    /** Publishes {@code n} events as one batch and waits for the controller to have stored them. */
    void publishBatch(int n, String name) throws Exception {
        PublishBatch.Builder b = PublishBatch.newBuilder();
        long now = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            b.addEvents(RelayedEvent.newBuilder().setOriginNode(node).setOriginSeq(++seq).setName(name)
                    .addEnv("I=" + seq).setEmittedUnixMillis(now));
        }
        CompletableFuture<Long> a = new CompletableFuture<>();
        ackWanted = seq;
        ack = a;
        send(AgentMessage.newBuilder().setPublish(b).build());
        a.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        closed = true;
        try {
            StreamObserver<AgentMessage> r = requests;
            if (r != null) {
                synchronized (r) {
                    r.onCompleted();
                }
            }
        } catch (RuntimeException ignored) {
            // gone already
        }
    }
}
