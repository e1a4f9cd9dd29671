package dev.upfleet.agent.engine;

import java.util.Locale;

/**
 * The states of a job instance that upfleet enters, in Upstart's order. Upstart 1.13's transient spawning states
 * (security-spawning, pre-starting, ...) are skipped: spawning is synchronous here, so they would never be visible.
 * {@code security} is entered only while an {@code apparmor load} process runs (see JobMachine).
 */
public enum JobState {
    WAITING, STARTING, SECURITY, PRE_START, SPAWNED, POST_START, RUNNING, PRE_STOP, STOPPING, KILLED, POST_STOP;

    /** The name {@code initctl status} prints, e.g. {@code pre-start}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The state of an exact wire name; like Upstart's {@code job_state_from_name}, any other spelling is unknown. */
    public static JobState fromWireName(String name) {
        for (JobState state : values()) {
            if (state.wireName().equals(name)) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown job state: " + name);
    }
}
