package dev.upfleet.agent.cluster;

import dev.upfleet.proto.cluster.v1.RelayedEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * This node's events waiting to be stored in etcd, in sequence order. An event stays until a controller confirms it
 * stored it; after a reconnect everything unconfirmed is sent again (storing is idempotent by sequence number). The
 * outbox is bounded: while no controller is reachable for long, the oldest events are dropped (counted and logged)
 * rather than growing without limit — local jobs never wait for it.
 */
final class Outbox {
    private record Entry(RelayedEvent event, CompletableFuture<Long> stored) {}

    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** Entries at the head already sent on the current connection. */
    private int sent;
    /** The connection {@link #sent} counts for; a send on an older one must not count. */
    private Object connection;
    private long dropped;

    Outbox(int capacity) {
        this.capacity = capacity;
    }

    synchronized CompletableFuture<Long> add(RelayedEvent event) {
        if (entries.size() >= capacity) {
            Entry oldest = entries.pollFirst();
            sent = Math.max(0, sent - 1);
            dropped++;
            oldest.stored().completeExceptionally(new IllegalStateException("dropped: no controller reachable"));
        }
        Entry entry = new Entry(event, new CompletableFuture<>());
        entries.addLast(entry);
        notifyAll();
        return entry.stored();
    }

    /**
     * Waits for unsent events and returns up to {@code max} of them, marking them sent on {@code on}. Returns nothing
     * when {@code on} is not the current connection: a sender still holding a dead connection must not mark events
     * as sent that the new connection has to send (acknowledgements are cumulative, so they would be lost).
     */
    synchronized List<RelayedEvent> takeUnsent(Object on, int max, long timeoutMillis) throws InterruptedException {
        if (on != connection) {
            return List.of();
        }
        if (sent >= entries.size()) {
            wait(timeoutMillis);
            if (on != connection) {
                return List.of();
            }
        }
        List<RelayedEvent> batch = new ArrayList<>();
        Iterator<Entry> it = entries.iterator();
        for (int i = 0; i < sent && it.hasNext(); i++) {
            it.next();
        }
        while (it.hasNext() && batch.size() < max) {
            batch.add(it.next().event());
        }
        sent += batch.size();
        return batch;
    }

    /** Everything up to {@code upToSeq} is stored. */
    synchronized void stored(long upToSeq) {
        while (!entries.isEmpty() && entries.peekFirst().event().getOriginSeq() <= upToSeq) {
            Entry e = entries.pollFirst();
            sent = Math.max(0, sent - 1);
            e.stored().complete(upToSeq);
        }
    }

    /** A new connection: nothing has been sent on it yet. */
    synchronized void resend(Object newConnection) {
        connection = newConnection;
        sent = 0;
        notifyAll();
    }

    synchronized long dropped() {
        return dropped;
    }

    synchronized void wakeUp() {
        notifyAll();
    }
}
