package dev.upfleet.agent.metrics;

import dev.upfleet.agent.engine.EngineObserver;
import dev.upfleet.agent.engine.JobState;
import dev.upfleet.core.job.ProcessKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's metrics: instances by state, state transitions, events by name, spawns, respawns and failures by
 * process kind. Counters are cached per tag value so the engine thread does not look meters up on every event.
 */
public final class EngineMetrics implements EngineObserver {
    private final MeterRegistry registry;
    private final Map<JobState, AtomicLong> byState = new EnumMap<>(JobState.class);
    private final Counter transitions;
    private final Counter respawns;
    private final Map<String, Counter> eventsByName = new ConcurrentHashMap<>();
    private final Map<ProcessKind, Counter> spawnsByKind = new EnumMap<>(ProcessKind.class);
    private final Map<String, Counter> failuresByKind = new ConcurrentHashMap<>();

    public EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (JobState state : JobState.values()) {
            AtomicLong count = new AtomicLong();
            byState.put(state, count);
            if (state != JobState.WAITING) {
                Gauge.builder("upfleet_jobs", count, AtomicLong::get).tag("state", state.wireName())
                        .description("Job instances by state").register(registry);
            }
        }
        transitions = Counter.builder("upfleet_job_state_transitions").description("Job state changes").register(registry);
        respawns = Counter.builder("upfleet_job_respawns").description("Main processes respawned").register(registry);
        for (ProcessKind kind : ProcessKind.values()) {
            spawnsByKind.put(kind, Counter.builder("upfleet_process_spawns").tag("process", kind.wireName())
                    .description("Processes spawned").register(registry));
        }
    }

    @Override
    public void eventEmitted(long id, String node, String name, List<String> env) {
        eventsByName.computeIfAbsent(name, n -> Counter.builder("upfleet_events").tag("name", n)
                .description("Events emitted, by name").register(registry)).increment();
    }

    @Override
    public void stateChanged(String job, String instance, JobState from, JobState to) {
        transitions.increment();
        byState.get(from).decrementAndGet();
        byState.get(to).incrementAndGet();
    }

    @Override
    public void processSpawned(String job, ProcessKind kind, long pid) {
        spawnsByKind.get(kind).increment();
    }

    @Override
    public void respawned(String job) {
        respawns.increment();
    }

    @Override
    public void failed(String job, ProcessKind kind) {
        String name = kind == null ? "respawn" : kind.wireName();
        failuresByKind.computeIfAbsent(name, n -> Counter.builder("upfleet_job_failures").tag("process", n)
                .description("Job failures by failed process").register(registry)).increment();
    }
}
