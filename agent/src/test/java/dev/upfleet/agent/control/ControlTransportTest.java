package dev.upfleet.agent.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.ListenableFuture;
import dev.upfleet.h2.GrpcWire;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ListJobsRequest;
import dev.upfleet.proto.cluster.v1.WatchRequest;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import dev.upfleet.proto.control.v1.VersionReply;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket's transport with grpc-java's Netty client: large replies, many calls at once on one
 * connection, deadlines and cancellation reaching the services' {@link Context}, and what a server process loads.
 */
class ControlTransportTest {
    @TempDir
    Path dir;

    final List<AutoCloseable> open = new ArrayList<>();
    EventLoopGroup group;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
        }
    }

    private ControlServer server(FakeJobControl fake, ClusterAccess cluster) throws Exception {
        ControlServer s = new ControlServer(dir.resolve("agent.sock"), fake, cluster, ControlServer.Options.defaults());
        open.add(s);
        return s;
    }

    private ManagedChannel channel(Path socket) {
        if (group == null) {
            group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return ch;
    }

    @Test
    void listOfTenThousandJobsAndFiftyCallsAtOnceOnOneConnection() throws Exception {
        FakeJobControl fake = new FakeJobControl();
        for (int i = 0; i < 10_000; i++) {
            fake.job("job-" + i, null);
        }
        ManagedChannel ch = channel(server(fake, null).socket());
        var list = ControlGrpc.newBlockingStub(ch).list(Empty.getDefaultInstance());
        assertThat(list.getInstancesCount()).isEqualTo(10_000);
        assertThat(list.getSerializedSize()).isGreaterThan(4 * 65_535);

        var async = ControlGrpc.newFutureStub(ch);
        List<ListenableFuture<StatusReply>> statuses = new ArrayList<>();
        List<ListenableFuture<VersionReply>> versions = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            statuses.add(async.status(JobRequest.newBuilder().setJob("job-" + i).build()));
            versions.add(async.version(Empty.getDefaultInstance()));
        }
        var lists = List.of(async.list(Empty.getDefaultInstance()), async.list(Empty.getDefaultInstance()));
        for (int i = 0; i < 50; i++) {
            assertThat(statuses.get(i).get(10, TimeUnit.SECONDS).getStatus().getJob()).isEqualTo("job-" + i);
            assertThat(versions.get(i).get(10, TimeUnit.SECONDS).getVersion()).startsWith("init");
        }
        for (var l : lists) {
            assertThat(l.get(10, TimeUnit.SECONDS).getInstancesCount()).isEqualTo(10_000);
        }
    }

    /** A controller channel that answers nothing and records the Context each forwarded call was made in. */
    static final class SilentController extends Channel {
        final List<Context> contexts = new CopyOnWriteArrayList<>();

        @Override
        public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
            contexts.add(Context.current());
            return new ClientCall<>() {
                @Override
                public void start(Listener<R> listener, Metadata headers) {}

                @Override
                public void request(int n) {}

                @Override
                public void cancel(String message, Throwable cause) {}

                @Override
                public void halfClose() {}

                @Override
                public void sendMessage(Q message) {}
            };
        }

        @Override
        public String authority() {
            return "controller";
        }
    }

    static ClusterAccess cluster(Channel controller) {
        return new ClusterAccess() {
            @Override
            public String node() {
                return "n1";
            }

            @Override
            public Channel controller() {
                return controller;
            }

            @Override
            public CompletableFuture<Long> emitCluster(String name, List<String> env, String selector) {
                return new CompletableFuture<>();
            }
        };
    }

    @Test
    void deadlineReachesTheForwardedCallAndExpires() throws Exception {
        SilentController controller = new SilentController();
        ManagedChannel ch = channel(server(new FakeJobControl(), cluster(controller)).socket());
        var stub = ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(700, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> stub.listJobs(ListJobsRequest.getDefaultInstance()))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        Context forwarded = controller.contexts.getFirst();
        assertThat(forwarded.getDeadline()).isNotNull();
        awaitCancelled(forwarded); // the server's own timer, not only the client's
    }

    @Test
    void clientCancelReachesTheForwardedStream() throws Exception {
        SilentController controller = new SilentController();
        ManagedChannel ch = channel(server(new FakeJobControl(), cluster(controller)).socket());
        Context.CancellableContext client = Context.current().withCancellation();
        client.run(() -> ClusterGrpc.newStub(ch).watch(WatchRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(dev.upfleet.proto.cluster.v1.RelayedEvent value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        }));
        for (int i = 0; i < 500 && controller.contexts.isEmpty(); i++) {
            Thread.sleep(10);
        }
        Context forwarded = controller.contexts.getFirst();
        assertThat(forwarded.getDeadline()).isNull();
        assertThat(forwarded.isCancelled()).isFalse();
        client.cancel(null);
        awaitCancelled(forwarded);
    }

    private static void awaitCancelled(Context c) throws InterruptedException {
        for (int i = 0; i < 500 && !c.isCancelled(); i++) {
            Thread.sleep(10);
        }
        assertThat(c.isCancelled()).isTrue();
    }

    @Test
    void serverProcessLoadsNoNettyAndNoGrpcInternals() throws Exception {
        Path log = dir.resolve("classes.txt");
        Path socket = dir.resolve("child.sock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xshare:auto", "-Xlog:class+load:file=" + log, "-cp",
                System.getProperty("java.class.path"), FakeControlServerMain.class.getName(), socket.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            assertThat(out.readLine()).startsWith("ready");
            try (RawH2 c = RawH2.connect(socket).handshake()) {
                RawH2.Reply r = c.call(1, "/upfleet.control.v1.Control/Status",
                        JobRequest.newBuilder().setJob("svc").build().toByteArray(),
                        "grpc-timeout", "5S").await(1);
                assertThat(r.grpcStatus()).isEqualTo("0");
                r = c.call(3, "/upfleet.control.v1.Control/Start",
                        JobRequest.newBuilder().setJob("nosuch").build().toByteArray()).await(3);
                assertThat(GrpcWire.percentDecode(r.header("grpc-message"))).isEqualTo("Unknown job: nosuch");
                c.call(5, "/upfleet.control.v1.Control/Monitor", new byte[0]);
                c.send(w -> w.rstStream(5, 8));
                assertThat(c.call(7, "/upfleet.control.v1.Control/List", new byte[0]).await(7).grpcStatus())
                        .isEqualTo("0");
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        List<String> loaded = Files.readAllLines(log);
        assertThat(loaded).anyMatch(l -> l.contains("io.grpc.stub.ServerCalls"));
        assertThat(loaded).noneMatch(l -> l.contains(" io.netty."));
        assertThat(loaded).noneMatch(l -> l.contains(" io.grpc.internal."));
        assertThat(loaded).noneMatch(l -> l.contains(" io.grpc.netty."));
    }
}
