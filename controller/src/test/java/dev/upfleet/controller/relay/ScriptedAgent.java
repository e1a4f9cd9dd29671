package dev.upfleet.controller.relay;

import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.Hello;
import dev.upfleet.proto.cluster.v1.Interest;
import dev.upfleet.proto.cluster.v1.PublishBatch;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An agent played by the test: one session, every controller message queued for assertions. */
final class ScriptedAgent implements AutoCloseable {
    final String node;
    final BlockingQueue<ControllerMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    private final StreamObserver<AgentMessage> requests;
    private long seq;

    ScriptedAgent(ManagedChannel channel, String node, Map<String, String> labels, List<String> interest, long resumeAfter) {
        this.node = node;
        this.requests = ClusterGrpc.newStub(channel).session(new StreamObserver<>() {
            @Override
            public void onNext(ControllerMessage value) {
                received.add(value);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });
        send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setNode(node).putAllLabels(labels)
                .setResumeAfter(resumeAfter).setInterest(Interest.newBuilder().addAllEventNames(interest))).build());
    }

    synchronized void send(AgentMessage message) {
        requests.onNext(message);
    }

    /** Publishes one of this node's own events with the next sequence number. */
    RelayedEvent publish(String name, String... env) {
        RelayedEvent e = RelayedEvent.newBuilder().setOriginNode(node).setOriginSeq(++seq).setName(name)
                .addAllEnv(List.of(env)).setEmittedUnixMillis(System.currentTimeMillis()).build();
        publishAgain(e);
        return e;
    }

    void publishAgain(RelayedEvent e) {
        send(AgentMessage.newBuilder().setPublish(PublishBatch.newBuilder().addEvents(e)).build());
    }

    /** The next message of this kind, skipping others. */
    ControllerMessage next(ControllerMessage.BodyCase kind) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ControllerMessage m = received.poll(100, TimeUnit.MILLISECONDS);
            if (m != null && m.getBodyCase() == kind) {
                return m;
            }
        }
        throw new AssertionError(node + ": no " + kind + " within 10 s");
    }

    /** Delivered events until none arrives for {@code quietMillis}. */
    List<RelayedEvent> deliveries(long quietMillis) throws InterruptedException {
        List<RelayedEvent> out = new ArrayList<>();
        ControllerMessage m;
        while ((m = received.poll(quietMillis, TimeUnit.MILLISECONDS)) != null) {
            if (m.getBodyCase() == ControllerMessage.BodyCase.DELIVERY) {
                out.addAll(m.getDelivery().getEventsList());
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            requests.onCompleted();
        } catch (RuntimeException ignored) {
            // already ended
        }
    }
}
