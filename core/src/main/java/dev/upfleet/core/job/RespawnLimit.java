package dev.upfleet.core.job;

/**
 * {@code respawn limit COUNT INTERVAL}; a zero in either field means unlimited. COUNT is a C {@code int} in Upstart,
 * INTERVAL a {@code time_t} (64-bit), so any non-negative {@code long} is stored as written.
 */
public record RespawnLimit(int count, long interval) {
    public static final RespawnLimit DEFAULT = new RespawnLimit(10, 5);

    public boolean unlimited() {
        return count == 0 || interval == 0;
    }
}
