package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The owner thread's batching: order, one after-batch hook per batch, replies after the hook, failures contained. */
class EngineLoopTest {
    private final EngineHarness harness = new EngineHarness();
    private final EngineLoop loop = new EngineLoop(harness.engine, 2);
    private final List<String> trace = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        loop.close();
    }

    /** Holds the owner thread in a task until released, so that the next posts queue up behind it. */
    private CountDownLatch blockOwner() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.post(() -> {
            entered.countDown();
            await(release);
        });
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    @Test
    void tasksWaitingTogetherRunInOrderAsOneBatchWithRepliesAfterTheHook() throws InterruptedException {
        loop.afterEachBatch(() -> trace.add("hook"));
        loop.start();
        CountDownLatch release = blockOwner();
        trace.clear();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 1; i <= 3; i++) {
            int n = i;
            loop.post(() -> {
                trace.add("task " + n);
                loop.afterCurrentTask(() -> trace.add("reply " + n));
            });
        }
        loop.post(done::countDown);
        release.countDown();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        awaitTrace(8);
        // The blocking task's own hook comes first; the four queued tasks then share one.
        assertThat(trace).containsExactly("hook", "task 1", "task 2", "task 3", "hook", "reply 1", "reply 2", "reply 3");
    }

    @Test
    void aFailingTaskDoesNotStopTheRestOfItsBatch() throws InterruptedException {
        loop.afterEachBatch(() -> trace.add("hook"));
        loop.start();
        CountDownLatch release = blockOwner();
        trace.clear();
        loop.post(() -> {
            throw new IllegalStateException("bad input");
        });
        loop.post(() -> trace.add("next"));
        release.countDown();
        awaitTrace(3);
        assertThat(trace).containsExactly("hook", "next", "hook");
    }

    @Test
    void aBatchIsBounded() throws InterruptedException {
        loop.afterEachBatch(() -> trace.add("hook"));
        loop.start();
        CountDownLatch release = blockOwner();
        trace.clear();
        for (int i = 0; i < EngineLoop.MAX_BATCH + 1; i++) {
            loop.post(() -> trace.add("t"));
        }
        release.countDown();
        awaitTrace(1 + EngineLoop.MAX_BATCH + 1 + 2);
        // The blocking task's hook, a full batch and its hook, then the one task left over and its hook.
        assertThat(trace.subList(1, trace.size()).indexOf("hook")).isEqualTo(EngineLoop.MAX_BATCH);
        assertThat(trace.stream().filter("hook"::equals)).hasSize(3);
    }

    @Test
    void anIdleLoopRunsAReportedInputOnTheCallersThread() throws InterruptedException {
        loop.start();
        Thread caller = Thread.currentThread();
        CountDownLatch ran = new CountDownLatch(1);
        loop.runOrPost(() -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            ran.countDown();
        });
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void requestsBeyondThePermitsAreRefusedWhileTheEngineIsBusy() throws InterruptedException {
        loop.start();
        CountDownLatch release = blockOwner();
        assertThat(loop.postRequest(() -> {}, 10)).isTrue();
        assertThat(loop.postRequest(() -> {}, 10)).isTrue();
        assertThat(loop.postRequest(() -> {}, 10)).isFalse();
        release.countDown();
        CountDownLatch drained = new CountDownLatch(1);
        assertThat(loop.postRequest(drained::countDown, 5_000)).isTrue();
        assertThat(drained.await(5, TimeUnit.SECONDS)).isTrue();
    }

    private void awaitTrace(int size) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (trace.size() < size && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(20); // nothing more may follow
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
