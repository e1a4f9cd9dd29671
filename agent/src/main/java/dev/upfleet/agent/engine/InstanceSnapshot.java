package dev.upfleet.agent.engine;

import dev.upfleet.core.job.ProcessKind;
import java.util.List;
import java.util.Map;

/**
 * An instance as the state directory keeps it: enough to re-adopt it after the agent restarts. {@code gone} marks an
 * instance that reached waiting and was destroyed.
 */
public record InstanceSnapshot(String job, String instance, Goal goal, JobState state, List<String> env,
                               Map<ProcessKind, Long> pids, boolean gone) {
    public InstanceSnapshot {
        env = List.copyOf(env);
        pids = Map.copyOf(pids);
    }
}
