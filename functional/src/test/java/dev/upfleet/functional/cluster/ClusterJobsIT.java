package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.JobFile;
import dev.upfleet.proto.cluster.v1.ListJobsRequest;
import dev.upfleet.proto.cluster.v1.SubmitRequest;
import dev.upfleet.proto.cluster.v1.WithdrawRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Replicated job definitions: submit (validated, placed by the nodes stanza) and withdraw. */
class ClusterJobsIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(30);

    static void submit(AgentProcess via, String name, String text) {
        via.cluster().submit(SubmitRequest.newBuilder().addFiles(JobFile.newBuilder().setName(name).setText(text))
                .setSubmitter("ft").build());
    }

    static List<String> stored(AgentProcess via) {
        return via.cluster().listJobs(ListJobsRequest.getDefaultInstance()).getJobsList().stream()
                .map(JobDefinition::getName).toList();
    }

    static void awaitListed(AgentProcess agent, String job, boolean listed) {
        Poll.until(job + (listed ? " listed" : " gone") + " on " + agent.node(), LIMIT,
                () -> agent.listedJobs().contains(job) == listed);
    }

    @Test
    void submitPlacesByLabelRefusesBadFilesAndWithdrawRemoves() {
        try (Cluster cl = new Cluster(etcd)) {
            ControllerProcess c1 = cl.controller("c1");
            var agents = Cluster.parallel(
                    () -> cl.agent(Cluster.agentOptions("a", List.of(c1), Map.of("role", "db")), x -> {}),
                    () -> cl.agent(Cluster.agentOptions("b", List.of(c1), Map.of("role", "web")), x -> {}),
                    () -> cl.agent(Cluster.agentOptions("c", List.of(c1), Map.of("role", "db")), x -> {}));
            AgentProcess a = agents.get(0);
            AgentProcess b = agents.get(1);
            AgentProcess c = agents.get(2);
            Cluster.awaitNodes(b, "a", "b", "c");

            submit(b, "dbjob", "description \"db only\"\nnodes role=db\nexec sleep 600\n");
            awaitListed(a, "dbjob", true);
            awaitListed(c, "dbjob", true);
            // A later job for every node: once b has it, b's replicated set reflects dbjob too.
            submit(b, "everywhere", "exec sleep 600\n");
            for (AgentProcess x : agents) {
                awaitListed(x, "everywhere", true);
            }
            assertThat(b.listedJobs()).as("b is role=web").doesNotContain("dbjob");
            assertThat(a.initctl("list").out()).contains("dbjob stop/waiting");

            assertThatThrownBy(() -> submit(a, "bad", "nodes role=db\nexec sleep 1\nfrobnicate yes\n"))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("bad.conf:3: Unknown stanza");
                    });
            assertThat(stored(a)).containsExactly("dbjob", "everywhere");

            // Withdrawing a job that is not running: it disappears.
            b.cluster().withdraw(WithdrawRequest.newBuilder().addNames("dbjob").build());
            awaitListed(a, "dbjob", false);
            awaitListed(c, "dbjob", false);
            assertThat(stored(b)).containsExactly("everywhere");

            // Upstart's rule for a deleted job file: a running instance keeps running until it stops, then goes.
            long pid = a.start("everywhere").getProcessesList().getFirst().getPid();
            b.cluster().withdraw(WithdrawRequest.newBuilder().addNames("everywhere").build());
            awaitListed(b, "everywhere", false);
            awaitListed(c, "everywhere", false);
            assertThat(a.mainPid("everywhere")).as("still running on a after withdraw").isEqualTo(pid);
            a.stop("everywhere");
            awaitListed(a, "everywhere", false);

            assertThatThrownBy(() -> b.cluster().withdraw(WithdrawRequest.newBuilder().addNames("nosuch").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        }
    }
}
