package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import java.time.Duration;
import java.time.InstantSource;

/**
 * Events are stored on expiring leases, one per minute, each living for the retention window plus that minute: an
 * event vanishes between {@code retention} and {@code retention + 1 min} after it was stored, for one lease grant per
 * minute instead of one per event.
 */
public final class RetentionLeases {
    private static final Duration BUCKET = Duration.ofMinutes(1);

    private final Registry registry;
    private final Duration retention;
    private final InstantSource clock;
    private Registry.Lease current;
    private long grantedAt;

    public RetentionLeases(Registry registry, Duration retention, InstantSource clock) {
        this.registry = registry;
        this.retention = retention;
        this.clock = clock;
    }

    public synchronized Registry.Lease current() {
        long now = clock.millis();
        if (current == null || now - grantedAt >= BUCKET.toMillis()) {
            current = registry.grantExpiringLease(retention.plus(BUCKET));
            grantedAt = now;
        }
        return current;
    }

    public Duration retention() {
        return retention;
    }
}
