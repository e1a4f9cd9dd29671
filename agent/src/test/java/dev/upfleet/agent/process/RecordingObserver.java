package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.ProcessLauncher.ProcessObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Records every callback as a readable line, and lets tests wait (bounded) for one. */
final class RecordingObserver implements ProcessObserver {
    final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    final Map<Long, ExitStatus> exits = new ConcurrentHashMap<>();
    final Map<Long, AtomicInteger> exitCounts = new ConcurrentHashMap<>();
    final Map<Long, Long> resolved = new ConcurrentHashMap<>();
    final Map<Long, Boolean> stops = new ConcurrentHashMap<>();
    final Map<Long, Boolean> lost = new ConcurrentHashMap<>();

    @Override
    public void exited(long pid, ExitStatus status) {
        lines.add("exited " + pid + " " + status);
        exitCounts.computeIfAbsent(pid, p -> new AtomicInteger()).incrementAndGet();
        exits.put(pid, status);
    }

    @Override
    public void stopped(long pid) {
        lines.add("stopped " + pid);
        stops.put(pid, true);
    }

    @Override
    public void mainPidResolved(long spawnedPid, long mainPid) {
        lines.add("resolved " + spawnedPid + " -> " + mainPid);
        resolved.put(spawnedPid, mainPid);
    }

    @Override
    public void lostTrack(long pid) {
        lines.add("lost " + pid);
        lost.put(pid, true);
    }

    ExitStatus awaitExit(long pid) {
        await(() -> exits.containsKey(pid), "exit of " + pid);
        return exits.get(pid);
    }

    long awaitResolved(long pid) {
        await(() -> resolved.containsKey(pid), "mainPidResolved of " + pid);
        return resolved.get(pid);
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    List<String> snapshot() {
        return List.copyOf(lines);
    }

    void assertExitedOnce(long pid) {
        assertThat(exitCounts.get(pid)).as("exit reports for " + pid).hasValue(1);
    }
}
