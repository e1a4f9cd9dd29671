package dev.upfleet.controller.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.controller.registry.InMemoryRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClusterViewTest {
    /** A session that records what it is told to publish; its first publication waits for {@code release}. */
    private record Recording(String node, Set<String> interest, CountDownLatch release, CountDownLatch publishing,
            List<Set<String>> published) implements ClusterView.Member {
        Recording(String node, Set<String> interest, CountDownLatch release) {
            this(node, interest, release, new CountDownLatch(1), new CopyOnWriteArrayList<>());
        }

        @Override
        public void publishInterestChanged(Set<String> names) {
            if (publishing.getCount() > 0) {
                publishing.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            published.add(Set.copyOf(names));
        }

        @Override
        public void jobsChanged() {}
    }

    /**
     * Node a joins and is being told the (empty) interest when node b, interested in tick, joins: what a hears last
     * must be the union with tick. Published in the other order, a would not publish its ticks.
     */
    @Test
    void theLastInterestASessionHearsIsTheCurrentOneWhenNodesJoinAtOnce() throws Exception {
        var view = new ClusterView(new InMemoryRegistry(), Duration.ofSeconds(1), InstantSource.system());
        view.start();
        try {
            CountDownLatch release = new CountDownLatch(1);
            var a = new Recording("a", Set.of(), release);
            var b = new Recording("b", Set.of("tick"), new CountDownLatch(0));
            Thread joinA = Thread.ofPlatform().start(() -> view.register(a));
            assertThat(a.publishing().await(10, TimeUnit.SECONDS)).isTrue();
            Thread joinB = Thread.ofPlatform().start(() -> view.register(b));
            joinB.join(300); // b's join may not overtake what a is being told
            release.countDown();
            joinA.join(10_000);
            joinB.join(10_000);
            assertThat(a.published()).isNotEmpty();
            assertThat(a.published().getLast()).containsExactly("tick");
            assertThat(view.interest()).containsExactly("tick");
        } finally {
            view.close();
        }
    }
}
