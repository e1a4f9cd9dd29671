package dev.upfleet.controller.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.controller.Controller;
import dev.upfleet.controller.registry.InMemoryRegistry;
import dev.upfleet.proto.cluster.v1.AgentMessage;
import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.CommandFailure;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.JobStates;
import dev.upfleet.proto.cluster.v1.ListStatesRequest;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeControlRequest;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.StatusReply;
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

    private static InstanceStatus state(String job, String goal, String state) {
        return InstanceStatus.newBuilder().setJob(job).setGoal(goal).setState(state).build();
    }

    private static AgentMessage states(InstanceStatus... instances) {
        return AgentMessage.newBuilder().setStates(JobStates.newBuilder().addAllInstances(List.of(instances))).build();
    }

    private List<String> clusterList(String job) {
        return ClusterGrpc.newBlockingStub(channel).listStates(ListStatesRequest.newBuilder().setJob(job).build())
                .getStatesList().stream()
                .map(s -> s.getNode() + " " + s.getStatus().getJob() + " " + s.getStatus().getGoal() + "/" + s.getStatus().getState())
                .toList();
    }

    private List<String> awaitClusterList(String job, List<String> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> now = clusterList(job);
        while (!now.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            now = clusterList(job);
        }
        return now;
    }

    @Test
    void reportedStatesAreListedAndGoWithTheNode() throws Exception {
        try (ScriptedAgent a = join("a", Map.of(), List.of(), 0); ScriptedAgent b = join("b", Map.of(), List.of(), 0)) {
            a.send(states(state("db", "start", "running"), state("web", "stop", "waiting")));
            b.send(states(state("web", "start", "running")));
            assertThat(awaitClusterList("", List.of("a db start/running", "a web stop/waiting", "b web start/running")))
                    .containsExactly("a db start/running", "a web stop/waiting", "b web start/running");
            // A later report replaces the earlier one: changed and vanished instances included.
            a.send(states(state("web", "start", "running")));
            assertThat(awaitClusterList("web", List.of("a web start/running", "b web start/running")))
                    .containsExactly("a web start/running", "b web start/running");
            assertThat(clusterList("db")).isEmpty();
            b.close();
            assertThat(awaitClusterList("", List.of("a web start/running"))).containsExactly("a web start/running");
        }
    }

    @Test
    void aCommandForANodeIsAnsweredByItsAgent() throws Exception {
        try (ScriptedAgent b = join("b", Map.of(), List.of(), 0)) {
            var stub = ClusterGrpc.newFutureStub(channel);
            var started = stub.nodeControl(NodeControlRequest.newBuilder().setNode("b").setVerb(Verb.START)
                    .setRequest(JobRequest.newBuilder().setJob("web")).build());
            NodeCommand command = b.next(ControllerMessage.BodyCase.COMMAND).getCommand();
            assertThat(command.getVerb()).isEqualTo(Verb.START);
            assertThat(command.getRequest().getJob()).isEqualTo("web");
            b.send(AgentMessage.newBuilder().setCommandResult(CommandResult.newBuilder().setId(command.getId())
                    .setStatus(state("web", "start", "running"))).build());
            assertThat(started.get(10, TimeUnit.SECONDS)).isEqualTo(
                    StatusReply.newBuilder().setStatus(state("web", "start", "running")).build());

            var refused = stub.nodeControl(NodeControlRequest.newBuilder().setNode("b").setVerb(Verb.STATUS)
                    .setRequest(JobRequest.newBuilder().setJob("nosuch")).build());
            command = b.next(ControllerMessage.BodyCase.COMMAND).getCommand();
            b.send(AgentMessage.newBuilder().setCommandResult(CommandResult.newBuilder().setId(command.getId())
                    .setFailure(CommandFailure.newBuilder().setCode(Status.Code.FAILED_PRECONDITION.value())
                            .setMessage("Unknown job: nosuch"))).build());
            assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).isEqualTo("Unknown job: nosuch");
                    });

            // The agent goes away with a command unanswered: the asker hears so instead of waiting for ever.
            var orphan = stub.nodeControl(NodeControlRequest.newBuilder().setNode("b").setVerb(Verb.STOP)
                    .setRequest(JobRequest.newBuilder().setJob("web")).build());
            b.next(ControllerMessage.BodyCase.COMMAND);
            b.close();
            assertThatThrownBy(() -> orphan.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void aCommandForAnUnknownNodeIsRefusedAtOnce() {
        var stub = ClusterGrpc.newBlockingStub(channel);
        assertThatThrownBy(() -> stub.nodeControl(NodeControlRequest.newBuilder().setNode("zz").setVerb(Verb.STATUS)
                .setRequest(JobRequest.newBuilder().setJob("web")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("Unknown node: zz");
                });
        assertThatThrownBy(() -> stub.nodeControl(NodeControlRequest.newBuilder().setNode("../x").setVerb(Verb.STATUS)
                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
}
