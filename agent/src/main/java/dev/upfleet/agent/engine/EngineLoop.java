package dev.upfleet.agent.engine;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's owner thread (Upstart's main loop). Inputs are posted as tasks; after each task the event queue is
 * polled. Internal inputs (process exits, timers) are never refused; external requests (control commands) are
 * bounded by a permit count so that a flood of clients waits instead of growing the queue without limit.
 */
public final class EngineLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineLoop.class);
    /** Large: expression trees and long and/or chains are walked recursively. */
    private static final long STACK_SIZE = 256L * 1024 * 1024;

    private final Engine engine;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Semaphore externalPermits;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Runnable afterTask = () -> {};

    public EngineLoop(Engine engine, int maxPendingRequests) {
        this.engine = engine;
        this.externalPermits = new Semaphore(maxPendingRequests);
        this.thread = new Thread(null, this::run, "upfleet-engine", STACK_SIZE);
    }

    /** Runs after every task and poll, on the engine thread (the state directory is written from here). */
    public void afterEachTask(Runnable hook) {
        this.afterTask = hook;
    }

    public void start() {
        thread.start();
    }

    public Engine engine() {
        return engine;
    }

    public boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }

    /** Posts an internal input; never blocks. */
    public void post(Runnable task) {
        tasks.add(task);
    }

    /**
     * Posts an external request, waiting up to {@code timeoutMillis} for room. Returns false when the engine is
     * saturated (the caller refuses the request with a retryable status).
     */
    public boolean postRequest(Runnable task, long timeoutMillis) throws InterruptedException {
        if (!externalPermits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
            return false;
        }
        tasks.add(() -> {
            externalPermits.release();
            task.run();
        });
        return true;
    }

    private void run() {
        while (!closed) {
            Runnable task;
            try {
                task = tasks.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                task.run();
                engine.poll();
                afterTask.run();
            } catch (RuntimeException | StackOverflowError e) {
                // One bad input must not take every job down with it.
                LOG.error("engine task failed", e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
