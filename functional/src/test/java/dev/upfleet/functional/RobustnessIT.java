package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Procs;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.JobRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Load and hostile input on the control socket, and the metrics endpoint. One agent serves every test. */
class RobustnessIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);
    private static final long RSS_BOUND_KIB = 512 * 1024;
    private static AgentProcess agent;
    private static int metricsPort;

    @BeforeAll
    static void startAgent() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            metricsPort = probe.getLocalPort();
        }
        agent = AgentProcess.start(AgentProcess.Options.quiet().withMetricsPort(metricsPort),
                a -> a.writeJob("steady", "exec sleep 1031\n"));
        agent.start("steady");
    }

    @AfterAll
    static void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void emitFloodFromConcurrentClientsLeavesTheAgentUpAndBounded() throws Exception {
        long steady = agent.awaitRunning("steady", LIMIT);
        int clients = 8;
        int perClient = 12_500;
        int window = 256; // calls in flight per client
        LongAdder ok = new LongAdder();
        Map<Status.Code, LongAdder> refused = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(clients * perClient);
        AtomicLong maxRss = new AtomicLong();
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(4, NioIoHandler.newFactory());
        List<ManagedChannel> channels = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxRss.accumulateAndGet(Procs.vmRssKib(agent.pid()), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            for (int c = 0; c < clients; c++) {
                ManagedChannel channel = agent.newChannel(loop);
                channels.add(channel);
                ControlGrpc.ControlFutureStub stub = ControlGrpc.newFutureStub(channel);
                int client = c;
                threads.add(Thread.ofPlatform().start(() -> {
                    Semaphore inFlight = new Semaphore(window);
                    for (int i = 0; i < perClient; i++) {
                        inFlight.acquireUninterruptibly();
                        EmitRequest request = EmitRequest.newBuilder().setName("flood").setNoWait(true)
                                .addEnv("CLIENT=" + client).addEnv("N=" + i).build();
                        Futures.addCallback(stub.withDeadlineAfter(60, TimeUnit.SECONDS).emit(request),
                                new FutureCallback<Empty>() {
                                    @Override
                                    public void onSuccess(Empty result) {
                                        ok.increment();
                                        inFlight.release();
                                        done.countDown();
                                    }

                                    @Override
                                    public void onFailure(Throwable t) {
                                        refused.computeIfAbsent(Status.fromThrowable(t).getCode(), k -> new LongAdder())
                                                .increment();
                                        inFlight.release();
                                        done.countDown();
                                    }
                                }, MoreExecutors.directExecutor());
                    }
                }));
            }
            assertThat(done.await(120, TimeUnit.SECONDS)).as("every emit answered (ok %s, refused %s)", ok, refused)
                    .isTrue();
        } finally {
            threads.forEach(Thread::interrupt);
            channels.forEach(ManagedChannel::shutdownNow);
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            sampler.interrupt();
        }

        assertThat(agent.process().isAlive()).as("agent alive after the flood").isTrue();
        assertThat(ok.sum() + refused.values().stream().mapToLong(LongAdder::sum).sum()).isEqualTo(100_000);
        // A refusal is fine (back-pressure); a call the agent could not even answer is not.
        assertThat(refused.keySet()).doesNotContain(Status.Code.UNAVAILABLE, Status.Code.INTERNAL,
                Status.Code.UNKNOWN, Status.Code.DEADLINE_EXCEEDED);
        assertThat(maxRss.get()).as("agent VmRSS peak in KiB").isPositive().isLessThan(RSS_BOUND_KIB);
        Initctl status = agent.initctl("status", "steady");
        assertThat(status.out()).isEqualTo("steady start/running, process " + steady + "\n");
        assertThat(Procs.vmRssKib(agent.pid())).isLessThan(RSS_BOUND_KIB);
    }

    @Test
    void badRequestsGetUpstartsErrorsAndTheAgentStaysUp() {
        Initctl unknown = agent.initctl("status", "no-such-job");
        assertThat(unknown.rc()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("initctl: Unknown job: no-such-job\n");

        Initctl badEnv = agent.initctl("start", "steady", "NOEQUALS");
        assertThat(badEnv.rc()).isEqualTo(1);
        assertThat(badEnv.err()).isEqualTo("initctl: Env must be KEY=VALUE pairs\n");

        assertThatThrownBy(() -> agent.control().start(JobRequest.newBuilder().setJob("").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> agent.control().status(JobRequest.newBuilder().setJob("").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> agent.control().emit(EmitRequest.newBuilder().setName("").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

        assertThat(agent.process().isAlive()).isTrue();
        assertThat(agent.initctl("version").out()).isEqualTo("init (upstart 1.13.2)\n");
    }

    @Test
    void metricsEndpointServesJobAndEventSeries() throws Exception {
        agent.awaitRunning("steady", LIMIT);
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            String body = response.body();
            assertThat(body).containsPattern("(?m)^upfleet_jobs\\{state=\"running\"} [1-9]");
            assertThat(body).containsPattern("(?m)^upfleet_events_total\\{name=\"started\"} [1-9]");
        }
    }
}
