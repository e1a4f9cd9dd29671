package dev.upfleet.cli.initctl.lean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.agent.control.ControlServer;
import dev.upfleet.agent.control.FakeControlServerMain;
import dev.upfleet.agent.control.FakeJobControl;
import dev.upfleet.agent.control.JobControl;
import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.LiveProcess;
import dev.upfleet.cli.initctl.lean.RpcException.Code;
import dev.upfleet.cli.initctl.lean.ControlMessages.ClassesRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.EmitRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.Empty;
import dev.upfleet.cli.initctl.lean.ControlMessages.EnvRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.JobRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.LogPriorityRequest;
import dev.upfleet.proto.control.v1.ControlGrpc;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lean client against the real ControlServer (grpc-java + Netty) over a real Unix socket. */
class LeanControlClientTest {
    @TempDir
    Path dir;

    FakeJobControl fake;
    ControlServer server;
    LeanControlClient client;

    @BeforeEach
    void setUp() throws IOException {
        fake = FakeControlServerMain.sampleJobs();
        server = new ControlServer(dir.resolve("agent.sock"), fake);
        client = new LeanControlClient(server.socket());
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
    }

    static JobRequest job(String name, String... env) {
        return new JobRequest(name, false, "", List.of(env), false);
    }

    static EnvRequest global(String... vars) {
        return new EnvRequest(true, "", "", List.of(vars), false);
    }

    @Test
    void pathIsTheGeneratedServiceName() {
        assertThat(LeanControlClient.SERVICE).isEqualTo(ControlGrpc.SERVICE_NAME);
    }

    @Test
    void everyUnaryCallOnOneConnection() {
        assertThat(client.status(job("svc")).status().state()).isEqualTo("running");
        assertThat(client.start(job("idle")).status().processes().get(0).pid()).isEqualTo(1000);
        assertThat(client.restart(job("idle")).status().goal()).isEqualTo("start");
        client.reload(job("idle"));
        assertThat(client.stop(job("idle")).status().state()).isEqualTo("waiting");
        assertThat(client.list().instances()).extracting(s -> s.job())
                .containsExactly("svc", "web", "idle");
        client.emit(new EmitRequest("foo", List.of("A=B"), false));
        assertThat(client.classes(new ClassesRequest("svc")).classes().get(0).usage())
                .isEqualTo("svc [OPTS]");
        client.reloadConfiguration();
        client.notifyDiskWriteable();
        assertThat(client.logPriority(new LogPriorityRequest("info")).priority())
                .isEqualTo("info");
        assertThat(client.logPriority(new LogPriorityRequest("")).priority()).isEqualTo("info");
        client.setEnv(global("A=1", "B=2"));
        assertThat(client.listEnv(global()).vars()).containsExactly("A=1", "B=2");
        assertThat(client.getEnv(global("B")).vars().get(0)).isEqualTo("2");
        client.unsetEnv(global("A"));
        client.resetEnv(global());
        assertThat(client.listEnv(global()).vars()).isEmpty();
        assertThat(client.version().version()).isEqualTo("init (upstart 1.13.2)");
        assertThat(fake.calls()).containsExactly("status svc", "start idle wait", "restart idle wait", "reload idle",
                "stop idle wait", "list", "emit foo A=B wait", "classes svc", "reload-configuration",
                "notify-disk-writeable", "log-priority info", "log-priority", "set-env global A=1 B=2", "list-env global",
                "get-env global B", "unset-env global A", "reset-env global", "list-env global");
    }

    @Test
    void refusalsCarryTheStatusAndUpstartsText() {
        assertThatThrownBy(() -> client.status(job("nosuch"))).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION);
            assertThat(e.description()).isEqualTo("Unknown job: nosuch");
        });
        assertThatThrownBy(() -> client.start(job("svc", "FOO"))).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(e.description()).isEqualTo("Env must be KEY=VALUE pairs");
        });
        assertThatThrownBy(() -> client.status(job("late-boom"))).isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.code()).isEqualTo(Code.INTERNAL));
        // and the connection is still good afterwards
        assertThat(client.status(job("svc")).status().job()).isEqualTo("svc");
    }

    @Test
    void nonAsciiAndPercentInMessagesArePercentDecoded() {
        String name = "N\u00d6_%41_\u2713";
        assertThatThrownBy(() -> client.getEnv(global(name))).isInstanceOfSatisfying(
                RpcException.class, e -> assertThat(e.description()).isEqualTo("No such variable: " + name));
    }

    @Test
    void unknownMethodIsUnimplemented() {
        assertThatThrownBy(() -> client.call("Nope", Empty.INSTANCE))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED));
    }

    @Test
    void largeReplyOfTenThousandInstancesStreamsThroughFlowControl() {
        fake.job("many", "N");
        for (int i = 0; i < 10_000; i++) {
            fake.instance(new InstanceStatus("many", "instance-" + i + "-" + "x".repeat(200), "start", "running",
                    List.of(new LiveProcess("main", 100_000 + i), new LiveProcess("post-start", 200_000 + i))));
        }
        var list = client.list().instances();
        assertThat(list).hasSize(10_003);
        assertThat(list.get(3).instance()).startsWith("instance-0-");
        assertThat(list.getLast().instance()).startsWith("instance-9999-");
        assertThat(list.getLast().processes().get(1).pid()).isEqualTo(209_999);
        // more than twice our receive window: only window updates as we read let it through
        assertThat(client.list().toByteArray().length).isGreaterThan(2 * H2Connection.RECEIVE_WINDOW);
    }

    @Test
    void largeRequestWaitsForTheAgentsWindow() {
        List<String> env = IntStream.range(0, 4_000).mapToObj(i -> "VAR_" + i + "=" + "x".repeat(100)).toList();
        client.emit(new EmitRequest("big", env, false));
        assertThat(fake.calls().getLast()).startsWith("emit big VAR_0=").endsWith("VAR_3999=" + "x".repeat(100) + " wait");
    }

    @Test
    void slowReplyIsAwaitedWithoutTimeout() throws Exception {
        JobControl slow = (JobControl) Proxy.newProxyInstance(JobControl.class.getClassLoader(),
                new Class<?>[] {JobControl.class}, (proxy, m, args) -> {
                    Object r;
                    try {
                        r = m.invoke(fake, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.getName().equals("start") && r instanceof CompletionStage<?> stage) {
                        return stage.thenCompose(v -> CompletableFuture.supplyAsync(() -> v,
                                CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS)));
                    }
                    return r;
                });
        try (ControlServer slowServer = new ControlServer(dir.resolve("slow.sock"), slow);
             LeanControlClient c = new LeanControlClient(slowServer.socket())) {
            long t0 = System.nanoTime();
            assertThat(c.start(job("idle")).status().state()).isEqualTo("running");
            assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(2900));
        }
    }

    @Test
    void missingSocketIsUnavailableWithTheErrno() {
        try (LeanControlClient c = new LeanControlClient(dir.resolve("none.sock"))) {
            assertThatThrownBy(() -> c.version()).isInstanceOfSatisfying(
                    RpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
                        assertThat(e.getCause()).isInstanceOf(NoSuchFileException.class)
                                .hasMessage("No such file or directory");
                    });
        }
    }

    @Test
    void refusedConnectionIsUnavailable() throws Exception {
        Path dead = dir.resolve("dead.sock");
        try (var ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(dead));
        }
        try (LeanControlClient c = new LeanControlClient(dead)) {
            assertThatThrownBy(() -> c.version()).isInstanceOfSatisfying(
                    RpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
                        assertThat(e.getCause()).hasMessageContaining("Connection refused");
                    });
        }
    }

    @Test
    void agentGoneBetweenCallsIsUnavailable() {
        assertThat(client.version().version()).isNotEmpty();
        server.close();
        assertThatThrownBy(() -> client.version()).isInstanceOfSatisfying(
                RpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
    }

    @Test
    void initctlStatusLoadsNoGrpcNettyOrProtobufClass() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:off", "-Xlog:class+load=info", "-cp",
                System.getProperty("java.class.path"), "dev.upfleet.cli.initctl.InitctlMain",
                "--socket", server.socket().toString(), "status", "svc"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(out).contains("svc start/running, process 4242")
                .contains("dev.upfleet.cli.initctl.lean.H2Connection")
                .doesNotContain("io.grpc.").doesNotContain("io.netty.").doesNotContain("com.google.protobuf.")
                .doesNotContain("dev.upfleet.proto.");
    }
}
