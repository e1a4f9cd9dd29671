package dev.upfleet.core.job;

/** The {@code console} stanza: where job output goes. */
public enum Console {
    NONE, OUTPUT, OWNER, LOG;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The value of a {@code console} stanza (or init's {@code --default-console}), matched exactly. */
    public static java.util.Optional<Console> fromWireName(String word) {
        for (Console c : values()) {
            if (c.wireName().equals(word)) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }
}
