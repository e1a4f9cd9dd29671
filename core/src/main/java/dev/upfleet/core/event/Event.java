package dev.upfleet.core.event;

import java.util.List;

/**
 * An event as it is matched: its name, its ordered {@code KEY=VALUE} environment, and the node it happened on.
 * {@code node} travels beside the environment (DESIGN.md), so local events look exactly as in Upstart.
 */
public record Event(String name, List<String> env, String node) {
    public Event {
        env = List.copyOf(env);
    }

    /** The value of {@code key} in the environment, or null. */
    public String get(String key) {
        for (String entry : env) {
            int eq = entry.indexOf('=');
            if (eq == key.length() && entry.startsWith(key)) {
                return entry.substring(eq + 1);
            }
        }
        return null;
    }
}
