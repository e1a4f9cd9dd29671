package dev.upfleet.core.job;

import java.util.Optional;

/** Linux (x86_64) signal names and numbers, as Upstart's {@code nih_signal_from_name}/{@code nih_signal_to_name} know them. */
public final class Signals {
    public static final int HUP = 1;
    public static final int INT = 2;
    public static final int KILL = 9;
    public static final int TERM = 15;
    public static final int CONT = 18;
    public static final int STOP = 19;

    // Index = signal number; null where Linux has no name for it.
    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "PWR", "SYS"
    };

    private Signals() {}

    /** Looks up {@code TERM} or {@code SIGTERM} (case-sensitive); also accepts the aliases IOT, CLD, POLL. */
    public static Optional<Integer> fromName(String name) {
        String bare = name.startsWith("SIG") ? name.substring(3) : name;
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i] != null && NAMES[i].equals(bare)) {
                return Optional.of(i);
            }
        }
        return switch (bare) {
            case "IOT" -> Optional.of(6);
            case "CLD" -> Optional.of(17);
            case "POLL" -> Optional.of(29);
            default -> Optional.empty();
        };
    }

    /** The name without {@code SIG}, or the number in decimal when the signal has no name. */
    public static String toName(int signal) {
        if (signal > 0 && signal < NAMES.length && NAMES[signal] != null) {
            return NAMES[signal];
        }
        return Integer.toString(signal);
    }
}
