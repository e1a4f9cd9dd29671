package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cluster views and remote job control of initctl ({@code list --cluster}, {@code status --cluster JOB},
 * {@code start|stop|restart|status --node NODE JOB}) with agents on two controllers, so that a command crosses from
 * one controller to the other through etcd.
 */
class ClusterViewsIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(30);

    @Test
    void initctlSeesAndDrivesJobsOnOtherNodes() {
        try (Cluster cl = new Cluster(etcd)) {
            int controllerMetrics = ControllerProcess.freePort();
            int agentMetrics = ControllerProcess.freePort();
            List<String> c1Args = new ArrayList<>(cl.controllerArgs());
            c1Args.addAll(List.of("--insecure", "--metrics-port", Integer.toString(controllerMetrics)));
            ControllerProcess c1 = cl.controller("c1", c1Args);
            ControllerProcess c2 = cl.controller("c2");
            var ab = Cluster.parallel(
                    () -> cl.agent(Cluster.agentOptions("a", List.of(c1), Map.of()).withMetricsPort(agentMetrics),
                            a -> a.writeJob("db", "exec sleep 600\n")),
                    () -> cl.agent("b", c2, b -> b.writeJob("web", "exec sleep 600\n")));
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            Cluster.awaitNodes(b, "a", "b");

            // From b, through c2 and etcd, to a (served by c1).
            Initctl started = b.initctl("start", "--node", "a", "db");
            assertThat(started.rc()).as(started.toString()).isZero();
            long pid = a.mainPid("db");
            assertThat(pid).isPositive();
            assertThat(started.out()).isEqualTo("db start/running, process " + pid + "\n");
            assertThat(b.initctl("status", "--node", "a", "db").out()).isEqualTo("db start/running, process " + pid + "\n");

            Poll.until("a's db running in the cluster view", LIMIT,
                    () -> b.initctl("status", "--cluster", "db").out().equals("a: db start/running, process " + pid + "\n"));
            b.start("web");
            long webPid = b.mainPid("web");
            Poll.until("both nodes listed", LIMIT, () -> a.initctl("list", "--cluster").out().lines().toList().equals(List.of(
                    "a: db start/running, process " + pid, "b: web start/running, process " + webPid)));

            // Upstart's refusals, as the other node's initctl prints them.
            Initctl unknownJob = b.initctl("stop", "--node", "a", "nosuch");
            assertThat(unknownJob.rc()).isEqualTo(1);
            assertThat(unknownJob.err()).isEqualTo("initctl: Unknown job: nosuch\n");
            Initctl unknownNode = b.initctl("status", "--node", "zz", "db");
            assertThat(unknownNode.rc()).isEqualTo(1);
            assertThat(unknownNode.err()).isEqualTo("initctl: Unknown node: zz\n");
            Initctl nowhere = b.initctl("status", "--cluster", "nosuch");
            assertThat(nowhere.rc()).isEqualTo(1);
            assertThat(nowhere.err()).isEqualTo("initctl: Unknown job: nosuch\n");

            Initctl restarted = b.initctl("restart", "--node", "a", "db");
            assertThat(restarted.rc()).as(restarted.toString()).isZero();
            long newPid = a.mainPid("db");
            assertThat(newPid).isPositive().isNotEqualTo(pid);
            assertThat(restarted.out()).isEqualTo("db start/running, process " + newPid + "\n");

            Initctl stopped = b.initctl("stop", "--node", "a", "db");
            assertThat(stopped.out()).isEqualTo("db stop/waiting\n");
            assertThat(a.status("db").getGoal()).isEqualTo("stop");
            Poll.until("a's db stopped in the cluster view", LIMIT,
                    () -> b.initctl("status", "--cluster", "db").out().equals("a: db stop/waiting\n"));

            // The dashboards' series: the controller's relay and etcd figures, the agent's link to its controller.
            String controllerSeries = scrape(controllerMetrics);
            assertThat(controllerSeries).contains("upfleet_agents_connected 1.0", "upfleet_relay_latency_seconds_bucket",
                    "upfleet_etcd_errors_total", "upfleet_events_relayed_total", "upfleet_leader");
            assertThat(counter(controllerSeries, "upfleet_etcd_request_seconds_count")).isPositive();
            assertThat(scrape(agentMetrics)).contains("upfleet_controller_connected 1.0", "upfleet_revision_lag");

            // A node that leaves takes its states with it.
            a.close();
            Poll.until("a gone from the cluster view", LIMIT, () -> b.initctl("list", "--cluster").out()
                    .equals("b: web start/running, process " + webPid + "\n"));
        }
    }

    static String scrape(int port) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static double counter(String series, String name) {
        return series.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElse(-1);
    }
}
