package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.LoggedEvent;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Project;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.control.v1.EmitRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input at the cluster's edges: oversized events, bad node names, agents without a valid certificate. */
class ClusterBadInputIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    @Test
    void oversizedEventsAreRefusedAndNothingBreaks() {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var ab = Cluster.parallel(
                    () -> cl.agent("a", c1, a -> {}),
                    () -> cl.agent("b", c1, b -> b.writeJob("listener", "start on tick NODE=a\n")));
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            Cluster.awaitNodes(a, "a", "b");
            String big = "BIG=" + "x".repeat(100 * 1024);

            // A cluster emit through the agent's socket.
            assertThatThrownBy(() -> a.cluster().emit(ClusterEmitRequest.newBuilder().setName("huge").addEnv(big)
                    .setSelector("*").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                            .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED));
            // A local event that b is interested in: the agent must not wedge its outbox on it.
            a.control().emit(EmitRequest.newBuilder().setName("tick").addEnv("N=1").addEnv(big).setNoWait(true).build());

            // Everything still works: a small cluster emit and a relayed tick both arrive, and nobody died.
            a.cluster().emit(ClusterEmitRequest.newBuilder().setName("small").addEnv("K=V").setSelector("*").build());
            Poll.until("small on b", LIMIT, () -> !LoggedEvent.of(b, "b", "small").isEmpty());
            a.control().emit(EmitRequest.newBuilder().setName("tick").addEnv("N=2").setNoWait(true).build());
            Poll.until("tick 2 on b", LIMIT,
                    () -> LoggedEvent.of(b, "a", "tick").stream().anyMatch(e -> "2".equals(e.get("N"))));
            assertThat(LoggedEvent.of(b, "b", "huge")).isEmpty();
            assertThat(a.process().isAlive()).isTrue();
            assertThat(b.process().isAlive()).isTrue();
            assertThat(c1.alive()).isTrue();
        }
    }

    @Test
    void aNodeNameThatIsNotANameIsRefused() {
        Initctl r = Project.run(List.of(Project.bin("upfleet-agent").toString(), "--node", "bad/name",
                "--controller", "127.0.0.1:1", "--insecure", "--confdir", tmp.resolve("conf").toString(),
                "--socket", tmp.resolve("s.sock").toString(), "--log-dir", tmp.toString(),
                "--state-dir", tmp.resolve("state").toString(), "--no-startup-event"), Map.of(), LIMIT);
        assertThat(r.rc()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("'bad/name' is not a node name");
    }

    static void makeCerts(Path dir, String controller, String... nodes) {
        List<String> cmd = new ArrayList<>(List.of(Project.root().resolve("deploy/tls/make-certs.sh").toString(),
                "-c", controller + "=IP:127.0.0.1", dir.toString()));
        cmd.addAll(List.of(nodes));
        Initctl r = Project.run(cmd, Map.of(), LIMIT);
        assertThat(r.rc()).as(r.toString()).isZero();
    }

    /** A controller on {@code cl} serving mTLS with {@code pki}'s certificate "controller". */
    static ControllerProcess tlsController(Cluster cl, Path pki) {
        List<String> args = new ArrayList<>(cl.controllerArgs());
        args.addAll(List.of("--tls-cert", pki.resolve("controller/controller.crt").toString(),
                "--tls-key", pki.resolve("controller/controller.key").toString(),
                "--tls-ca", pki.resolve("ca.crt").toString()));
        return cl.controller("c1", args);
    }

    /** Options of an agent claiming {@code node} with the certificate {@code pki} issued for {@code certFor}. */
    static AgentProcess.Options tlsAgent(String node, Path pki, String certFor, Path ca, ControllerProcess c) {
        return AgentProcess.Options.quiet().withNode(node).withArgs("--controller", c.address(),
                "--tls-cert", pki.resolve("agent/" + certFor + ".crt").toString(),
                "--tls-key", pki.resolve("agent/" + certFor + ".key").toString(), "--tls-ca", ca.toString());
    }

    @Test
    void agentsWithoutAValidCertificateAreNotJoined() {
        Path pki = tmp.resolve("pki");
        Path other = tmp.resolve("other-pki");
        makeCerts(pki, "controller", "a");
        makeCerts(other, "rogue-controller", "x");
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = tlsController(cl, pki);
            Path ca = pki.resolve("ca.crt");
            var agents = Cluster.parallel(
                    () -> cl.agent(tlsAgent("a", pki, "a", ca, c1), x -> {}),
                    () -> cl.agent(tlsAgent("x", other, "x", ca, c1), x -> {}),
                    () -> cl.agent(Cluster.agentOptions("y", List.of(c1), Map.of()), x -> {}));
            AgentProcess a = agents.get(0);
            AgentProcess x = agents.get(1);
            AgentProcess y = agents.get(2);
            Cluster.awaitNodes(a, "a");
            Poll.until("x to log its refused session", LIMIT, () -> x.stderr().contains("controller " + c1.address()));
            Poll.until("y to log its refused session", LIMIT, () -> y.stderr().contains("controller " + c1.address()));
            System.out.printf("cluster: TLS refusal as logged by x: %s%ncluster: and by y: %s%n",
                    firstLine(x.stderr(), c1.address()), firstLine(y.stderr(), c1.address()));
            assertThat(Cluster.nodes(a)).extracting(NodeInfo::getNode).containsExactly("a");
            assertThatThrownBy(() -> Cluster.nodes(x)).isInstanceOf(StatusRuntimeException.class);
            assertThat(x.process().isAlive()).as("a refused agent keeps running its local jobs").isTrue();
        }
    }

    @Test
    void anAgentMustClaimTheNodeNameOfItsCertificate() {
        Path pki = tmp.resolve("pki");
        makeCerts(pki, "controller", "a", "c");
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = tlsController(cl, pki);
            Path ca = pki.resolve("ca.crt");
            long t0 = System.nanoTime();
            var agents = Cluster.parallel(
                    () -> cl.agent(tlsAgent("a", pki, "a", ca, c1), x -> {}),
                    () -> cl.agent(tlsAgent("b", pki, "a", ca, c1), x -> {}), // a's valid certificate, claiming b
                    () -> cl.agent(tlsAgent("c", pki, "c", ca, c1), x -> {}));
            AgentProcess a = agents.get(0);
            AgentProcess b = agents.get(1);
            Cluster.awaitNodes(a, "a", "c");
            String denial = "node name 'b' does not match the client certificate, which is for [a]";
            Poll.until("b to log its refused session", LIMIT, () -> b.stderr().contains(denial));
            // Refused more than once (the agent keeps retrying), and never listed in between or after.
            Poll.until("the controller to refuse b twice", LIMIT,
                    () -> c1.stderr().lines().filter(l -> l.contains("refused a call") && l.contains(denial))
                            .count() >= 2);
            System.out.printf("cluster: node-name refusal as logged by b: %s%ncluster: and by the controller: %s%n",
                    firstLine(b.stderr(), denial), firstLine(c1.stderr(), denial));
            assertThat(firstLine(b.stderr(), denial)).contains("PERMISSION_DENIED");
            Initctl nodes = a.initctl("nodes");
            assertThat(nodes.rc()).as(nodes.toString()).isZero();
            assertThat(nodes.out().lines().map(l -> l.split(" ")[0]).toList()).as(nodes.out())
                    .containsExactly("a", "c");
            assertThatThrownBy(() -> Cluster.nodes(b)).as("b has no controller session")
                    .isInstanceOf(StatusRuntimeException.class);
            assertThat(c1.stderr()).doesNotContain("node b joined");
            assertThat(b.process().isAlive()).as("a refused agent keeps running its local jobs").isTrue();
            System.out.printf("cluster: identity test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private static String firstLine(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("");
    }
}
