package dev.upfleet.agent.process;

import dev.upfleet.core.job.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** How Upstart turns an {@code exec} line or a {@code script} into an argv (init(5), spec §7). */
final class CommandLine {
    static final String SHELL = "/bin/sh";
    /** An exec command containing any of these runs through the shell. */
    static final String SHELL_CHARS = "~`!$^&*()=|\\{}[];\"'<>?";
    /** execvp's default search path when the job has no PATH. */
    static final String DEFAULT_PATH = "/bin:/usr/bin";

    private CommandLine() {}

    static boolean needsShell(String command) {
        for (int i = 0; i < command.length(); i++) {
            if (SHELL_CHARS.indexOf(command.charAt(i)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The argv to run: {@code /bin/sh -e -c "exec COMMAND" /bin/sh}, {@code /bin/sh -e -c SCRIPT /bin/sh}, or the
     * command split on white space (no quote processing, as in Upstart). argv[0] of a direct command is not resolved.
     */
    static List<String> argv(Command command) {
        return switch (command) {
            case Command.Script s -> List.of(SHELL, "-e", "-c", s.text(), SHELL);
            case Command.Exec e when needsShell(e.text()) -> List.of(SHELL, "-e", "-c", "exec " + e.text(), SHELL);
            case Command.Exec e -> split(e.text());
        };
    }

    /** The words between spaces, tabs, CRs and LFs (scanned, not split by a regex compiled on every spawn). */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean blank = i == text.length() || " \t\r\n".indexOf(text.charAt(i)) >= 0;
            if (blank && start >= 0) {
                out.add(text.substring(start, i));
                start = -1;
            } else if (!blank && start < 0) {
                start = i;
            }
        }
        return out;
    }

    /** The job's PATH from its environment, or execvp's default. */
    static String pathOf(List<String> env) {
        for (int i = env.size() - 1; i >= 0; i--) {
            if (env.get(i).startsWith("PATH=")) {
                return env.get(i).substring(5);
            }
        }
        return DEFAULT_PATH;
    }

    /**
     * execvp's search: a name with a slash is used as is; otherwise the first executable regular file along PATH,
     * else the first existing one (so exec reports EACCES as execvp would), else empty (ENOENT).
     */
    static Optional<String> resolve(String name, String path) {
        if (name.contains("/")) {
            return Optional.of(name);
        }
        String existing = null;
        for (String dir : path.split(":", -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate)) {
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
                if (existing == null) {
                    existing = candidate.toString();
                }
            }
        }
        return Optional.ofNullable(existing);
    }
}
