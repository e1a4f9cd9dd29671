package dev.upfleet.agent.engine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Timers on a daemon thread; each fired action is posted to the engine loop, where a cancel still wins. */
public final class RealScheduler implements Scheduler, AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "upfleet-timer");
        t.setDaemon(true);
        return t;
    });
    private EngineLoop loop;

    /** Binds the loop after construction (the loop needs the engine, the engine needs the scheduler). */
    public void bind(EngineLoop loop) {
        this.loop = loop;
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable action) {
        var handle = new Handle();
        handle.future = timer.schedule(() -> loop.post(() -> {
            if (!handle.cancelled) {
                action.run();
            }
        }), saturatedNanos(delay), TimeUnit.NANOSECONDS);
        return handle;
    }

    /** A kill timeout is a time_t of seconds: past 292 years it does not fit in nanoseconds, and means never. */
    static long saturatedNanos(Duration delay) {
        return delay.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : delay.toNanos();
    }

    private static final class Handle implements Cancellable {
        // Read and written on the engine thread only; the future is cancelled best-effort.
        boolean cancelled;
        ScheduledFuture<?> future;

        @Override
        public void cancel() {
            cancelled = true;
            future.cancel(false);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
