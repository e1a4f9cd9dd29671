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
    /** The descriptor a multi-line script reaches its shell through (Upstart's JOB_PROCESS_SCRIPT_FD). */
    static final int SCRIPT_FD = 9;
    static final String SCRIPT_PATH = "/proc/self/fd/" + SCRIPT_FD;

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
     * The argv to run, as Upstart's job_process_start builds it: a shell command ({@code SCRIPT}, or {@code exec
     * COMMAND} for an exec line with shell characters) whose only newlines are trailing ones goes on the command line
     * without them, {@code /bin/sh -e -c SCRIPT /bin/sh}; a longer one is read from {@link #SCRIPT_FD}, {@code /bin/sh
     * -e /proc/self/fd/9} (see {@link #fedScript}). Any other command is split on white space (no quote processing,
     * as in Upstart); argv[0] of a direct command is not resolved.
     */
    static List<String> argv(Command command) {
        return switch (shellScript(command)) {
            case null -> split(command.text());
            case String script when multiLine(script) -> List.of(SHELL, "-e", SCRIPT_PATH);
            case String script -> List.of(SHELL, "-e", "-c", withoutTrailingNewlines(script), SHELL);
        };
    }

    /** The script the shell reads through {@link #SCRIPT_FD}, for a command {@link #argv} runs that way. */
    static Optional<String> fedScript(Command command) {
        String script = shellScript(command);
        return script != null && multiLine(script) ? Optional.of(script) : Optional.empty();
    }

    /** What the shell runs, or null for a command executed directly. */
    private static String shellScript(Command command) {
        return switch (command) {
            case Command.Script s -> s.text();
            case Command.Exec e when needsShell(e.text()) -> "exec " + e.text();
            case Command.Exec e -> null;
        };
    }

    /** Whether a line follows the first newline: Upstart's test for piping the script instead of passing it. */
    private static boolean multiLine(String script) {
        int p = script.indexOf('\n');
        if (p < 0) {
            return false;
        }
        while (p < script.length() && script.charAt(p) == '\n') {
            p++;
        }
        return p < script.length();
    }

    private static String withoutTrailingNewlines(String script) {
        int nl = script.indexOf('\n');
        return nl < 0 ? script : script.substring(0, nl);
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
