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
 * {@code init-checkconf [-d] [-s|--noscript] [-i INITCTL] [-x INIT] [-f] [--dump] FILE...} (spec §9): checks job
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
        if (opts == null) {
            return 1;
        }
        int rc = 0;
        for (String file : opts.files()) {
            rc |= check(file, opts, out, err);
        }
        return rc;
    }

    private static int check(String file, Options opts, PrintStream out, PrintStream err) {
        if (!file.endsWith(".conf")) {
            err.println("ERROR: File must end in .conf");
            return 1;
        }
        Path path = Path.of(file);
        if (!Files.exists(path)) {
            err.println("ERROR: File " + file + " does not exist");
            return 1;
        }
        if (Files.isDirectory(path)) {
            err.println("ERROR: File " + file + " is a directory");
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

    /** The tiny option set; unknown options are reported like a shell getopt would. */
    record Options(boolean dump, boolean noScript, List<String> files) {
        static Options parse(String[] args, PrintStream err) {
            boolean dump = false;
            boolean noScript = false;
            List<String> files = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--dump" -> dump = true;
                    case "-s", "--noscript" -> noScript = true;
                    case "-d", "-f" -> { /* debug / force: nothing to do without a throw-away init */ }
                    case "-i", "-x" -> {
                        if (++i >= args.length) {
                            err.println("ERROR: option " + a + " needs an argument");
                            return null;
                        }
                    }
                    case "--" -> {
                        files.addAll(List.of(args).subList(i + 1, args.length));
                        i = args.length;
                    }
                    default -> {
                        if (a.startsWith("-") && a.length() > 1) {
                            err.println("ERROR: invalid option: " + a);
                            return null;
                        }
                        files.add(a);
                    }
                }
            }
            if (files.isEmpty()) {
                err.println("ERROR: no configuration file specified");
                return null;
            }
            return new Options(dump, noScript, files);
        }
    }
}
