package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.NetNs;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Procs;
import dev.upfleet.functional.harness.Ticks;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real network partition: agent b runs in its own network namespace, joined to the host (where etcd, the
 * controller and agent a run) by a veth pair; the test takes the link down and up again while a emits ticks that
 * b's job follows. b's local jobs must not notice the cut, and once the link is back b must get every tick of the
 * cut exactly once and in order. Skipped where network namespaces cannot be made (needs root).
 */
class ClusterPartitionIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(60);
    /** The agent's keepalive (10 s) and its timeout (20 s) decide when b gives its dead connection up; with margin. */
    static final Duration NOTICE_LIMIT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    static long count(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).count();
    }

    @Test
    void partitionedNodeKeepsItsJobsAndGetsWhatItMissedOnce() throws IOException {
        long t0 = System.nanoTime();
        Path pings = tmp.resolve("pings");
        try (NetNs ns = NetNs.create(); Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1", cl.insecureControllerArgs(), ns.hostAddress());
            var ab = Cluster.parallel(
                    () -> cl.agent(Cluster.agentOptions("a", List.of(c1), Map.of()), a -> {}),
                    () -> cl.agent(Cluster.agentOptions("b", List.of(c1), Map.of())
                            .withWrapper(ns.exec().toArray(String[]::new)), b -> {
                                b.writeJob("listener", Ticks.listenerJob("a"));
                                b.writeJob("local-daemon", "exec sleep 600\n");
                                b.writeJob("local-task", """
                                        start on local-ping
                                        task
                                        exec sh -c 'echo "$N" >> %s'
                                        """.formatted(pings));
                            }));
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            Cluster.awaitNodes(a, "a", "b");
            Ticks.warmUp(a, b, LIMIT);
            long daemon = b.start("local-daemon").getProcessesList().getFirst().getPid();
            Ticks.emitRange(a, 1, 50, LIMIT);
            Ticks.await(b, "a", 50, LIMIT);
            String sessionEnded = "controller " + c1.address() + ": session ended";
            long endedBefore = count(b.stderr(), sessionEnded);

            long cutAt = System.nanoTime();
            ns.cut();
            boolean healed = false;
            try {
                Ticks.emitRange(a, 51, 100, LIMIT);
                // The controller pings b's silent connection and ends its session about one session TTL (5 s) later.
                Poll.until("b to leave the member list", NOTICE_LIMIT, () -> Cluster.nodes(a).stream()
                        .map(NodeInfo::getNode).toList().equals(List.of("a")));
                System.out.printf("cluster: link cut -> node b down after %d ms%n", (System.nanoTime() - cutAt) / 1_000_000);
                // Wait for b to give its connection up, so what follows is a reconnection, not a TCP retransmission.
                Poll.until("b to notice the partition", NOTICE_LIMIT,
                        () -> count(b.stderr(), sessionEnded) > endedBefore);
                long noticedMs = (System.nanoTime() - cutAt) / 1_000_000;
                Ticks.emitRange(a, 101, 150, LIMIT);

                // b's own jobs run on: the daemon started before the cut, and a task started by a local event now.
                assertThat(Procs.alive(daemon)).as("b's local daemon during the cut").isTrue();
                assertThat(b.mainPid("local-daemon")).isEqualTo(daemon);
                Initctl emit = b.initctl("emit", "local-ping", "N=1");
                assertThat(emit.rc()).as(emit.toString()).isZero();
                assertThat(Files.readAllLines(pings)).containsExactly("1");
                Initctl status = b.initctl("status", "local-daemon");
                assertThat(status.out()).as(status.toString()).contains("start/running, process " + daemon);
                assertThat(Ticks.received(b, "a")).as("nothing crosses the cut").hasSize(50);
                System.out.printf("cluster: link cut -> b noticed after %d ms%n", noticedMs);

                long healAt = System.nanoTime();
                ns.heal();
                healed = true;
                Ticks.emitRange(a, 151, 200, LIMIT);
                Ticks.await(b, "a", 101, LIMIT);
                System.out.printf("cluster: link healed -> first tick of the cut on b after %d ms%n",
                        (System.nanoTime() - healAt) / 1_000_000);
            } finally {
                if (!healed) {
                    ns.heal();
                }
            }
            Ticks.assertExactlyOnceInOrder(b, "a", 200, LIMIT);
            assertThat(b.mainPid("local-daemon")).as("the same daemon after the partition").isEqualTo(daemon);
            Cluster.awaitNodes(a, "a", "b");
        }
        System.out.printf("cluster: partition test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }
}
