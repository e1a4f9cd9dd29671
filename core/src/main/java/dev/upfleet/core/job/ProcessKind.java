package dev.upfleet.core.job;

/** The process slots of a job, in Upstart's internal order (which is also the order {@code status} reports them in). */
public enum ProcessKind {
    MAIN("main"),
    PRE_START("pre-start"),
    POST_START("post-start"),
    PRE_STOP("pre-stop"),
    POST_STOP("post-stop"),
    SECURITY("security");

    private final String wireName;

    ProcessKind(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in job files, events ({@code PROCESS=}) and log lines. */
    public String wireName() {
        return wireName;
    }

    public static ProcessKind fromWireName(String name) {
        for (ProcessKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown process kind: " + name);
    }
}
