package dev.upfleet.core.job;

/** {@code respawn limit COUNT INTERVAL}; a zero in either field means unlimited. */
public record RespawnLimit(int count, int interval) {
    public static final RespawnLimit DEFAULT = new RespawnLimit(10, 5);

    public boolean unlimited() {
        return count == 0 || interval == 0;
    }
}
