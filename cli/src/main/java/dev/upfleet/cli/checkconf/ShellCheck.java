package dev.upfleet.cli.checkconf;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs {@code sh -n} on each script section of a parsed job (init-checkconf step 1). */
final class ShellCheck {
    private ShellCheck() {}

    static int check(String file, JobClass job, PrintStream err) {
        for (ProcessKind kind : CheckConfMain.SCRIPT_SECTIONS) {
            if (!(job.process(kind).orElse(null) instanceof Command.Script script)) {
                continue;
            }
            String message;
            try {
                message = shellSyntax(script.text());
            } catch (IOException e) {
                err.println("ERROR: cannot run sh -n: " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            if (message != null) {
                err.println("ERROR: File " + file + ": shell syntax invalid in " + CheckConfMain.sectionName(kind) + " section:");
                err.print(message);
                return 1;
            }
        }
        return 0;
    }

    /** Null when {@code sh -n} accepts the body, else its message. */
    private static String shellSyntax(String body) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-n").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // sh may exit before reading everything on a syntax error; its status decides.
        }
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "sh -n timed out\n";
        }
        if (p.exitValue() == 0) {
            return null;
        }
        String text = new String(output, StandardCharsets.UTF_8);
        return text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
    }
}
