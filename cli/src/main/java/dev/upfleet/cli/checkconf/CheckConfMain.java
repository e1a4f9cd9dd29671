package dev.upfleet.cli.checkconf;

import dev.upfleet.core.dump.CanonicalDump;
import dev.upfleet.core.parse.ConfProblem;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code init-checkconf [-d] [-s|--noscript] [-i INITCTL] [-x INIT] [-h] [--dump] [-f] FILE...} (spec §9): checks job
 * files with upfleet's own parser instead of a throw-away init, with Upstart's output and exit codes. {@code --dump}
 * prints the canonical form (conformance README §1). Arguments are parsed by hand: this runs once per file check and
 * JVM start-up time dominates.
 */
public final class CheckConfMain {
    private CheckConfMain() {}

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args, System.out, System.err);
        } catch (Throwable t) { // never a stack trace: one line, exit 1
            System.err.println("ERROR: " + (t instanceof StackOverflowError ? "input too deeply nested" : String.valueOf(t)));
            rc = 1;
        }
        System.out.flush();
        System.exit(rc);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options opts = Options.parse(args, err);
        if (opts.help()) {
            out.print(USAGE);
            return 0;
        }
        if (opts.files().isEmpty()) {
            err.println("ERROR: Must specify configuration file");
            return 1;
        }
        int rc = 0;
        for (String file : opts.files()) {
            rc |= check(file, opts, out, err);
        }
        return rc;
    }

    private static int check(String file, Options opts, PrintStream out, PrintStream err) {
        // The script's order: "[ ! -f FILE ]" (so a directory "does not exist" either), then the name's suffix.
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            err.println("ERROR: File " + file + " does not exist");
            return 1;
        }
        if (!file.endsWith(".conf")) {
            err.println("ERROR: File must end in .conf");
            return 1;
        }
        Path fileName = path.getFileName();
        String confName = fileName == null ? file : fileName.toString();
        ParseResult result = JobParser.parseFile(path.toAbsolutePath().getParent(), path.toAbsolutePath());
        return switch (result) {
            case ParseResult.Failed failed -> {
                err.println("ERROR: File " + file + ": syntax invalid:");
                err.println(daemonLine(confName, failed.problem()));
                yield 1;
            }
            case ParseResult.Parsed parsed -> {
                if (opts.dump()) {
                    out.print(CanonicalDump.render(parsed.job()));
                    yield 0;
                }
                if (!opts.noScript()) {
                    // The real tool runs this before asking the daemon; we parse first so that a file with a
                    // parse error always reports it (the conformance driver contract: ":LINE: MESSAGE", exit 1).
                    byte[] content;
                    try {
                        content = Files.readAllBytes(path);
                    } catch (java.io.IOException e) {
                        err.println("ERROR: File " + file + ": " + e.getMessage());
                        yield 1;
                    }
                    int shell = ShellCheck.check(file, content, err);
                    if (shell != 0) {
                        yield shell;
                    }
                }
                out.println("File " + file + ": syntax ok");
                yield 0;
            }
        };
    }

    /**
     * The daemon's log line with the temporary directory stripped: {@code init:NAME.conf:LINE: MESSAGE}. The signal
     * quirk (§10) only concerns init's log; init-checkconf shows every parse error with its line, since the line is
     * what a user needs. Load errors (unreadable file) have no line.
     */
    static String daemonLine(String confName, ConfProblem problem) {
        if (problem.code() == dev.upfleet.core.parse.ErrorCode.UNREADABLE) {
            return "init:" + confName + ": Error while loading configuration file: " + problem.detail();
        }
        return "init:" + confName + ":" + problem.line() + ": " + problem.detail();
    }

    /** The usage text of 1.13's script, printed by {@code -h}/{@code --help}. */
    static final String USAGE = """
            Description: Determine if specified Upstart (init(8)) job configuration
                         file is valid.

            Usage: init-checkconf [options] -f <conf_file>
                   init-checkconf [options]    <conf_file>

            Options:

             -d, --debug           : Show some debug output.
             -f <file>,            : Job configuration file to check.
             --file=<file>           (no default).
             -i <path>,            : Specify path to initctl binary
             --initctl-path=<path>   (default=/sbin/initctl).
             -s, --noscript        : Do not check script sections.
             -x <path>             : Specify path to init daemon binary
             --upstart-path=<path>   (default=/sbin/init).
             -h, --help            : Show this help.

            """;

    /**
     * The option set of 1.13's script ({@code getopt -o df:hi:sx: -l debug,file:,help,initctl-path:,noscript,
     * upstart-path:}), plus {@code --dump}. {@code -f FILE} names a file like a positional argument; unlike the script,
     * every named file is checked, not only the first. {@code help} is set when usage was asked for. Like getopt
     * under the script, an unknown option or a missing value is reported on {@code err} and otherwise ignored.
     */
    record Options(boolean dump, boolean noScript, boolean help, List<String> files) {
        /** Options that take a value: short and long spellings. */
        private static final List<String> WITH_VALUE =
                List.of("-f", "--file", "-i", "--initctl-path", "-x", "--upstart-path");

        static Options parse(String[] args, PrintStream err) {
            boolean dump = false;
            boolean noScript = false;
            boolean help = false;
            List<String> files = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                int eq = a.startsWith("--") ? a.indexOf('=') : -1;
                String name = eq < 0 ? a : a.substring(0, eq);
                String value = null;
                if (WITH_VALUE.contains(name)) {
                    if (eq >= 0) {
                        value = a.substring(eq + 1);
                    } else if (++i < args.length) {
                        value = args[i];
                    } else {
                        // getopt's complaint; the script then goes on without the option.
                        err.println(name.startsWith("--") ? "init-checkconf: option '" + name + "' requires an argument"
                                : "init-checkconf: option requires an argument -- '" + name.charAt(1) + "'");
                        continue;
                    }
                }
                switch (name) {
                    case "--dump" -> dump = true;
                    case "-s", "--noscript" -> noScript = true;
                    case "-h", "--help" -> help = true;
                    case "-f", "--file" -> files.add(value);
                    case "-d", "--debug", "-i", "--initctl-path", "-x", "--upstart-path" -> {
                        // debug output and the paths of a throw-away init: nothing to use them for here
                    }
                    case "--" -> {
                        files.addAll(List.of(args).subList(i + 1, args.length));
                        i = args.length;
                    }
                    default -> {
                        if (a.startsWith("-") && a.length() > 1) {
                            // getopt complains, but the script goes on: it tests eval's status, not getopt's.
                            err.println(a.startsWith("--")
                                    ? "init-checkconf: unrecognized option '" + a + "'"
                                    : "init-checkconf: invalid option -- '" + a.charAt(1) + "'");
                        } else {
                            files.add(a);
                        }
                    }
                }
            }
            return new Options(dump, noScript, help, files);
        }
    }
}
