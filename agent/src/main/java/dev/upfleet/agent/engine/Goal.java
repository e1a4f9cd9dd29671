package dev.upfleet.agent.engine;

import java.util.Locale;

/** What an instance is heading for. {@code RESPAWN} is transient: set while a deferred respawn waits for a hook process. */
public enum Goal {
    STOP, START, RESPAWN;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
