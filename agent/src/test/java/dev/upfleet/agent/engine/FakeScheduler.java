package dev.upfleet.agent.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Timers that fire only when the test advances time. */
final class FakeScheduler implements Scheduler {
    private final FakeClock clock;
    private final List<Timer> timers = new ArrayList<>();

    FakeScheduler(FakeClock clock) {
        this.clock = clock;
    }

    private final class Timer implements Cancellable {
        final long due;
        final Runnable action;
        boolean cancelled;

        Timer(long due, Runnable action) {
            this.due = due;
            this.action = action;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable action) {
        Timer t = new Timer(clock.millis() + delay.toMillis(), action);
        timers.add(t);
        return t;
    }

    /** Advances the clock, running due timers in order. */
    void advance(Duration by, Runnable afterEach) {
        long target = clock.millis() + by.toMillis();
        while (true) {
            Timer next = null;
            for (Timer t : timers) {
                if (!t.cancelled && t.due <= target && (next == null || t.due < next.due)) {
                    next = t;
                }
            }
            if (next == null) {
                break;
            }
            timers.remove(next);
            clock.set(next.due);
            next.action.run();
            afterEach.run();
        }
        clock.set(target);
    }

    long pending() {
        return timers.stream().filter(t -> !t.cancelled).count();
    }
}
