package dev.upfleet.agent.engine;

import java.time.InstantSource;
import java.util.List;
import java.util.function.Function;

/**
 * Everything the engine needs from its surroundings, injected so tests can drive it deterministically.
 *
 * @param node        this node's name; every local event carries it
 * @param initialEnv  the global job environment table at start (§6.7 step 1)
 * @param outerEnv    the agent's own environment, for {@code env KEY} stanzas without a value
 * @param processEnv  variables every job process gets besides UPSTART_JOB/UPSTART_INSTANCE (the control socket)
 * @param clock       a monotonic clock for the respawn window
 * @param logPriority the daemon log's threshold at start ({@code initctl log-priority} changes it)
 */
public record EngineConfig(
        String node,
        List<String> initialEnv,
        Function<String, String> outerEnv,
        List<String> processEnv,
        InstantSource clock,
        LogPriority logPriority) {

    public EngineConfig {
        initialEnv = List.copyOf(initialEnv);
        processEnv = List.copyOf(processEnv);
    }

    /** Upstart's default threshold, {@code message}. */
    public EngineConfig(String node, List<String> initialEnv, Function<String, String> outerEnv, List<String> processEnv,
            InstantSource clock) {
        this(node, initialEnv, outerEnv, processEnv, clock, LogPriority.MESSAGE);
    }

}
