package dev.upfleet.agent.engine;

import dev.upfleet.core.job.ProcessKind;

/**
 * What the engine reports as it works: the event log, {@code initctl monitor}, metrics and the daemon log listen here.
 * Called on the engine thread; implementations must not block.
 */
public interface EngineObserver {
    default void eventEmitted(long id, String node, String name, java.util.List<String> env) {}

    default void stateChanged(String job, String instance, JobState from, JobState to) {}

    default void processSpawned(String job, ProcessKind kind, long pid) {}

    default void respawned(String job) {}

    default void failed(String job, ProcessKind kind) {}

    default void log(LogPriority priority, String message) {}

    /** Fans out to several observers. */
    static EngineObserver all(java.util.List<EngineObserver> observers) {
        return new EngineObserver() {
            @Override
            public void eventEmitted(long id, String node, String name, java.util.List<String> env) {
                observers.forEach(o -> o.eventEmitted(id, node, name, env));
            }

            @Override
            public void stateChanged(String job, String instance, JobState from, JobState to) {
                observers.forEach(o -> o.stateChanged(job, instance, from, to));
            }

            @Override
            public void processSpawned(String job, ProcessKind kind, long pid) {
                observers.forEach(o -> o.processSpawned(job, kind, pid));
            }

            @Override
            public void respawned(String job) {
                observers.forEach(o -> o.respawned(job));
            }

            @Override
            public void failed(String job, ProcessKind kind) {
                observers.forEach(o -> o.failed(job, kind));
            }

            @Override
            public void log(LogPriority priority, String message) {
                observers.forEach(o -> o.log(priority, message));
            }
        };
    }
}
