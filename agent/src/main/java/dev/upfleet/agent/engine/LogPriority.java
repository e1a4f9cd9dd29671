package dev.upfleet.agent.engine;

import java.util.Locale;
import java.util.Optional;

/** Upstart's daemon log priorities, lowest first; {@code initctl log-priority} sets the threshold. */
public enum LogPriority {
    DEBUG, INFO, MESSAGE, WARN, ERROR, FATAL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<LogPriority> fromWireName(String name) {
        for (LogPriority p : values()) {
            if (p.wireName().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
