package dev.upfleet.core.parse;

/**
 * Every way a job file can be rejected, with Upstart's exact message (§10). The class name is the one used by the
 * conformance cases.
 */
public enum ErrorCode {
    UNKNOWN_STANZA("unknown-stanza", "Unknown stanza"),
    EXPECTED_TOKEN("expected-token", "Expected token"),
    UNEXPECTED_TOKEN("unexpected-token", "Unexpected token"),
    TRAILING_SLASH("trailing-slash", "Trailing slash in file"),
    UNTERMINATED_QUOTE("unterminated-quote", "Unterminated quoted string"),
    UNTERMINATED_BLOCK("unterminated-block", "Unterminated block"),
    ILLEGAL_INTERVAL("illegal-interval", "Illegal interval, expected number of seconds"),
    ILLEGAL_EXIT("illegal-exit", "Illegal exit status, expected integer"),
    ILLEGAL_SIGNAL("illegal-signal", "Illegal signal status, expected integer"),
    ILLEGAL_UMASK("illegal-umask", "Illegal file creation mask, expected octal integer"),
    ILLEGAL_NICE("illegal-nice", "Illegal nice value, expected -20 to 19"),
    ILLEGAL_OOM("illegal-oom", "Illegal oom adjustment, expected -16 to 15 or 'never'"),
    ILLEGAL_OOM_SCORE("illegal-oom", "Illegal oom score adjustment, expected -999 to 1000 or 'never'"),
    ILLEGAL_LIMIT("illegal-limit", "Illegal limit, expected 'unlimited' or integer"),
    EXPECTED_EVENT("expected-event", "Expected event"),
    EXPECTED_OPERATOR("expected-operator", "Expected operator"),
    EXPECTED_VARIABLE("expected-variable", "Expected variable name before value"),
    MISMATCHED_PARENS("mismatched-parens", "Mismatched parentheses"),
    /** Not a parse error: the file could not be read or decoded. Reported without a line, like Upstart's load errors. */
    UNREADABLE("unreadable", "Unable to read file");

    private final String className;
    private final String message;

    ErrorCode(String className, String message) {
        this.className = className;
        this.message = message;
    }

    public String className() {
        return className;
    }

    public String message() {
        return message;
    }

    /**
     * Upstart logs these without a line number ({@code PATH: Error while loading configuration file: MESSAGE}):
     * the signal error is missing from its list of line-numbered parse errors (quirk §14.12).
     */
    public boolean reportedWithoutLine() {
        return this == ILLEGAL_SIGNAL || this == UNREADABLE;
    }
}
