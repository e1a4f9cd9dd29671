package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcd watch on {@code events/} per controller, shared by all its agent sessions: etcd sends each stored event
 * to the controller once, however many agents it serves. Recent events are kept in a bounded buffer, so a session
 * that resumes from a recent revision is served from memory; one that resumes from further back gets its own
 * catch-up watch until it reaches what the buffer holds, then joins the shared feed.
 *
 * <p>Every event gets its position (revision, index among the events stored at that revision — one publish batch is
 * one transaction) here, the same for every session. Subscribers are called in order, never concurrently for one
 * subscriber, and must not block.
 */
public final class EventFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventFeed.class);

    /** Receives a session's events in order. */
    public interface Subscriber {
        void deliver(long revision, int index, RelayedEvent event);

        /** History this subscriber needed is compacted away: it must resync. */
        void compacted(long compactRevision);

        /** The feed cannot continue for this subscriber (etcd watch lost): end the session; the agent resumes. */
        void failed(Throwable cause);
    }

    /** A subscription; closing it stops deliveries. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private record Positioned(long revision, int index, RelayedEvent event) {}

    private final Registry registry;
    private final int capacity;
    private final Executor executor;
    private final ArrayDeque<Positioned> buffer = new ArrayDeque<>();
    private final List<Subscriber> live = new ArrayList<>();
    /** Every event with a revision above this is in {@link #buffer}. */
    private long floor;
    /** The last revision the shared watch delivered (its events may still be arriving). */
    private long head;
    private int headIndex;
    private Registry.Watch watch;
    private boolean closed;

    public EventFeed(Registry registry, int capacity, Executor executor) {
        this.registry = registry;
        this.capacity = capacity;
        this.executor = executor;
    }

    public synchronized void start() {
        floor = head = registry.currentRevision();
        headIndex = -1;
        buffer.clear();
        watch = registry.watchEvents(head, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.StoredEvent stored) {
                append(stored);
            }

            @Override
            public void compacted(long compactRevision) {
                restart(new IllegalStateException("shared event watch compacted at " + compactRevision));
            }

            @Override
            public void failed(Throwable cause) {
                restart(cause);
            }
        });
    }

    private synchronized void append(Registry.StoredEvent stored) {
        if (closed) {
            return;
        }
        headIndex = stored.revision() == head ? headIndex + 1 : 0;
        head = stored.revision();
        Positioned p = new Positioned(head, headIndex, stored.event());
        buffer.addLast(p);
        while (buffer.size() > capacity) {
            // Evict whole revisions, so that "everything above floor is buffered" stays true.
            long oldest = buffer.peekFirst().revision();
            if (oldest == head) {
                break;
            }
            while (!buffer.isEmpty() && buffer.peekFirst().revision() == oldest) {
                buffer.pollFirst();
            }
            floor = oldest;
        }
        for (Subscriber s : live) {
            s.deliver(p.revision(), p.index(), p.event());
        }
    }

    /** The shared watch ended: every live session ends (its agent resumes), and the feed starts afresh. */
    private void restart(Throwable cause) {
        List<Subscriber> ended;
        synchronized (this) {
            if (closed) {
                return;
            }
            LOG.warn("shared event watch ended ({}): sessions resume", cause.toString());
            ended = List.copyOf(live);
            live.clear();
        }
        ended.forEach(s -> s.failed(cause));
        executor.execute(() -> {
            synchronized (this) {
                if (!closed) {
                    watch.close();
                    start();
                }
            }
        });
    }

    /** Delivers every event after revision {@code after} to {@code subscriber}, then new ones as they are stored. */
    public synchronized Subscription subscribe(long after, Subscriber subscriber) {
        if (after >= floor) {
            replay(after, subscriber);
            live.add(subscriber);
            return () -> unsubscribe(subscriber);
        }
        return new CatchUp(after, subscriber);
    }

    private void replay(long after, Subscriber subscriber) {
        for (Positioned p : buffer) {
            if (p.revision() > after) {
                subscriber.deliver(p.revision(), p.index(), p.event());
            }
        }
    }

    private synchronized void unsubscribe(Subscriber subscriber) {
        live.remove(subscriber);
    }

    /** A subscriber behind the buffer: its own watch until it meets the shared feed at a revision boundary. */
    private final class CatchUp implements Subscription, Registry.Listener<Registry.StoredEvent> {
        private final Subscriber subscriber;
        private final Registry.Watch own;
        private long revision;
        private int index = -1;
        private boolean joined;
        private boolean closedHere;

        CatchUp(long after, Subscriber subscriber) {
            this.subscriber = subscriber;
            this.revision = after;
            this.own = registry.watchEvents(after, this);
        }

        @Override
        public void onNext(Registry.StoredEvent stored) {
            synchronized (EventFeed.this) {
                if (joined || closedHere) {
                    return;
                }
                boolean newRevision = stored.revision() != revision;
                // Join at the start of a revision that the buffer holds completely (the shared watch is past it).
                if (newRevision && stored.revision() > floor && stored.revision() < head) {
                    joined = true;
                    replay(revision, subscriber);
                    live.add(subscriber);
                    executor.execute(own::close);
                    return;
                }
                index = newRevision ? 0 : index + 1;
                revision = stored.revision();
                subscriber.deliver(revision, index, stored.event());
            }
        }

        @Override
        public void compacted(long compactRevision) {
            subscriber.compacted(compactRevision);
        }

        @Override
        public void failed(Throwable cause) {
            boolean report;
            synchronized (EventFeed.this) {
                report = !joined && !closedHere;
            }
            if (report) {
                subscriber.failed(cause);
            }
        }

        @Override
        public void close() {
            synchronized (EventFeed.this) {
                closedHere = true;
                live.remove(subscriber);
            }
            own.close();
        }
    }

    @Override
    public void close() {
        Registry.Watch w;
        synchronized (this) {
            closed = true;
            live.clear();
            w = watch;
        }
        if (w != null) {
            w.close();
        }
    }
}
