package dev.upfleet.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.controller.registry.Registry.Lease;
import dev.upfleet.controller.registry.Registry.NodeChange;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InMemoryRegistryTest extends RegistryContract {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final InstantSource clock = now::get;

    @Override
    protected Registry newRegistry() {
        return new InMemoryRegistry(clock);
    }

    @Override
    protected Registry sameStore(Registry registry) {
        return registry;
    }

    @Override
    protected void expire(Registry registry, Lease lease) {
        var memory = (InMemoryRegistry) registry;
        memory.stopKeepAlive(lease);
        now.updateAndGet(t -> t.plus(shortTtl()).plusMillis(1));
        assertThat(memory.expireLeases()).isEqualTo(1);
    }

    @Override
    protected Duration shortTtl() {
        return Duration.ofSeconds(2);
    }

    @Test
    void aLeaseExpiresOnlyAfterItsTtlAndOnlyWithoutKeepAlives() {
        var memory = (InMemoryRegistry) registry;
        Lease kept = memory.grantLease(Duration.ofSeconds(2));
        Lease dropped = memory.grantLease(Duration.ofSeconds(2));
        memory.putNode(node("dropped", "1"), dropped);
        memory.stopKeepAlive(dropped);

        now.updateAndGet(t -> t.plusMillis(1999));
        assertThat(memory.expireLeases()).isZero();
        assertThat(memory.nodes()).hasSize(1);

        now.updateAndGet(t -> t.plusSeconds(3600));
        assertThat(memory.expireLeases()).isEqualTo(1);
        assertThat(memory.nodes()).isEmpty();
        assertThat(kept.alive()).isTrue();
        assertThat(dropped.alive()).isFalse();
    }

    @Test
    void failWatchesEndsThemWithTheCause() throws Exception {
        var memory = (InMemoryRegistry) registry;
        var seen = new Recorder<NodeChange>();
        memory.watchNodes(base, seen);
        var cause = new RegistryException("connection lost");
        memory.failWatches(cause);
        assertThat(seen.failed.get(5, TimeUnit.SECONDS)).isSameAs(cause);
        memory.putNode(node("late", "1"), memory.grantLease(Duration.ofSeconds(5)));
        memory.close(); // drains the callback thread
        assertThat(seen.drain()).isEmpty();
    }

    @Test
    void closeStopsTheCallbackThread() {
        registry.watchEvents(base, new Recorder<>());
        registry.close();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("in-memory-registry") && t.isAlive());
    }
}
