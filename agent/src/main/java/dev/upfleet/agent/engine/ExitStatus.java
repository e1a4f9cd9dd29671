package dev.upfleet.agent.engine;

import dev.upfleet.core.job.Signals;

/** How a process ended: an exit code, or the signal that killed it. */
public record ExitStatus(boolean signaled, int value) {

    public static ExitStatus exited(int code) {
        return new ExitStatus(false, code);
    }

    /** A process that was not our child (re-adopted after an agent restart) ended; its status cannot be read. */
    public static ExitStatus unknown() {
        return new ExitStatus(false, -1);
    }

    public boolean known() {
        return signaled || value >= 0;
    }

    public static ExitStatus killedBy(int signal) {
        return new ExitStatus(true, signal);
    }

    /** Upstart's encoding, as compared with {@code normal exit}: the code, or {@code signal << 8}. */
    public int encoded() {
        return signaled ? value << 8 : value;
    }

    public boolean success() {
        return !signaled && value == 0;
    }

    /** {@code EXIT_STATUS=n} or {@code EXIT_SIGNAL=NAME}, as the job events carry it. */
    public String eventVariable() {
        return signaled ? "EXIT_SIGNAL=" + Signals.toName(value) : "EXIT_STATUS=" + value;
    }
}
