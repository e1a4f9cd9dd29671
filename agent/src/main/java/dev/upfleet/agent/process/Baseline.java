package dev.upfleet.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent's own process attributes, read once at launcher start. A posix_spawn child inherits them, so a job whose
 * umask, oom score and nice equal these needs no wrapper to get them exactly. {@code sysAdmin}: the agent holds
 * CAP_SYS_ADMIN, without which a console that is another session's controlling terminal cannot be taken over.
 */
public record Baseline(int umask, int oomScore, int nice, boolean root, boolean sysAdmin) {
    private static final int CAP_SYS_ADMIN = 21;

    static Baseline current() {
        return new Baseline(ownUmask(), readOom(), readNice(), readEuid() == 0, readSysAdmin());
    }

    private static boolean readSysAdmin() {
        for (String line : lines("/proc/self/status")) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << CAP_SYS_ADMIN)) != 0;
            }
        }
        return false;
    }

    /** This process's umask (also what a Session Init's jobs inherit, {@code AgentMain}); 022 if /proc lacks it. */
    public static int ownUmask() {
        for (String line : lines("/proc/self/status")) {
            if (line.startsWith("Umask:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        return 022;
    }

    private static long readEuid() {
        for (String line : lines("/proc/self/status")) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
            }
        }
        return -1;
    }

    private static int readOom() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static int readNice() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static java.util.List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            return java.util.List.of();
        }
    }
}
