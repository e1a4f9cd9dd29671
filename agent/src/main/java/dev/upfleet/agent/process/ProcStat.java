package dev.upfleet.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of {@code /proc/PID/stat} a supervisor needs. The command name (field 2) may contain spaces and
 * parentheses, so fields are counted from the last {@code ')'}.
 *
 * @param state     field 3 ({@code R S D Z T t X ...})
 * @param startTime field 22, clock ticks since boot: with the pid it names one process for the life of the system
 */
public record ProcStat(long pid, char state, long ppid, long pgrp, long session, long startTime) {

    public static Optional<ProcStat> read(long pid) {
        // procfs reports a size of 0, so Files.readString would start from an 8 KiB buffer and copy out of it; the
        // line is at most about 1.2 KB (52 numeric fields and a command name of 16 bytes or fewer).
        byte[] line = new byte[2048];
        try (InputStream in = Files.newInputStream(Path.of("/proc", Long.toString(pid), "stat"))) {
            int n = in.readNBytes(line, 0, line.length);
            return Optional.of(parse(pid, new String(line, 0, n, StandardCharsets.ISO_8859_1)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Reads the fields in place: this runs for every process the agent starts (its identity for re-adoption), and
     * splitting the line into its 50 fields made it one of the agent's largest allocators.
     */
    static ProcStat parse(long pid, String line) {
        Fields f = new Fields(line, line.lastIndexOf(')') + 2); // at field 3
        char state = line.charAt(f.at);
        f.skip(1);
        long ppid = f.nextLong(); // 4
        long pgrp = f.nextLong(); // 5
        long session = f.nextLong(); // 6
        f.skip(15); // 7 to 21
        return new ProcStat(pid, state, ppid, pgrp, session, f.nextLong()); // 22
    }

    /** A cursor over space-separated fields; {@link NumberFormatException} when the line ends early. */
    private static final class Fields {
        private final String line;
        private int at;

        Fields(String line, int at) {
            this.line = line;
            this.at = at;
        }

        void skip(int fields) {
            for (int i = 0; i < fields; i++) {
                at = line.indexOf(' ', at) + 1;
                if (at == 0) {
                    throw new NumberFormatException("/proc stat line too short");
                }
            }
        }

        long nextLong() {
            int end = line.indexOf(' ', at);
            long value = Long.parseLong(line, at, end < 0 ? line.stripTrailing().length() : end, 10);
            at = end + 1;
            return value;
        }
    }

    public boolean zombie() {
        return state == 'Z' || state == 'X';
    }

    /** The children of {@code pid}, from {@code /proc/PID/task/TID/children} of every thread. */
    public static List<Long> children(long pid) {
        List<Long> out = new ArrayList<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var threads = Files.newDirectoryStream(tasks)) {
            for (Path task : threads) {
                try {
                    String text = Files.readString(task.resolve("children"));
                    for (String s : text.trim().split("\\s+")) {
                        if (!s.isEmpty()) {
                            out.add(Long.parseLong(s));
                        }
                    }
                } catch (IOException ignored) {
                    // the thread ended while we listed it
                }
            }
        } catch (IOException ignored) {
            // the process is gone: no children
        }
        return out;
    }

    /** The initial environment of a process as {@code KEY -> VALUE}; empty for zombies and vanished processes. */
    public static Map<String, String> environ(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            Map<String, String> env = new java.util.HashMap<>();
            for (String entry : new String(raw, StandardCharsets.UTF_8).split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            return env;
        } catch (IOException e) {
            return Map.of();
        }
    }
}
