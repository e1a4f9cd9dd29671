package dev.upfleet.controller.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.controller.Controller;
import dev.upfleet.controller.registry.InMemoryRegistry;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ControllerMessage;
import dev.upfleet.proto.cluster.v1.JobFile;
import dev.upfleet.proto.cluster.v1.ListJobsRequest;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.SubmitRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay over real gRPC on loopback, against the in-memory registry: fast, deterministic where it matters. */
class RelayTest {
    private InMemoryRegistry registry;
    private Controller controller;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        registry = new InMemoryRegistry();
        controller = new Controller(new Controller.Settings("test:0", new InetSocketAddress("127.0.0.1", 0),
                InsecureServerCredentials.create(), Duration.ofMinutes(15), Duration.ofSeconds(5)), registry,
                new SimpleMeterRegistry());
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.port(), InsecureChannelCredentials.create()).build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        controller.close();
    }

    private ScriptedAgent join(String node, Map<String, String> labels, List<String> interest, long resumeAfter)
            throws InterruptedException {
        ScriptedAgent agent = new ScriptedAgent(channel, node, labels, interest, resumeAfter);
        agent.next(ControllerMessage.BodyCase.WELCOME);
        return agent;
    }

    @Test
    void anEventReachesTheInterestedNodesButNotItsOrigin() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0);
             ScriptedAgent b = join("b", Map.of(), List.of("started"), 0);
             ScriptedAgent c = join("c", Map.of(), List.of(), 0)) {
            a.publish("started", "JOB=db", "INSTANCE=");
            a.publish("stopping", "JOB=db", "INSTANCE=", "RESULT=ok");
            assertThat(a.next(ControllerMessage.BodyCase.PUBLISHED).getPublished().getUpToSeq()).isEqualTo(1);
            List<RelayedEvent> got = b.deliveries(500);
            assertThat(got).extracting(RelayedEvent::getName).containsExactly("started");
            assertThat(got.getFirst().getOriginNode()).isEqualTo("a");
            assertThat(got.getFirst().getRevision()).isPositive();
            assertThat(a.deliveries(200)).isEmpty();
            assertThat(c.deliveries(200)).isEmpty();
        }
    }

    @Test
    void everyNodeLearnsWhatToPublish() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0);
             ScriptedAgent b = join("b", Map.of(), List.of("started", "tick"), 0)) {
            ControllerMessage interest;
            do {
                interest = a.next(ControllerMessage.BodyCase.PUBLISH_INTEREST);
            } while (interest.getPublishInterest().getEventNamesCount() < 2);
            assertThat(interest.getPublishInterest().getEventNamesList()).containsExactly("started", "tick");
        }
    }

    @Test
    void aRetriedPublishIsStoredAndDeliveredOnce() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0);
             ScriptedAgent b = join("b", Map.of(), List.of("tick"), 0)) {
            RelayedEvent tick = a.publish("tick", "N=1");
            a.publishAgain(tick);
            a.publishAgain(tick);
            assertThat(b.deliveries(500)).hasSize(1);
        }
    }

    @Test
    void aReconnectingNodeGetsWhatItMissedExactlyOnceInOrder() throws Exception {
        long applied;
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0)) {
            try (ScriptedAgent b = join("b", Map.of(), List.of("tick"), 0)) {
                a.publish("tick", "N=1");
                applied = b.deliveries(500).getLast().getRevision();
            }
            for (int i = 2; i <= 5; i++) {
                a.publish("tick", "N=" + i);
            }
            a.next(ControllerMessage.BodyCase.PUBLISHED);
            Thread.sleep(200); // all four stored (publishes are stored in order)
            try (ScriptedAgent b = join("b", Map.of(), List.of("tick"), applied)) {
                // Delivery resumes AT the applied revision (a batch shares one); positions up to it are the agent's
                // to skip, as ClusterState does.
                long lastApplied = applied;
                assertThat(b.deliveries(500)).filteredOn(e -> e.getRevision() > lastApplied)
                        .extracting(e -> e.getEnv(0)).containsExactly("N=2", "N=3", "N=4", "N=5");
            }
        }
    }

    @Test
    void eventsStoredInOneBatchShareARevisionAndAreNumbered() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0);
             ScriptedAgent b = join("b", Map.of(), List.of("tick"), 0)) {
            a.send(dev.upfleet.proto.cluster.v1.AgentMessage.newBuilder().setPublish(
                    dev.upfleet.proto.cluster.v1.PublishBatch.newBuilder()
                            .addEvents(RelayedEvent.newBuilder().setOriginNode("a").setOriginSeq(1).setName("tick"))
                            .addEvents(RelayedEvent.newBuilder().setOriginNode("a").setOriginSeq(2).setName("tick"))
                            .addEvents(RelayedEvent.newBuilder().setOriginNode("a").setOriginSeq(3).setName("tick"))).build());
            List<RelayedEvent> got = b.deliveries(500);
            assertThat(got).extracting(RelayedEvent::getOriginSeq).containsExactly(1L, 2L, 3L);
            assertThat(got).extracting(RelayedEvent::getRevision).containsOnly(got.getFirst().getRevision());
            assertThat(got).extracting(RelayedEvent::getRevisionIndex).containsExactly(0, 1, 2);
        }
    }

    @Test
    void aNodeBehindTheNewControllersBufferCatchesUpThenFollowsTheSharedFeed() throws Exception {
        long applied;
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0)) {
            try (ScriptedAgent b = join("b", Map.of(), List.of("tick"), 0)) {
                a.publish("tick", "N=1");
                applied = b.deliveries(500).getLast().getRevision();
            }
            for (int i = 2; i <= 4; i++) {
                a.publish("tick", "N=" + i);
            }
            a.next(ControllerMessage.BodyCase.PUBLISHED);
            Thread.sleep(200);
        }
        // A controller started now buffers only what comes after its start: b is behind it.
        try (Controller second = new Controller(new Controller.Settings("test:1", new InetSocketAddress("127.0.0.1", 0),
                InsecureServerCredentials.create(), Duration.ofMinutes(15), Duration.ofSeconds(5)), registry,
                new SimpleMeterRegistry())) {
            ManagedChannel toSecond = Grpc.newChannelBuilderForAddress("127.0.0.1", second.port(),
                    InsecureChannelCredentials.create()).build();
            // A fresh origin: a scripted agent numbers its events from 1 again, which etcd would take for retries.
            try (ScriptedAgent a = new ScriptedAgent(toSecond, "a2", Map.of(), List.of(), 0);
                 ScriptedAgent b = new ScriptedAgent(toSecond, "b", Map.of(), List.of("tick"), applied)) {
                a.next(ControllerMessage.BodyCase.WELCOME);
                b.next(ControllerMessage.BodyCase.WELCOME);
                long lastApplied = applied;
                assertThat(b.deliveries(500)).filteredOn(e -> e.getRevision() > lastApplied)
                        .extracting(e -> e.getEnv(0)).containsExactly("N=2", "N=3", "N=4");
                a.publish("tick", "N=5");
                a.publish("tick", "N=6");
                assertThat(b.deliveries(500)).extracting(e -> e.getEnv(0)).containsExactly("N=5", "N=6");
            } finally {
                toSecond.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aNodeTooFarBehindIsToldToResync() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0)) {
            a.publish("tick");
            a.next(ControllerMessage.BodyCase.PUBLISHED);
            registry.compact(registry.currentRevision());
            try (ScriptedAgent b = new ScriptedAgent(channel, "b", Map.of(), List.of("tick"), 1)) {
                assertThat(b.next(ControllerMessage.BodyCase.RESYNC).getResync().getCompactedRevision()).isPositive();
            }
        }
    }

    @Test
    void aClusterEmitReachesTheSelectedNodesIncludingTheEmitter() throws Exception {
        try (ScriptedAgent db = join("db-1", Map.of("role", "db"), List.of(), 0);
             ScriptedAgent web1 = join("web-1", Map.of("role", "web"), List.of(), 0);
             ScriptedAgent web2 = join("web-2", Map.of("role", "web"), List.of(), 0)) {
            var stub = ClusterGrpc.newBlockingStub(channel);
            stub.emit(ClusterEmitRequest.newBuilder().setName("deploy").addEnv("VERSION=42").setOriginNode("db-1")
                    .setSelector("role=web").build());
            assertThat(web1.deliveries(500)).extracting(RelayedEvent::getTarget).containsExactly("role=web");
            assertThat(web2.deliveries(200)).hasSize(1);
            assertThat(db.deliveries(200)).isEmpty();
            stub.emit(ClusterEmitRequest.newBuilder().setName("deploy").setOriginNode("db-1").setSelector("*").build());
            assertThat(db.deliveries(500)).hasSize(1);
        }
    }

    @Test
    void badSessionsAreRefusedWithAStatus() throws Exception {
        ScriptedAgent bad = new ScriptedAgent(channel, "not/a/name", Map.of(), List.of(), 0);
        assertThat(bad.ended.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0)) {
            a.publish("huge", "X=" + "x".repeat(100_000));
            assertThat(a.ended.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        try (ScriptedAgent a = join("a2", Map.of(), List.of(), 0)) {
            a.send(dev.upfleet.proto.cluster.v1.AgentMessage.newBuilder().setPublish(
                    dev.upfleet.proto.cluster.v1.PublishBatch.newBuilder().addEvents(RelayedEvent.newBuilder()
                            .setOriginNode("someone-else").setOriginSeq(1).setName("x"))).build());
            assertThat(a.ended.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
    }

    @Test
    void aJobWithASyntaxErrorIsRefusedBeforeAnyNodeSeesIt() {
        var stub = ClusterGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> stub.submit(SubmitRequest.newBuilder().addFiles(JobFile.newBuilder().setName("bad")
                .setText("exec /bin/true\nbogus stanza\n")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("bad.conf:2: Unknown stanza");
                });
        assertThat(stub.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()).isEmpty();
    }

    @Test
    void replicatedJobsGoToTheNodesTheirNodesStanzaSelects() throws Exception {
        try (ScriptedAgent db = join("db-1", Map.of("role", "db"), List.of(), 0);
             ScriptedAgent web = join("web-1", Map.of("role", "web"), List.of(), 0)) {
            ClusterGrpc.newBlockingStub(channel).submit(SubmitRequest.newBuilder().addFiles(JobFile.newBuilder()
                    .setName("cache").setText("nodes role=web\nexec sleep 1\n")).build());
            ControllerMessage jobs;
            do {
                jobs = web.next(ControllerMessage.BodyCase.JOBS);
            } while (jobs.getJobs().getJobsCount() == 0);
            assertThat(jobs.getJobs().getJobs(0).getName()).isEqualTo("cache");
            assertThat(db.received).noneMatch(m -> m.getBodyCase() == ControllerMessage.BodyCase.JOBS
                    && m.getJobs().getJobsCount() > 0);
        }
    }

    @Test
    void theLeaderAnnouncesNodesJoiningAndLeavingOnce() throws Exception {
        try (ScriptedAgent watcher = join("watcher", Map.of(), List.of("node-up", "node-down"), 0)) {
            Thread.sleep(1000); // the leader has been elected and recorded its cursor
            ScriptedAgent c = join("c", Map.of(), List.of(), 0);
            c.close();
            List<RelayedEvent> got = watcher.deliveries(2000);
            assertThat(got).extracting(e -> e.getName() + " " + e.getOriginNode() + " " + e.getEnv(0))
                    .containsExactly("node-up c NODE=c", "node-down c NODE=c");
        }
    }
}
