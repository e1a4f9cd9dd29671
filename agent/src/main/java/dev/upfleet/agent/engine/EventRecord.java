package dev.upfleet.agent.engine;

import dev.upfleet.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An event in the queue (Upstart's {@code Event}): pending until handled, then handling until nothing blocks it, then
 * finished. Confined to the engine thread.
 */
final class EventRecord {
    enum Progress { PENDING, HANDLING, FINISHED }

    final long id;
    final Event event;
    Progress progress = Progress.PENDING;
    /** Expression leaves, instances and commands holding this event. */
    int blockers;
    boolean failed;
    /** Jobs whose state machine waits for this event to finish (the emitter of starting/stopping). */
    final List<Job> blockedJobs = new ArrayList<>(1);
    /** Waiting {@code initctl emit} replies: accept(failed). */
    final List<Consumer<Boolean>> waiters = new ArrayList<>(0);

    EventRecord(long id, Event event) {
        this.id = id;
        this.event = event;
    }

    String name() {
        return event.name();
    }

    void block() {
        blockers++;
    }

    void unblock() {
        if (blockers <= 0) {
            throw new IllegalStateException("unblock of unblocked event " + event.name());
        }
        blockers--;
    }

    @Override
    public String toString() {
        return event.name() + "#" + id;
    }
}
