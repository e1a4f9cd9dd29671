package dev.upfleet.agent.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.LiveProcess;
import dev.upfleet.proto.control.v1.ClassesRequest;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.EnvRequest;
import dev.upfleet.proto.control.v1.EventMessage;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.LogPriorityRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control server over a real Unix socket, with a real gRPC client and a fake engine. */
class ControlServerTest {
    @TempDir
    Path dir;

    FakeJobControl fake;
    ControlServer server;
    EventLoopGroup clientGroup;
    ManagedChannel channel;
    ControlGrpc.ControlBlockingStub stub;

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeJobControl().job("svc", null).job("inst", "NAME");
        server = new ControlServer(dir.resolve("agent.sock"), fake);
        connect(server.socket());
    }

    private void connect(Path socket) {
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class)
                .eventLoopGroup(clientGroup)
                .usePlaintext()
                .build();
        stub = ControlGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void tearDown() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        clientGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
        server.close();
        assertThat(server.socket()).doesNotExist();
    }

    private static JobRequest job(String name, String... env) {
        return JobRequest.newBuilder().setJob(name).addAllEnv(List.of(env)).build();
    }

    private static Status statusOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("call succeeded");
    }

    @Test
    void socketIsPrivateByDefault() throws Exception {
        assertThat(Files.getPosixFilePermissions(server.socket())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void otherModeOnRequestAndStaleSocketReplaced() throws Exception {
        Path other = dir.resolve("other.sock");
        try (var first = new ControlServer(other, fake)) {
            assertThatThrownBy(() -> new ControlServer(other, fake)).hasMessageContaining("already listening");
        }
        Files.createFile(dir.resolve("plain"));
        assertThatThrownBy(() -> new ControlServer(dir.resolve("plain"), fake)).hasMessageContaining("Not a socket");
        // a socket file left by a dead agent is replaced
        var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        stale.bind(UnixDomainSocketAddress.of(other));
        stale.close();
        assertThat(other).exists();
        var opts = ControlServer.Options.defaults().withMode(PosixFilePermissions.fromString("rw-rw-rw-"));
        try (var second = new ControlServer(other, fake, opts)) {
            assertThat(Files.getPosixFilePermissions(other)).isEqualTo(PosixFilePermissions.fromString("rw-rw-rw-"));
        }
    }

    @Test
    void jobCommands() {
        var started = stub.start(job("svc")).getStatus();
        assertThat(started.getGoal() + "/" + started.getState()).isEqualTo("start/running");
        assertThat(started.getProcesses(0).getKind()).isEqualTo("main");
        assertThat(stub.status(job("svc")).getStatus().getState()).isEqualTo("running");
        stub.reload(job("svc"));
        assertThat(stub.restart(job("svc")).getStatus().getState()).isEqualTo("running");
        var stopped = stub.stop(job("svc")).getStatus();
        assertThat(stopped.getInstance() + stopped.getGoal() + "/" + stopped.getState()).isEqualTo("stop/waiting");
        stub.start(job("inst", "NAME=a").toBuilder().setNoWait(true).build());
        assertThat(fake.calls()).containsExactly("start svc wait", "status svc", "reload svc", "restart svc wait",
                "stop svc wait", "start inst NAME=a");
    }

    @Test
    void byInstanceNeverWaits() {
        fake.instance(new InstanceStatus("inst", "a", "start", "running", List.of(new LiveProcess("main", 7))));
        var r = JobRequest.newBuilder().setJob("inst").setByInstance(true).setInstance("a").build();
        assertThat(stub.stop(r).getStatus().getState()).isEqualTo("stopping");
        assertThat(fake.calls()).containsExactly("stop inst(a)");
    }

    @Test
    void listClassesAndVersion() {
        fake.instance(new InstanceStatus("inst", "a", "start", "running", List.of(new LiveProcess("main", 7))));
        var list = stub.list(Empty.getDefaultInstance()).getInstancesList();
        assertThat(list).extracting(s -> s.getJob() + "(" + s.getInstance() + ") " + s.getGoal() + "/" + s.getState())
                .containsExactly("svc() stop/waiting", "inst(a) start/running");
        assertThat(stub.classes(ClassesRequest.getDefaultInstance()).getClassesList()).extracting(c -> c.getJob())
                .containsExactly("svc", "inst");
        assertThat(stub.classes(ClassesRequest.newBuilder().setJob("inst").build()).getClasses(0).hasStartOn()).isFalse();
        assertThat(stub.version(Empty.getDefaultInstance()).getVersion()).isEqualTo("init (upstart 1.13.2)");
    }

    @Test
    void emitReloadAndLogPriority() {
        stub.emit(EmitRequest.newBuilder().setName("foo").addEnv("A=B").build());
        stub.emit(EmitRequest.newBuilder().setName("bar").setNoWait(true).build());
        stub.reloadConfiguration(Empty.getDefaultInstance());
        assertThat(stub.logPriority(LogPriorityRequest.getDefaultInstance()).getPriority()).isEqualTo("message");
        assertThat(stub.logPriority(LogPriorityRequest.newBuilder().setPriority("info").build()).getPriority())
                .isEqualTo("info");
        assertThat(fake.calls()).containsExactly("emit foo A=B wait", "emit bar nowait", "reload-configuration",
                "log-priority", "log-priority info");
    }

    @Test
    void environmentCommands() {
        var global = EnvRequest.newBuilder().setGlobal(true);
        stub.setEnv(global.clone().addVars("B=2").addVars("A").build());
        stub.setEnv(global.clone().addVars("B=3").setRetain(true).build());
        assertThat(stub.listEnv(global.build()).getVarsList()).containsExactly("A=", "B=2");
        assertThat(stub.getEnv(global.clone().addVars("B").build()).getVars(0)).isEqualTo("2");
        stub.unsetEnv(global.clone().addVars("A").build());
        var inst = EnvRequest.newBuilder().setJob("inst").setInstance("a");
        stub.setEnv(inst.clone().addVars("X=1").build());
        stub.resetEnv(global.build());
        assertThat(stub.listEnv(global.build()).getVarsList()).isEmpty();
        assertThat(stub.listEnv(inst.build()).getVarsList()).containsExactly("X=1");
        assertThat(statusOf(() -> stub.getEnv(global.clone().addVars("NOPE").build())))
                .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION))
                .satisfies(s -> assertThat(s.getDescription()).isEqualTo("No such variable: NOPE"));
    }

    @Test
    void refusalsBecomeFailedPrecondition() {
        Status s = statusOf(() -> stub.start(job("nosuch")));
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).isEqualTo("Unknown job: nosuch");
        stub.start(job("svc"));
        assertThat(statusOf(() -> stub.start(job("svc"))).getDescription()).isEqualTo("Job is already running: svc");
        assertThat(statusOf(() -> stub.emit(EmitRequest.newBuilder().setName("fail").build())).getDescription())
                .isEqualTo("Event failed");
        assertThat(statusOf(() -> stub.classes(ClassesRequest.newBuilder().setJob("x").build())).getDescription())
                .isEqualTo("Unknown job: x");
    }

    @Test
    void malformedRequestsBecomeInvalidArgument() {
        record Case(Runnable call, String message) {}
        var big = "x".repeat(RequestCheck.MAX_CHARS + 1);
        var many = JobRequest.newBuilder().setJob("svc");
        for (int i = 0; i <= RequestCheck.MAX_ITEMS; i++) {
            many.addEnv("A=" + i);
        }
        List<Case> cases = List.of(
                new Case(() -> stub.start(job("")), "Name may not be empty string"),
                new Case(() -> stub.stop(job("svc", "foo")), "Env must be KEY=VALUE pairs"),
                new Case(() -> stub.status(job("svc", "=x")), "Env must be KEY=VALUE pairs"),
                new Case(() -> stub.reload(job("svc", "a")), "Env must be KEY=VALUE pairs"),
                new Case(() -> stub.restart(job(big)), "Argument list too long"),
                new Case(() -> stub.start(many.build()), "Argument list too long"),
                new Case(() -> stub.emit(EmitRequest.getDefaultInstance()), "Name may not be empty string"),
                new Case(() -> stub.emit(EmitRequest.newBuilder().setName("e").addEnv("X").build()),
                        "Env must be KEY=VALUE pairs"),
                new Case(() -> stub.logPriority(LogPriorityRequest.newBuilder().setPriority("loud").build()),
                        "The log priority given was not recognised"),
                new Case(() -> stub.setEnv(EnvRequest.newBuilder().setGlobal(true).addVars("=1").build()),
                        "Variable may not be empty string"),
                new Case(() -> stub.getEnv(EnvRequest.newBuilder().setGlobal(true).build()),
                        "Variable may not be empty string"),
                new Case(() -> stub.listEnv(EnvRequest.getDefaultInstance()), "Name may not be empty string"));
        for (Case c : cases) {
            Status s = statusOf(c.call());
            assertThat(s.getCode()).as(c.message()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(s.getDescription()).isEqualTo(c.message());
        }
        assertThat(fake.calls()).isEmpty();
    }

    @Test
    void otherFailuresBecomeInternal() {
        assertThat(statusOf(() -> stub.start(job("boom"))).getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(statusOf(() -> stub.status(job("late-boom"))).getCode()).isEqualTo(Status.Code.INTERNAL);
        // and the server still serves
        assertThat(stub.version(Empty.getDefaultInstance()).getVersion()).startsWith("init");
    }

    @Test
    void ownerMayModifyOthersMayNot() throws Exception {
        var me = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
        var root = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
        var nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        var policy = new CallerPolicy(me);
        assertThat(policy.allowed(me)).isTrue();
        assertThat(policy.allowed(root)).isTrue();
        assertThat(policy.allowed(nobody)).isEqualTo(me.equals(nobody));
        assertThat(new CallerPolicy(null).allowed(nobody)).isTrue();
        // the real socket reports our own user through SO_PEERCRED, so the same process may modify
        stub.start(job("svc"));
        // a server owned by someone else (root not privileged, so this also holds when tests run as root)
        try (var strict = new ControlServer(dir.resolve("strict.sock"), fake, ControlServer.Options.defaults(),
                new CallerPolicy(nobody, false))) {
            channel.shutdownNow();
            clientGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
            connect(strict.socket());
            List<Runnable> modifying = List.of(() -> stub.stop(job("svc")),
                    () -> stub.emit(EmitRequest.newBuilder().setName("e").build()),
                    () -> stub.reloadConfiguration(Empty.getDefaultInstance()),
                    () -> stub.logPriority(LogPriorityRequest.newBuilder().setPriority("info").build()),
                    () -> stub.setEnv(EnvRequest.newBuilder().setGlobal(true).addVars("A=1").build()),
                    () -> stub.unsetEnv(EnvRequest.newBuilder().setGlobal(true).addVars("A").build()),
                    () -> stub.resetEnv(EnvRequest.newBuilder().setGlobal(true).build()));
            for (Runnable call : modifying) {
                assertThat(statusOf(call).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            }
            assertThat(statusOf(() -> stub.restart(job("svc"))).getDescription())
                    .isEqualTo("You do not have permission to modify job: svc");
            // reading stays open
            assertThat(stub.status(job("svc")).getStatus().getState()).isEqualTo("running");
            assertThat(stub.logPriority(LogPriorityRequest.getDefaultInstance()).getPriority()).isEqualTo("message");
        }
    }

    @Test
    void monitorStreamsUntilCancelled() throws Exception {
        var ctx = Context.current().withCancellation();
        Iterator<EventMessage> events = ctx.call(() -> stub.monitor(Empty.getDefaultInstance()));
        awaitMonitors(1);
        fake.publish("starting", List.of("JOB=svc", "INSTANCE="));
        fake.publish("custom", List.of());
        EventMessage first = events.next();
        assertThat(first.getName() + " " + first.getEnvList()).isEqualTo("starting [JOB=svc, INSTANCE=]");
        assertThat(events.next().getName()).isEqualTo("custom");
        ctx.cancel(null);
        awaitMonitors(0);
    }

    @Test
    void slowMonitorIsDropped() throws Exception {
        server.close();
        channel.shutdownNow();
        clientGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
        var opts = new ControlServer.Options(PosixFilePermissions.fromString("rw-------"), 4, true);
        server = new ControlServer(dir.resolve("small.sock"), fake, opts);
        connect(server.socket());
        var async = ControlGrpc.newStub(channel);
        var done = new java.util.concurrent.CompletableFuture<Status>();
        var clientCall = new java.util.concurrent.atomic.AtomicReference<io.grpc.stub.ClientCallStreamObserver<Empty>>();
        // a client that never asks for more messages: flow control stops the server's writes
        async.monitor(Empty.getDefaultInstance(), new io.grpc.stub.ClientResponseObserver<Empty, EventMessage>() {
            @Override
            public void beforeStart(io.grpc.stub.ClientCallStreamObserver<Empty> call) {
                call.disableAutoRequestWithInitial(0);
                clientCall.set(call);
            }

            @Override
            public void onNext(EventMessage value) {}

            @Override
            public void onError(Throwable t) {
                done.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                done.complete(Status.OK);
            }
        });
        awaitMonitors(1);
        String payload = "P=" + "x".repeat(60_000);
        for (int i = 0; i < 200 && !done.isDone() && fake.monitorCount() > 0; i++) {
            fake.publish("flood", List.of(payload));
        }
        awaitMonitors(0);
        // the status follows the events already in flight; a reader that resumes sees it after them
        clientCall.get().request(Integer.MAX_VALUE);
        Status s = done.get(10, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(fake.monitorCount()).isZero();
    }

    @Test
    void closingServerEndsMonitorsWithStatus() throws Exception {
        Iterator<EventMessage> events = stub.monitor(Empty.getDefaultInstance());
        awaitMonitors(1);
        server.close();
        assertThatThrownBy(events::hasNext).isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(fake.monitorCount()).isZero();
        server = new ControlServer(dir.resolve("again.sock"), fake); // for tearDown
    }

    private void awaitMonitors(int n) throws InterruptedException {
        for (int i = 0; i < 500 && fake.monitorCount() != n; i++) {
            Thread.sleep(10);
        }
        assertThat(fake.monitorCount()).isEqualTo(n);
    }

    @Test
    void optionalIsUsedForClassFilter() {
        stub.classes(ClassesRequest.getDefaultInstance());
        stub.classes(ClassesRequest.newBuilder().setJob("svc").build());
        assertThat(fake.calls()).containsExactly("classes", "classes svc");
        assertThat(Optional.empty()).isEmpty();
    }
}
