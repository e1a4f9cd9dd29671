package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.controller.registry.RegistryException;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What exactly one controller does at a time: turning node-record changes into {@code node-up}/{@code node-down}
 * events (each change exactly once, thanks to the membership cursor stored with the event in one transaction), and
 * compacting etcd's history past the retention window (so that an agent asking for older events is told to resync
 * instead of silently missing them).
 */
public final class LeaderDuties implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderDuties.class);
    /** Membership events use sequence numbers above every agent's, under the node's own origin. */
    static final long MEMBERSHIP_SEQ_BASE = 1L << 62;
    private static final Duration LEADER_TTL = Duration.ofSeconds(5);
    private static final Duration COMPACT_EVERY = Duration.ofSeconds(30);

    private record Mark(long millis, long revision) {}

    private final String name;
    private final Registry registry;
    private final RetentionLeases retention;
    private final RelayMetrics metrics;
    private final InstantSource clock;
    private final Thread thread;
    private final ArrayDeque<Mark> marks = new ArrayDeque<>();
    private volatile boolean closed;

    public LeaderDuties(String name, Registry registry, RetentionLeases retention, RelayMetrics metrics, InstantSource clock) {
        this.name = name;
        this.registry = registry;
        this.retention = retention;
        this.metrics = metrics;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("upfleet-leader").daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        while (!closed) {
            try (Registry.Lease lease = registry.grantLease(LEADER_TTL)) {
                registry.campaign(name, lease);
                LOG.info("{} is the leader", name);
                metrics.leading(true);
                lead(lease);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("leadership: {}", e.toString());
                sleepQuietly(1000);
            } finally {
                metrics.leading(false);
            }
        }
    }

    private void lead(Registry.Lease lease) throws InterruptedException {
        LinkedBlockingQueue<Registry.NodeChange> changes = new LinkedBlockingQueue<>();
        long cursor = registry.membershipCursor();
        if (cursor == 0) {
            // A new cluster: membership is announced from now on; record that so the next leader continues here.
            long now = registry.currentRevision();
            if (!registry.storeMembershipEvent(null, retention.current(), 0, now)) {
                return;
            }
            cursor = now;
        }
        long[] compactedAt = {-1};
        try (Registry.Watch watch = registry.watchNodes(cursor, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.NodeChange change) {
                changes.add(change);
            }

            @Override
            public void compacted(long compactRevision) {
                compactedAt[0] = compactRevision;
            }
        })) {
            long nextCompaction = clock.millis() + COMPACT_EVERY.toMillis();
            while (!closed && lease.alive()) {
                if (compactedAt[0] >= 0) {
                    LOG.warn("membership history compacted at {}: changes before it were not announced", compactedAt[0]);
                    return; // re-campaign; the cursor is behind the compaction, so start from the current revision
                }
                Registry.NodeChange change = changes.poll(500, TimeUnit.MILLISECONDS);
                if (change != null && change.revision() > cursor) {
                    if (announce(change, cursor)) {
                        cursor = change.revision();
                    } else {
                        return; // another leader announced it: we are not leading any more
                    }
                }
                if (clock.millis() >= nextCompaction) {
                    compact();
                    nextCompaction = clock.millis() + COMPACT_EVERY.toMillis();
                }
            }
        }
    }

    private boolean announce(Registry.NodeChange change, long cursor) {
        String event = change.info().isEmpty() ? "node-down" : change.created() ? "node-up" : null;
        if (event == null) {
            // A refresh of an existing record (labels, interest, failover to another controller): no event.
            return registry.storeMembershipEvent(null, retention.current(), cursor, change.revision());
        }
        RelayedEvent e = RelayedEvent.newBuilder().setOriginNode(change.node())
                .setOriginSeq(MEMBERSHIP_SEQ_BASE + change.revision()).setName(event)
                .addEnv("NODE=" + change.node()).setEmittedUnixMillis(clock.millis()).build();
        boolean stored = registry.storeMembershipEvent(e, retention.current(), cursor, change.revision());
        if (stored) {
            LOG.info("{} NODE={}", event, change.node());
        }
        return stored;
    }

    /** Compacts history older than the retention window, using revisions this leader saw over time. */
    private void compact() {
        try {
            long now = clock.millis();
            marks.add(new Mark(now, registry.currentRevision()));
            Mark candidate = null;
            while (!marks.isEmpty() && now - marks.peekFirst().millis() >= retention.retention().toMillis()) {
                candidate = marks.pollFirst();
            }
            if (candidate != null && candidate.revision() >= registry.oldestAvailableRevision()) {
                registry.compact(candidate.revision());
                LOG.info("compacted etcd history up to revision {}", candidate.revision());
            }
        } catch (RegistryException e) {
            LOG.warn("compaction: {}", e.getMessage());
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
