package dev.upfleet.agent.engine;

import java.time.Duration;

/**
 * Timers for the engine (kill timeout, respawn window is read from the clock). A fired timer's action is run on the
 * engine thread. Real and fake implementations exist; tests advance fake time explicitly.
 */
public interface Scheduler {
    Cancellable schedule(Duration delay, Runnable action);

    interface Cancellable {
        void cancel();
    }
}
