package dev.upfleet.core.job;

/** The {@code console} stanza: where job output goes. */
public enum Console {
    NONE, OUTPUT, OWNER, LOG;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
