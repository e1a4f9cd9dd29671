package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Ticks;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Faults during a stream of 200 {@code tick N=i} events emitted on a; b's job names {@code tick NODE=a}, so every
 * tick is relayed to b, whose event log must show each exactly once and in order.
 */
class ClusterFaultsIT extends RealEtcd {
    static final int TICKS = 200;
    static final Duration PACE = Duration.ofMillis(20);
    static final Duration LIMIT = Duration.ofSeconds(60);

    /** Emits tick N=1..TICKS on a (no_wait), paced, retrying an emit the agent did not take. */
    static final class TickStream implements AutoCloseable {
        final AtomicInteger sent = new AtomicInteger();
        final Thread thread;
        volatile boolean stop;
        volatile Throwable failure;

        TickStream(AgentProcess a) {
            thread = Thread.ofPlatform().name("ticks").start(() -> {
                try {
                    for (int i = 1; i <= TICKS && !stop; i++) {
                        Ticks.emit(a, i, LIMIT);
                        sent.set(i);
                        Thread.sleep(PACE); // pacing the load, not a wait for correctness
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        void await() throws InterruptedException {
            thread.join(LIMIT.toMillis() * 2);
            assertThat(failure).as("tick stream").isNull();
            assertThat(sent.get()).isEqualTo(TICKS);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(LIMIT.toMillis());
        }
    }

    static List<Integer> ticks(AgentProcess b) {
        return Ticks.received(b, "a");
    }

    static void awaitTicks(AgentProcess b, int atLeast, Duration limit) {
        Ticks.await(b, "a", atLeast, limit);
    }

    /** b's listener job and a's and b's start; tick 0 is emitted until b sees one, so the relay path is live. */
    static void assertExactlyOnceInOrder(AgentProcess b) {
        Ticks.assertExactlyOnceInOrder(b, "a", TICKS, LIMIT);
    }

    @Test
    void etcdLeaderKilledAndRestarted() throws Exception {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var ab = Ticks.pair(cl, List.of(c1), LIMIT);
            AgentProcess b = ab.get(1);
            int leader = -1;
            try (TickStream stream = new TickStream(ab.get(0))) {
                awaitTicks(b, 50, LIMIT);
                leader = etcd.leader();
                long t0 = System.nanoTime();
                etcd.kill(leader);
                int before = ticks(b).size();
                awaitTicks(b, before + 1, LIMIT);
                System.out.printf("cluster: etcd leader m%d killed -> next tick on b after %d ms%n", leader,
                        (System.nanoTime() - t0) / 1_000_000);
                awaitTicks(b, 120, LIMIT);
                etcd.restart(leader);
                leader = -1;
                stream.await();
            } finally {
                if (leader >= 0) {
                    etcd.restart(leader);
                }
            }
            assertExactlyOnceInOrder(b);
        }
    }

    @Test
    void controllerFailover() throws Exception {
        try (Cluster cl = new Cluster(etcd)) {
            var cs = Cluster.parallel(() -> cl.controller("c1"), () -> cl.controller("c2"));
            var ab = Ticks.pair(cl, cs, LIMIT);
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            String via = Cluster.nodes(b).stream().filter(n -> n.getNode().equals("b")).map(NodeInfo::getController)
                    .findFirst().orElseThrow();
            ControllerProcess victim = cs.stream().filter(c -> c.address().equals(via)).findFirst().orElseThrow(
                    () -> new AssertionError("b's controller " + via + " is neither of " + cs));
            try (TickStream stream = new TickStream(a)) {
                awaitTicks(b, 50, LIMIT);
                int before = ticks(b).size();
                long t0 = System.nanoTime();
                victim.kill9();
                awaitTicks(b, before + 1, LIMIT);
                long firstAfter = (System.nanoTime() - t0) / 1_000_000;
                // Ticks already in flight may land just after the kill; the failover is when a tick sent after it arrives.
                int sentAtKill = stream.sent.get();
                Poll.until("a tick sent after the kill to reach b", LIMIT,
                        () -> ticks(b).stream().anyMatch(n -> n > sentAtKill + 1));
                System.out.printf("cluster: controller %s SIGKILLed -> next tick on b after %d ms, first tick sent "
                        + "after the kill on b after %d ms%n", via, firstAfter, (System.nanoTime() - t0) / 1_000_000);
                stream.await();
            }
            assertExactlyOnceInOrder(b);
        }
    }

    @Test
    void agentBKilledAndRestarted() throws Exception {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var ab = Ticks.pair(cl, List.of(c1), LIMIT);
            AgentProcess b = ab.get(1);
            try (TickStream stream = new TickStream(ab.get(0))) {
                awaitTicks(b, 50, LIMIT);
                b.kill9();
                int sentAtKill = stream.sent.get();
                Poll.until("a to emit 40 more ticks while b is down", LIMIT, () -> stream.sent.get() >= sentAtKill + 40);
                b.launch();
                stream.await();
            }
            assertExactlyOnceInOrder(b);
        }
    }

    @Test
    void agentBStoppedLongerThanTheSessionTtl() throws Exception {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var ab = Ticks.pair(cl, List.of(c1), LIMIT);
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            try (TickStream stream = new TickStream(a)) {
                awaitTicks(b, 50, LIMIT);
                b.signal("STOP");
                try {
                    Thread.sleep(8000); // the fault's duration: longer than the 5 s session TTL
                    System.out.printf("cluster: b stopped 8 s; nodes listed meanwhile: %s%n",
                            Cluster.nodes(a).stream().map(NodeInfo::getNode).toList());
                } finally {
                    b.signal("CONT");
                }
                stream.await();
            }
            assertExactlyOnceInOrder(b);
        }
    }
}
