package dev.upfleet.functional.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Real processes seen through /proc, and signals sent to them. Linux only, like the agent. */
public final class Procs {
    private static final Path PROC = Path.of("/proc");

    private Procs() {}

    /** True while {@code pid} exists and is not a zombie (a killed orphan may stay a zombie under a lazy PID 1). */
    public static boolean alive(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The argv of {@code pid} joined by spaces, or "" if it is gone. A process the agent has just spawned may still be
     * inside execve: glibc's posix_spawn returns once the child has released the parent's memory, before the kernel has
     * set up the new image's arguments, and its cmdline reads empty until then; so an empty one is read again, briefly.
     */
    public static String cmdline(long pid) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            String line;
            try {
                byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
                line = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
            } catch (IOException e) {
                return "";
            }
            if (!line.isEmpty() || !alive(pid) || System.nanoTime() > deadline) {
                return line;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** Resident set size in KiB ({@code VmRSS} of /proc/PID/status), or -1 if the process is gone. */
    public static long vmRssKib(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Live processes whose environment holds exactly {@code entry} (e.g. the test's marker variable). */
    public static List<Long> withEnv(String entry) {
        byte[] needle = entry.getBytes(StandardCharsets.UTF_8);
        List<Long> found = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(PROC)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                if (pid != ProcessHandle.current().pid() && holds(dir.resolve("environ"), needle) && alive(pid)) {
                    found.add(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    /** Live processes holding {@code entry} in their environment whose command line is exactly {@code cmdline}. */
    public static List<Long> withEnvAndCmdline(String entry, String cmdline) {
        return withEnv(entry).stream().filter(p -> cmdline(p).equals(cmdline)).toList();
    }

    private static boolean holds(Path environ, byte[] needle) {
        byte[] env;
        try {
            env = Files.readAllBytes(environ);
        } catch (IOException e) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == needle.length && Arrays.equals(env, start, i, needle, 0, needle.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** Sends {@code signal} (a name such as KILL or TERM) to {@code pid}; false if the process was already gone. */
    public static boolean signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
