package dev.upfleet.core.job;

import java.util.Optional;

/** The resources of the {@code limit} stanza, with their Linux RLIMIT numbers (x86_64). Declared in name order. */
public enum RlimitResource {
    AS("as", 9),
    CORE("core", 4),
    CPU("cpu", 0),
    DATA("data", 2),
    FSIZE("fsize", 1),
    MEMLOCK("memlock", 8),
    MSGQUEUE("msgqueue", 12),
    NICE("nice", 13),
    NOFILE("nofile", 7),
    NPROC("nproc", 6),
    RSS("rss", 5),
    RTPRIO("rtprio", 14),
    SIGPENDING("sigpending", 11),
    STACK("stack", 3);

    private final String wireName;
    private final int number;

    RlimitResource(String wireName, int number) {
        this.wireName = wireName;
        this.number = number;
    }

    public String wireName() {
        return wireName;
    }

    /** The {@code RLIMIT_*} constant for setrlimit(2). */
    public int number() {
        return number;
    }

    public static Optional<RlimitResource> fromWireName(String name) {
        for (RlimitResource r : values()) {
            if (r.wireName.equals(name)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
