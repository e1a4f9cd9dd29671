package dev.upfleet.core.job;

/** One {@code limit} stanza: soft and hard values, {@link #UNLIMITED} for infinity. */
public record Limit(long soft, long hard) {
    /** RLIM_INFINITY. */
    public static final long UNLIMITED = -1L;

    public static String render(long value) {
        return value == UNLIMITED ? "unlimited" : Long.toUnsignedString(value);
    }
}
