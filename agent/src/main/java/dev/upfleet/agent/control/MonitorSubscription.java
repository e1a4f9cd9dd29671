package dev.upfleet.agent.control;

import dev.upfleet.agent.control.JobControl.EmittedEvent;
import dev.upfleet.proto.control.v1.EventMessage;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;

/**
 * One {@code initctl monitor} client: events arrive on the engine thread, are queued, and are written while the
 * transport is ready. The queue is bounded: a subscriber that falls {@code capacity} events behind is ended with
 * {@code RESOURCE_EXHAUSTED} rather than letting the agent's memory grow with a stalled reader.
 *
 * <p>Thread-safe: the engine thread (offer), the transport thread (ready, cancel) and close may race; all observer
 * calls are made under this object's lock because a {@code StreamObserver} must not be called concurrently.
 */
final class MonitorSubscription implements JobControl.EventListener {
    private final ServerCallStreamObserver<EventMessage> observer;
    private final int capacity;
    private final ArrayDeque<EmittedEvent> queue = new ArrayDeque<>();
    private AutoCloseable registration;
    private boolean done;

    MonitorSubscription(ServerCallStreamObserver<EventMessage> observer, int capacity) {
        this.observer = observer;
        this.capacity = capacity;
    }

    /** Registers with the engine; call once, from the RPC handler. */
    void start(JobControl control) {
        observer.setOnCancelHandler(this::cancelled);
        observer.setOnReadyHandler(this::drain);
        AutoCloseable handle = control.monitor(this);
        synchronized (this) {
            if (!done) {
                registration = handle;
                return;
            }
        }
        closeQuietly(handle); // cancelled while registering
    }

    @Override
    public void onEvent(EmittedEvent event) {
        synchronized (this) {
            if (done) {
                return;
            }
            if (queue.size() >= capacity) {
                finish(Status.RESOURCE_EXHAUSTED.withDescription(
                        "Monitor fell behind by " + capacity + " events; closing the stream"));
                return;
            }
            queue.add(event);
        }
        drain();
    }

    /** Ends the stream normally, e.g. when the server shuts down. */
    synchronized void shutdown() {
        finish(Status.UNAVAILABLE.withDescription("The agent is shutting down"));
    }

    private synchronized void drain() {
        while (!done && !queue.isEmpty() && observer.isReady()) {
            observer.onNext(WireMapping.event(queue.poll()));
        }
    }

    private void cancelled() {
        AutoCloseable handle;
        synchronized (this) {
            done = true;
            queue.clear();
            handle = registration;
            registration = null;
        }
        closeQuietly(handle);
    }

    private void finish(Status status) {
        if (done) {
            return;
        }
        done = true;
        queue.clear();
        AutoCloseable handle = registration;
        registration = null;
        closeQuietly(handle);
        observer.onError(status.asRuntimeException());
    }

    private static void closeQuietly(AutoCloseable handle) {
        if (handle == null) {
            return;
        }
        try {
            handle.close();
        } catch (Exception e) {
            // The engine unregisters even if the handle reports a failure; nothing else to undo here.
        }
    }
}
