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
 * @param matcher     event-term matching (§4.3 plus the NODE rule)
 * @param expander    instance-name expansion (§4.5)
 */
public record EngineConfig(
        String node,
        List<String> initialEnv,
        Function<String, String> outerEnv,
        List<String> processEnv,
        InstantSource clock,
        TermMatcher matcher,
        InstanceExpander expander) {

    public EngineConfig {
        initialEnv = List.copyOf(initialEnv);
        processEnv = List.copyOf(processEnv);
    }

    /** Expands an {@code instance} template; throws IllegalArgumentException with Upstart's message on failure. */
    @FunctionalInterface
    public interface InstanceExpander {
        String expand(String template, List<String> env);
    }
}
