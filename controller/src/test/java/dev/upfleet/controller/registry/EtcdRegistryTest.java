package dev.upfleet.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.controller.registry.Registry.Lease;
import dev.upfleet.controller.registry.Registry.StoredEvent;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract against a real 3-member etcd cluster, shared by the class; each test gets its own key prefix. */
class EtcdRegistryTest extends RegistryContract {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final AtomicInteger tests = new AtomicInteger();
    private static EtcdCluster etcd;
    private String prefix;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    protected Registry newRegistry() {
        prefix = "/t" + tests.incrementAndGet() + "/";
        return new EtcdRegistry(etcd.endpoints(), prefix, TIMEOUT);
    }

    @Override
    protected Registry sameStore(Registry registry) {
        return new EtcdRegistry(etcd.endpoints(), prefix, TIMEOUT);
    }

    @Override
    protected void expire(Registry registry, Lease lease) {
        ((EtcdLease) lease).stopKeepAlive(); // etcd's lessor then revokes it after the TTL
    }

    @Override
    protected Duration shortTtl() {
        return Duration.ofSeconds(1); // the cluster's minimum with --election-timeout 500
    }

    @Test
    void aBatchAboveTheTxnLimitIsStoredInChunks() throws Exception {
        Lease retention = track(registry.grantLease(LONG_TTL));
        var batch = events("big", 0, EtcdRegistry.MAX_TXN_OPS + 10);
        List<Long> first = registry.storeEvents(batch, retention);
        assertThat(registry.storeEvents(batch, retention)).isEqualTo(first);
        assertThat(Set.copyOf(first)).hasSize(2); // one revision per chunk
        var seen = new Recorder<StoredEvent>();
        track(registry.watchEvents(base, seen));
        assertThat(seen.take(batch.size())).extracting(s -> s.event().getOriginSeq())
                .containsExactlyElementsOf(batch.stream().map(e -> e.getOriginSeq()).toList());
    }

    @Test
    void requestsFailWithinTheTimeoutWhenEtcdIsUnreachable() {
        try (var nowhere = new EtcdRegistry(List.of("http://127.0.0.1:1"), "/x/", Duration.ofMillis(500))) {
            long start = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(nowhere::currentRevision)
                    .isInstanceOf(RegistryException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void closingLeavesNoClientThreads() throws Exception {
        Set<String> before = clientThreads();
        try (var r = new EtcdRegistry(etcd.endpoints(), prefix, TIMEOUT)) {
            Lease lease = r.grantLease(LONG_TTL);
            r.putNode(node("t", "1"), lease);
            var seen = new Recorder<Registry.NodeChange>();
            r.watchNodes(base, seen);
            seen.next();
            lease.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<String> left = clientThreads();
        left.removeAll(before);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50); // polling for threads to finish, bounded
            left = clientThreads();
            left.removeAll(before);
        }
        assertThat(left).as("threads left behind").isEmpty();
    }

    private static Set<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(t -> t.getName() + "#" + t.threadId())
                .filter(n -> n.contains("vert.x") || n.contains("registry-watch") || n.contains("grpc"))
                .collect(Collectors.toSet());
    }
}
