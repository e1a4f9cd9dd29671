package dev.upfleet.agent.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's owner thread (Upstart's main loop). Inputs are posted as tasks; after each task the event queue is
 * polled. Internal inputs (process exits, timers) are never refused; external requests (control commands) are
 * bounded by a permit count so that a flood of clients waits instead of growing the queue without limit.
 *
 * <p>Tasks that are already waiting when the owner thread wakes run as one batch, each followed by its own poll, with
 * the after-task hook (the state-directory write) and the replies once after the batch: when 1000 jobs stop at once,
 * their 1000 process exits cost a few writes instead of 1000. A batch's changes reach the state directory before any
 * task of a later batch runs, and before any reply that reports them.
 *
 * <p>The engine is never called by two threads at once: every task runs while holding {@link #lock}. The owner thread
 * runs the posted tasks in order; {@link #runOrPost} lets a thread that reports an input (the reaper, for a process
 * exit) run it itself when nothing else is pending, which saves waking the owner thread on the restart path. Tasks
 * of one reporting thread still run in the order it reported them (see {@link #pending}).
 */
public final class EngineLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineLoop.class);
    /** Large: expression trees and long and/or chains are walked recursively. */
    public static final long STACK_SIZE = 256L * 1024 * 1024;
    /** At most this many waiting tasks run between two state writes (a reply waits for the whole batch). */
    static final int MAX_BATCH = 64;

    private final Engine engine;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Semaphore externalPermits;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Runnable afterTask = () -> {};
    /** Held while a task, the poll and the after-task hook run: on the owner thread or an inline caller. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Tasks posted and not yet finished; {@link #runOrPost} runs inline only when it is 0. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Run after the current task's after-task hook (guarded by {@link #lock}). */
    private final List<Runnable> afterCurrent = new ArrayList<>();

    public EngineLoop(Engine engine, int maxPendingRequests) {
        this.engine = engine;
        this.externalPermits = new Semaphore(maxPendingRequests);
        this.thread = new Thread(null, this::run, "upfleet-engine", STACK_SIZE);
    }

    /** Runs after every batch of tasks and their polls, on the engine thread (the state directory is written here). */
    public void afterEachBatch(Runnable hook) {
        this.afterTask = hook;
    }

    public void start() {
        thread.start();
    }

    public Engine engine() {
        return engine;
    }


    /** Posts an internal input; never blocks. */
    public void post(Runnable task) {
        pending.incrementAndGet();
        tasks.add(task);
    }

    /**
     * Runs an internal input on the calling thread when the engine is free and no posted task is outstanding (so it
     * cannot overtake one, in particular an earlier one of the same caller); posts it otherwise. Never blocks on the
     * engine. The caller's stack must be as large as the owner thread's (expressions are walked recursively).
     */
    public void runOrPost(Runnable task) {
        if (!closed && pending.get() == 0 && lock.tryLock()) {
            try {
                if (pending.get() == 0) {
                    runTask(task);
                    return;
                }
            } finally {
                lock.unlock();
            }
        }
        post(task);
    }

    /**
     * Posts an external request, waiting up to {@code timeoutMillis} for room. Returns false when the engine is
     * saturated (the caller refuses the request with a retryable status).
     */
    public boolean postRequest(Runnable task, long timeoutMillis) throws InterruptedException {
        if (!externalPermits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
            return false;
        }
        post(() -> {
            externalPermits.release();
            task.run();
        });
        return true;
    }

    private void run() {
        List<Runnable> batch = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                batch.add(tasks.take());
            } catch (InterruptedException e) {
                return;
            }
            tasks.drainTo(batch, MAX_BATCH - 1);
            lock.lock();
            try {
                runTasks(batch);
            } finally {
                pending.addAndGet(-batch.size());
                lock.unlock();
                batch.clear();
            }
        }
    }

    /**
     * Runs {@code action} once the batch of the task now running on the calling thread has ended and the after-batch
     * hook has run (replies to control requests wait for that: what they report is then in the state directory); at
     * once when the caller is not running an engine task.
     */
    public void afterCurrentTask(Runnable action) {
        if (lock.isHeldByCurrentThread()) {
            afterCurrent.add(action);
        } else {
            action.run();
        }
    }

    /** With {@link #lock} held. */
    private void runTask(Runnable task) {
        runTasks(List.of(task));
    }

    /** With {@link #lock} held. */
    private void runTasks(List<Runnable> batch) {
        for (Runnable task : batch) {
            try {
                task.run();
                engine.poll();
            } catch (RuntimeException | StackOverflowError e) {
                // One bad input must not take every job down with it.
                LOG.error("engine task failed", e);
            }
        }
        try {
            afterTask.run();
        } catch (RuntimeException e) {
            LOG.error("engine after-task hook failed", e);
        }
        for (int i = 0; i < afterCurrent.size(); i++) {
            try {
                afterCurrent.get(i).run();
            } catch (RuntimeException e) {
                LOG.error("engine task reply failed", e);
            }
        }
        afterCurrent.clear();
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
