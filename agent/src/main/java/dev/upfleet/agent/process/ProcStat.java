package dev.upfleet.agent.process;

import java.io.IOException;
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
        try {
            return Optional.of(parse(pid, Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static ProcStat parse(long pid, String line) {
        String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3.
        return new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                Long.parseLong(f[19]));
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
