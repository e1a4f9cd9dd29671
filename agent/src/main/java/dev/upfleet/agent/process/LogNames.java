package dev.upfleet.agent.process;

import java.nio.file.Path;

/** Upstart's log file naming: {@code NAME.log} or {@code NAME-INSTANCE.log}, every {@code /} turned into {@code _}. */
public final class LogNames {
    private LogNames() {}

    public static String fileName(String job, String instance) {
        String base = job.replace('/', '_');
        return (instance.isEmpty() ? base : base + "-" + instance.replace('/', '_')) + ".log";
    }

    public static Path path(Path logDir, String job, String instance) {
        return logDir.resolve(fileName(job, instance));
    }
}
