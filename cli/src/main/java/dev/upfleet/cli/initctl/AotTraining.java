package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.lean.TrainingAgent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The training run for initctl's AOT cache ({@code initctl --aot-training}, started by the launcher in the
 * background, or by bin/lib/train-aot): the common commands ({@code list}, {@code status} of a known job and of an
 * unknown one, {@code start}, {@code emit}, {@code version}) against a {@link TrainingAgent} in the same JVM, as
 * one-shot processes run them (the socket left open at the end), with all output dropped. What they load and link
 * is what the cache holds; a command the training leaves out still works, only less of it is cached.
 */
final class AotTraining {
    static final String FLAG = "--aot-training";

    private AotTraining() {}

    static int run(Map<String, String> env) {
        PrintStream none = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        try (TrainingAgent agent = TrainingAgent.start()) {
            String socket = agent.socket().toString();
            int rc = 0;
            for (String[] command : new String[][] {
                    {"list"}, {"status", "svc"}, {"start", "svc"}, {"emit", "aot-training", "A=1"}, {"version"}}) {
                rc |= InitctlMain.run("initctl", concat(socket, command), env, none, none, true);
            }
            // the refusal path: the agent's message on stderr, exit 1
            int refused = InitctlMain.run("initctl", concat(socket, "status", TrainingAgent.UNKNOWN_JOB), env, none,
                    none, true);
            return rc == 0 && refused == 1 ? 0 : 1;
        } catch (IOException e) {
            return 1;
        }
    }

    private static String[] concat(String socket, String... command) {
        String[] all = new String[command.length + 2];
        all[0] = "--socket";
        all[1] = socket;
        System.arraycopy(command, 0, all, 2, command.length);
        return all;
    }
}
