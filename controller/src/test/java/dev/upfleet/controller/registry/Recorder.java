package dev.upfleet.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A watch listener for tests: queues what arrives, and notices overlapping callbacks (which must never happen). */
public final class Recorder<T> implements Registry.Listener<T> {
    public static final Duration PATIENCE = Duration.ofSeconds(15);

    private final BlockingQueue<T> items = new LinkedBlockingQueue<>();
    public final CompletableFuture<Long> compacted = new CompletableFuture<>();
    public final CompletableFuture<Throwable> failed = new CompletableFuture<>();
    private final AtomicInteger inCallback = new AtomicInteger();
    private final AtomicBoolean overlapped = new AtomicBoolean();

    @Override
    public void onNext(T item) {
        enter();
        try {
            items.add(item);
        } finally {
            inCallback.decrementAndGet();
        }
    }

    @Override
    public void compacted(long compactRevision) {
        enter();
        compacted.complete(compactRevision);
        inCallback.decrementAndGet();
    }

    @Override
    public void failed(Throwable cause) {
        enter();
        failed.complete(cause);
        inCallback.decrementAndGet();
    }

    private void enter() {
        if (inCallback.incrementAndGet() > 1) {
            overlapped.set(true);
        }
    }

    /** The next {@code n} items, waiting at most {@link #PATIENCE} for each. */
    public List<T> take(int n) throws InterruptedException {
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            T item = items.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(item).as("item %d of %d (got %s)", i + 1, n, out).isNotNull();
            out.add(item);
        }
        assertThat(overlapped).as("callbacks overlapped").isFalse();
        return out;
    }

    public T next() throws InterruptedException {
        return take(1).getFirst();
    }

    /** Whatever arrived so far, without waiting. */
    public List<T> drain() {
        List<T> out = new ArrayList<>();
        items.drainTo(out);
        return out;
    }
}
