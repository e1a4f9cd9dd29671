package dev.upfleet.agent.control;

import java.util.List;
import java.util.Set;

/**
 * Validates requests before they reach the engine, with Upstart's D-Bus {@code InvalidArgs} texts. A failed check
 * throws {@link InvalidRequest}, which the service maps to {@code INVALID_ARGUMENT}: a malformed request never reaches
 * {@link JobControl} and never crashes the agent.
 */
final class RequestCheck {
    static final Set<String> LOG_PRIORITIES = Set.of("debug", "info", "message", "warn", "error", "fatal");

    /** Far beyond any real command line, small enough that a hostile client cannot make the engine hoard memory. */
    static final int MAX_ITEMS = 4096;
    static final int MAX_CHARS = 128 * 1024;

    private RequestCheck() {}

    static final class InvalidRequest extends RuntimeException {
        InvalidRequest(String message) {
            super(message, null, false, false);
        }
    }

    static void name(String name) {
        size(name);
        if (name.isEmpty()) {
            throw new InvalidRequest("Name may not be empty string");
        }
    }

    /** Job and event environments: every entry {@code KEY=VALUE} with a non-empty key. */
    static void env(List<String> env) {
        items(env);
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw new InvalidRequest("Env must be KEY=VALUE pairs");
            }
        }
    }

    /** set-env/unset-env/get-env: {@code VAR} or {@code VAR=VALUE}; the name may not be empty. */
    static void variables(List<String> vars) {
        items(vars);
        if (vars.isEmpty()) {
            throw new InvalidRequest("Variable may not be empty string");
        }
        for (String v : vars) {
            int eq = v.indexOf('=');
            if ((eq < 0 ? v : v.substring(0, eq)).isEmpty()) {
                throw new InvalidRequest("Variable may not be empty string");
            }
        }
    }

    static void logPriority(String priority) {
        size(priority);
        if (!priority.isEmpty() && !LOG_PRIORITIES.contains(priority)) {
            throw new InvalidRequest("The log priority given was not recognised");
        }
    }

    private static void items(List<String> items) {
        if (items.size() > MAX_ITEMS) {
            throw new InvalidRequest("Argument list too long");
        }
        items.forEach(RequestCheck::size);
    }

    private static void size(String s) {
        if (s.length() > MAX_CHARS) {
            throw new InvalidRequest("Argument list too long");
        }
    }
}
