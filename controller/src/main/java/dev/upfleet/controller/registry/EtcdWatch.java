package dev.upfleet.controller.registry;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prefix watch from a revision, adapted to {@link Registry.Listener}.
 *
 * <p>jetcd semantics this relies on (jetcd-core 0.8.7, WatchImpl): a transient failure calls {@code onError} and
 * re-creates the watch from the revision after the last event delivered, so the stream continues; a compaction
 * calls {@code onError(CompactedException)} then ends; a halt error calls {@code onError} then {@code onCompleted};
 * our own {@code close()} also calls {@code onCompleted}. So: compaction is terminal, any other {@code onError} is
 * remembered but not terminal, and an {@code onCompleted} we did not cause is the stream ending for good.
 *
 * <p>The listener is called on this watch's own (virtual) delivery thread, never on jetcd's threads: user code
 * cannot then block jetcd's event loop or deadlock against jetcd's watch lock, and calls for one watch are serial.
 */
final class EtcdWatch<T> implements Registry.Watch, Watch.Listener {
    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);

    private final String prefix;
    private final Function<WatchEvent, Optional<T>> decoder;
    private final Registry.Listener<T> listener;
    private final LongConsumer compactionSeen;
    private final Consumer<EtcdWatch<?>> onEnd;
    private final ExecutorService delivery;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean closedByUs;
    private volatile Throwable lastError;
    private volatile Watch.Watcher watcher;

    // Duplicate filter, touched only in onNext (jetcd calls it serially per watcher). A resumed stream starts after
    // the last revision jetcd saw, so this is a guard, not a mechanism; one revision may hold many keys (a batch txn).
    private long lastRevision;
    private final Set<String> keysAtLastRevision = new HashSet<>();

    private EtcdWatch(
            String prefix,
            Function<WatchEvent, Optional<T>> decoder,
            Registry.Listener<T> listener,
            LongConsumer compactionSeen,
            Consumer<EtcdWatch<?>> onEnd) {
        this.prefix = prefix;
        this.decoder = decoder;
        this.listener = listener;
        this.compactionSeen = compactionSeen;
        this.onEnd = onEnd;
        this.delivery = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("registry-watch " + prefix).factory());
    }

    static <T> EtcdWatch<T> start(
            Client client,
            String prefix,
            long afterRevision,
            boolean withDeletes,
            Function<WatchEvent, Optional<T>> decoder,
            Registry.Listener<T> listener,
            LongConsumer compactionSeen,
            Consumer<EtcdWatch<?>> onEnd) {
        var watch = new EtcdWatch<>(prefix, decoder, listener, compactionSeen, onEnd);
        watch.lastRevision = afterRevision;
        WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(afterRevision + 1)
                .withNoDelete(!withDeletes)
                .build();
        watch.watcher = client.getWatchClient().watch(ByteSequence.from(prefix, StandardCharsets.UTF_8), option, watch);
        return watch;
    }

    @Override
    public synchronized void onNext(WatchResponse response) {
        if (ended.get()) {
            return;
        }
        lastError = null;
        for (WatchEvent event : response.getEvents()) {
            long revision = event.getKeyValue().getModRevision();
            String key = event.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
            if (revision < lastRevision || (revision == lastRevision && !keysAtLastRevision.add(key))) {
                continue;
            }
            if (revision > lastRevision) {
                lastRevision = revision;
                keysAtLastRevision.clear();
                keysAtLastRevision.add(key);
            }
            Optional<T> item;
            try {
                item = decoder.apply(event);
            } catch (RuntimeException e) {
                log.warn("watch {}: skipping undecodable {} at {}: {}", prefix, key, revision, e.toString());
                continue;
            }
            item.ifPresent(it -> deliver(() -> listener.onNext(it)));
        }
    }

    @Override
    public void onError(Throwable t) {
        if (t instanceof CompactedException c) {
            long compactRevision = c.getCompactedRevision();
            compactionSeen.accept(compactRevision);
            end(() -> listener.compacted(compactRevision));
            return;
        }
        lastError = t;
        log.debug("watch {}: stream error, jetcd resumes it: {}", prefix, t.toString());
    }

    @Override
    public void onCompleted() {
        Throwable cause = lastError;
        end(() -> listener.failed(cause != null ? cause : new RegistryException("watch of " + prefix + " ended")));
    }

    @Override
    public void close() {
        closedByUs = true;
        if (ended.compareAndSet(false, true)) {
            Watch.Watcher w = watcher;
            if (w != null) {
                w.close();
            }
            delivery.shutdown();
            onEnd.accept(this);
        }
    }

    private void end(Runnable terminal) {
        if (ended.compareAndSet(false, true)) {
            deliver(terminal);
            delivery.shutdown();
            onEnd.accept(this);
        }
    }

    private void deliver(Runnable call) {
        try {
            delivery.execute(() -> {
                if (closedByUs) {
                    return;
                }
                try {
                    call.run();
                } catch (RuntimeException e) {
                    log.warn("watch {}: listener threw", prefix, e);
                }
            });
        } catch (RejectedExecutionException e) {
            // Ended meanwhile: nothing more is delivered.
        }
    }
}
