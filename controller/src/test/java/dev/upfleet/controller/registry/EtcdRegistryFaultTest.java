package dev.upfleet.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.controller.registry.Registry.Lease;
import dev.upfleet.controller.registry.Registry.StoredEvent;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A member of three crashes (SIGKILL) in the middle of a stream of writes, then comes back. */
class EtcdRegistryFaultTest {
    private static EtcdCluster etcd;

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

    @Test
    void everyEventIsStoredAndWatchedExactlyOnceAcrossAMemberCrash() throws Exception {
        int calls = 200;
        try (var registry = new EtcdRegistry(etcd.endpoints(), "/fault/", Duration.ofSeconds(2))) {
            long base = registry.currentRevision();
            Lease retention = registry.grantLease(Duration.ofSeconds(60));
            var seen = new Recorder<StoredEvent>();
            registry.watchEvents(base, seen);
            List<Long> revisions = new ArrayList<>();
            int retries = 0;
            int crashed = -1;

            for (int call = 0; call < calls; call++) {
                // Crash the raft leader (the worst case: writes stall until a new one is elected), bring it back, then
                // crash the new leader too.
                if (call == 50 || call == 150) {
                    crashed = etcd.leader();
                    etcd.kill(crashed);
                }
                if (call == 100 || call == 190) {
                    etcd.restart(crashed);
                }
                // Two events per call, so the batch path runs; event 2c+1 is also re-sent by call c+1 as a
                // retried publish would be.
                List<RelayedEvent> batch = new ArrayList<>(List.of(event(2L * call), event(2L * call + 1)));
                if (call > 0) {
                    batch.addFirst(event(2L * call - 1));
                }
                var attempt = withRetries(() -> registry.storeEvents(batch, retention));
                retries += attempt.retries();
                List<Long> stored = attempt.value();
                if (call > 0) {
                    assertThat(stored.getFirst()).as("re-sent event keeps its revision").isEqualTo(revisions.getLast());
                    stored = stored.subList(1, stored.size());
                }
                revisions.addAll(stored);
            }
            System.err.println("fault test: " + retries + " retried storeEvents calls");
            withRetries(() -> registry.storeEvents(List.of(event(1_000_000)), retention)); // sentinel

            List<StoredEvent> delivered = seen.take(2 * calls + 1);
            assertThat(delivered.getLast().event().getOriginSeq()).isEqualTo(1_000_000);
            List<StoredEvent> events = delivered.subList(0, 2 * calls);
            assertThat(events).extracting(s -> s.event().getOriginSeq())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 2L * calls).boxed().toList());
            assertThat(events).extracting(StoredEvent::revision).containsExactlyElementsOf(revisions);
            assertThat(revisions).isSorted();
            Set<Long> unique = new HashSet<>();
            events.forEach(e -> assertThat(unique.add(e.event().getOriginSeq())).isTrue());
            assertThat(seen.drain()).isEmpty();
            assertThat(seen.failed).isNotDone();
            assertThat(IntStream.range(0, 3).allMatch(etcd::isRunning)).isTrue();
            retention.close();
        }
    }

    private static RelayedEvent event(long seq) {
        return RelayedEvent.newBuilder().setOriginNode("n1").setOriginSeq(seq).setName("tick").build();
    }

    private record Attempt<T>(T value, int retries) {}

    /** What a caller of the registry does: retry a RegistryException, a bounded number of times. */
    private static <T> Attempt<T> withRetries(Supplier<T> call) {
        RegistryException last = null;
        for (int i = 0; i < 30; i++) {
            try {
                return new Attempt<>(call.get(), i);
            } catch (RegistryException e) {
                last = e;
            }
        }
        throw last;
    }
}
