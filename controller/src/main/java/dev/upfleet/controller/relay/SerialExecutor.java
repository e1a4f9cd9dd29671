package dev.upfleet.controller.relay;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs tasks one at a time, in submission order, on a backing executor: one agent's publishes must reach etcd in the
 * order the agent sent them, without a thread per agent.
 */
final class SerialExecutor implements Executor {
    private final Executor backing;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor backing) {
        this.backing = backing;
    }

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
        if (!running) {
            running = true;
            backing.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = tasks.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                // One failed task (an etcd error) must not stop the tasks queued behind it.
                org.slf4j.LoggerFactory.getLogger(SerialExecutor.class).warn("task failed: {}", e.toString());
            }
        }
    }
}
