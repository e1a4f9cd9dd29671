package dev.upfleet.core.job;

/** The {@code expect} stanza: how the main process announces that it is ready. */
public enum Expect {
    NONE, STOP, FORK, DAEMON;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
