package dev.upfleet.cli.initctl;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The training run for initctl's AOT cache ({@code initctl --aot-training [--socket S]}, started by the launcher in
 * the background): read-only commands against the real agent that load and link what the common commands need
 * ({@code list}, {@code status} of a known job and of an unknown one, {@code version}), with all output dropped.
 */
final class AotTraining {
    static final String FLAG = "--aot-training";

    private AotTraining() {}

    static int run(String[] socketArgs, Map<String, String> env) {
        PrintStream none = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        ByteArrayOutputStream listed = new ByteArrayOutputStream();
        int rc = InitctlMain.run(concat(socketArgs, "list"), env, new PrintStream(listed, false, StandardCharsets.UTF_8),
                none);
        if (rc != 0) {
            return rc; // no agent: a cache trained on this would be poor, so report failure
        }
        String first = listed.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("aot-training");
        InitctlMain.run(concat(socketArgs, "status", first.split(" ", 2)[0]), env, none, none);
        InitctlMain.run(concat(socketArgs, "status", "aot-training-no-such-job"), env, none, none);
        return InitctlMain.run(concat(socketArgs, "version"), env, none, none);
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = new String[head.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
