package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.LoggedEvent;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events across nodes against a real 3-member etcd, controllers and agents as separate processes. */
class ClusterEventsIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code via} lists {@code node} with {@code event} in its interest. */
    static void awaitInterest(AgentProcess via, String node, String event) {
        Poll.until(node + " interested in " + event, Cluster.JOIN_LIMIT, () -> Cluster.nodes(via).stream()
                .anyMatch(n -> n.getNode().equals(node) && n.getInterestList().contains(event)));
    }

    @Test
    void jobOnBFollowsDbOnA() {
        Path env = tmp.resolve("follower.env");
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var ab = Cluster.parallel(
                    () -> cl.agent("a", c1, a -> a.writeJob("db", "exec sleep 600\n")),
                    () -> cl.agent("b", c1, b -> b.writeJob("follower", """
                            start on started db NODE=a
                            stop on stopping db NODE=a
                            exec sh -c 'env > %1$s.tmp && mv %1$s.tmp %1$s && exec sleep 600'
                            """.formatted(env))),
                    () -> cl.agent("c", c1, c -> c.writeJob("db", "exec sleep 600\n")));
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            AgentProcess c = ab.get(2);
            Cluster.awaitNodes(a, "a", "b", "c");
            awaitInterest(a, "b", "started");

            // c's db is another node's: b's job must not follow it.
            c.start("db");
            Poll.until("c's started db delivered to b", LIMIT, () -> !LoggedEvent.of(b, "c", "started").isEmpty());
            assertThat(b.mainPid("follower")).as("NODE=a does not match c's started db").isZero();
            long t0 = System.nanoTime();
            a.start("db");
            long pid = b.awaitRunning("follower", LIMIT);
            System.out.printf("cluster: started db on a -> follower running on b in %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            Poll.until("follower's environment written", LIMIT, () -> Files.exists(env));
            assertThat(lines(env)).contains("NODE=a");

            a.stop("db");
            b.awaitState("follower", "stop/waiting", LIMIT);
            assertThat(LoggedEvent.of(b, "a", "started")).extracting(e -> e.get("JOB")).containsExactly("db");
            assertThat(LoggedEvent.of(b, "a", "stopping")).extracting(e -> e.get("JOB")).containsExactly("db");
            assertThat(pid).isPositive();
        }
    }

    @Test
    void clusterEmitReachesEverySelectedNodeOnce() {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            AgentProcess.JobFiles deployTask = ag -> ag.writeJob("deploy-task", """
                    start on deploy
                    task
                    exec sh -c 'echo "$VERSION $ORIGIN_NODE $NODE" >> %s/%s-deploy'
                    """.formatted(tmp, ag.node()));
            var agents = Cluster.parallel(
                    () -> cl.agent(Cluster.agentOptions("a", List.of(c1), Map.of("role", "web")), deployTask),
                    () -> cl.agent(Cluster.agentOptions("b", List.of(c1), Map.of("role", "web")), deployTask),
                    () -> cl.agent(Cluster.agentOptions("c", List.of(c1), Map.of("role", "db")), deployTask));
            AgentProcess a = agents.get(0);
            Cluster.awaitNodes(a, "a", "b", "c");

            a.cluster().emit(ClusterEmitRequest.newBuilder().setName("deploy").addEnv("VERSION=42").setSelector("*")
                    .build());
            for (String n : List.of("a", "b", "c")) {
                Path f = tmp.resolve(n + "-deploy");
                Poll.until(n + " ran deploy-task", LIMIT, () -> lines(f).size() >= 1);
            }
            a.cluster().emit(ClusterEmitRequest.newBuilder().setName("deploy").addEnv("VERSION=43")
                    .setSelector("role=web").build());
            // As in Upstart, a start event for a task that is still running is not queued: let 43's finish first.
            for (AgentProcess ag : agents.subList(0, 2)) {
                Path f = tmp.resolve(ag.node() + "-deploy");
                Poll.until(ag.node() + " ran deploy-task for 43", LIMIT,
                        () -> lines(f).stream().anyMatch(l -> l.startsWith("43 ")));
                ag.awaitState("deploy-task", "stop/waiting", LIMIT);
            }
            a.cluster().emit(ClusterEmitRequest.newBuilder().setName("deploy").addEnv("VERSION=44").setSelector("*")
                    .build());
            for (String n : List.of("a", "b", "c")) {
                Path f = tmp.resolve(n + "-deploy");
                Poll.until(n + " ran deploy-task for 44", LIMIT, () -> lines(f).stream().anyMatch(l -> l.startsWith("44 ")));
            }
            // NODE is not in a job's environment for a local event; the cluster emit is a local event everywhere.
            assertThat(lines(tmp.resolve("a-deploy"))).containsExactly("42 a ", "43 a ", "44 a ");
            assertThat(lines(tmp.resolve("b-deploy"))).containsExactly("42 a ", "43 a ", "44 a ");
            assertThat(lines(tmp.resolve("c-deploy"))).as("role=db is not selected by role=web")
                    .containsExactly("42 a ", "44 a ");
            for (AgentProcess ag : agents) {
                assertThat(LoggedEvent.of(ag, ag.node(), "deploy")).as("deploy events on " + ag.node())
                        .extracting(e -> e.get("VERSION") + "/" + e.get("ORIGIN_NODE"))
                        .containsExactlyElementsOf(ag.node().equals("c") ? List.of("42/a", "44/a")
                                : List.of("42/a", "43/a", "44/a"));
            }
        }
    }

    @Test
    void nodeDownWhenAnAgentDies() {
        Path out = tmp.resolve("down");
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var abc = Cluster.parallel(
                    () -> cl.agent("a", c1, a -> {}),
                    () -> cl.agent("b", c1, b -> b.writeJob("on-c-down", """
                            start on node-down NODE=c
                            task
                            exec sh -c 'echo "$NODE" >> %s'
                            """.formatted(out))),
                    () -> cl.agent("c", c1, c -> {}));
            AgentProcess a = abc.get(0);
            AgentProcess b = abc.get(1);
            AgentProcess c = abc.get(2);
            Cluster.awaitNodes(b, "a", "b", "c");
            awaitInterest(b, "b", "node-down");

            long t0 = System.nanoTime();
            c.kill9();
            Poll.until("b's node-down task to run", Duration.ofSeconds(5 + 25), () -> lines(out).size() >= 1);
            System.out.printf("cluster: agent c SIGKILLed -> node-down task ran on b in %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            Poll.until("c to leave the node list", LIMIT,
                    () -> Cluster.nodes(a).stream().map(NodeInfo::getNode).noneMatch("c"::equals));
            // A marker after it in etcd's single order: anything delivered twice would show up before it.
            a.cluster().emit(ClusterEmitRequest.newBuilder().setName("marker").setSelector("b").build());
            Poll.until("marker on b", LIMIT, () -> !LoggedEvent.of(b, "b", "marker").isEmpty());
            assertThat(LoggedEvent.of(b, "c", "node-down")).extracting(LoggedEvent::env)
                    .containsExactly(List.of("NODE=c"));
            assertThat(lines(out)).containsExactly("c");
            assertThat(LoggedEvent.of(b, "a", "node-down")).isEmpty();
        }
    }
}
