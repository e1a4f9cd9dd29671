package dev.upfleet.cli.checkconf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * init-checkconf step 1 (spec §9): for each of {@code pre-start post-start script pre-stop post-stop} that appears in
 * the file as a word, the lines from one matching {@code ^ *SECTION} to the next matching {@code ^ *end script} (as
 * {@code sed -n '/^ *SECTION/,/^ *end script/p'} selects them, every such range, the delimiting lines included) are
 * given to {@code sh -n}. This works on the raw file text, not on the parsed job, exactly like the shell script.
 */
final class ShellCheck {
    /** The sections in the order init-checkconf checks them. */
    static final List<String> SECTIONS = List.of("pre-start", "post-start", "script", "pre-stop", "post-stop");

    private static final Pattern END = Pattern.compile("^ *end script");

    private ShellCheck() {}

    /** Runs the check on the file's bytes; prints the error and returns 1 for the first failing section, else 0. */
    static int check(String file, byte[] content, PrintStream err) {
        // ISO-8859-1 maps bytes 1:1, so the extracted lines go to sh byte for byte.
        String text = new String(content, StandardCharsets.ISO_8859_1);
        for (String section : SECTIONS) {
            if (!mentions(text, section)) {
                continue;
            }
            String message;
            try {
                message = shellSyntax(extract(text, section));
            } catch (IOException e) {
                err.println("ERROR: cannot run sh -n: " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            if (message != null) {
                err.println("ERROR: File " + file + ": shell syntax invalid in " + section + " section:");
                err.print(message);
                return 1;
            }
        }
        return 0;
    }

    /** {@code egrep -q "\<SECTION\>"}: the section name as a whole word anywhere in the file (comments included). */
    static boolean mentions(String text, String section) {
        return Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(section) + "(?![A-Za-z0-9_])").matcher(text).find();
    }

    /** {@code sed -n "/^ *SECTION/,/^ *end script/p"}: every range, start and end lines included. */
    static String extract(String text, String section) {
        Pattern start = Pattern.compile("^ *" + Pattern.quote(section));
        StringBuilder out = new StringBuilder();
        boolean inRange = false;
        int pos = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? text.length() : nl + 1;
            String line = text.substring(pos, nl < 0 ? text.length() : nl);
            if (inRange) {
                out.append(text, pos, end);
                if (END.matcher(line).find()) {
                    inRange = false;
                }
            } else if (start.matcher(line).find()) {
                // sed checks the end address only from the line after the start line.
                out.append(text, pos, end);
                inRange = true;
            }
            pos = end;
        }
        return out.toString();
    }

    /** Null when {@code /bin/sh -n} (as the tool runs it, so messages start {@code /bin/sh: LINE:}) accepts the text. */
    private static String shellSyntax(String text) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-n").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.ISO_8859_1));
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
        String message = new String(output, StandardCharsets.UTF_8);
        return message.isEmpty() || message.endsWith("\n") ? message : message + "\n";
    }
}
