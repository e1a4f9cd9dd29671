package dev.upfleet.agent.process;

import java.util.Optional;

/**
 * One process for the life of the system: a pid alone can be reused after the process dies, a pid plus its start
 * time (field 22 of {@code /proc/PID/stat}) cannot. The engine persists identities so that after a restart it can
 * tell whether the job's process is still the one it started.
 */
public record ProcessIdentity(long pid, long startTime) {

    /** The identity of a running process now, empty if there is none (or only a zombie). */
    public static Optional<ProcessIdentity> of(long pid) {
        return ProcStat.read(pid).filter(s -> !s.zombie()).map(s -> new ProcessIdentity(pid, s.startTime()));
    }

    /** Whether this exact process is still running (not a zombie, and the pid not reused by another process). */
    public boolean isAlive() {
        return ProcStat.read(pid).filter(s -> !s.zombie()).map(s -> s.startTime() == startTime).orElse(false);
    }

    public static boolean isAlive(ProcessIdentity identity) {
        return identity.isAlive();
    }

    /** A compact text form for state files: {@code PID:STARTTIME}. */
    @Override
    public String toString() {
        return pid + ":" + startTime;
    }

    public static ProcessIdentity parse(String text) {
        int colon = text.indexOf(':');
        return new ProcessIdentity(Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
    }
}
