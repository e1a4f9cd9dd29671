package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.lean.RpcException;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.WatchRequest;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.EventMessage;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code initctl monitor}: the one streaming call, over grpc-java and Netty (loaded only for this command). One
 * event-loop thread and a direct executor: a single blocking call needs no more. gRPC failures leave as
 * {@link RpcException}, like those of the unary calls.
 */
final class GrpcMonitor implements AutoCloseable {
    /**
     * gRPC asks every socket for SO_KEEPALIVE, which Unix sockets lack, and Netty warns about it through
     * java.util.logging on stderr, where it would corrupt initctl's output. Held here so the setting is not
     * garbage-collected with the logger.
     */
    private static final Logger BOOTSTRAP_LOG = Logger.getLogger("io.netty.bootstrap");

    private final Path socket;
    private EventLoopGroup group;
    private ManagedChannel channel;

    GrpcMonitor(Path socket) {
        this.socket = socket;
    }

    /** Passes every event to {@code sink} until the agent ends the stream; a failed stream throws. */
    void run(Consumer<EventMessage> sink) {
        stream(channel -> ControlGrpc.newBlockingStub(channel).monitor(Empty.getDefaultInstance()).forEachRemaining(sink));
    }

    /** {@code monitor --cluster}: every relayed event, through the agent's Cluster service. */
    void runCluster(Consumer<RelayedEvent> sink) {
        stream(channel -> ClusterGrpc.newBlockingStub(channel).watch(WatchRequest.getDefaultInstance())
                .forEachRemaining(sink));
    }

    private void stream(Consumer<ManagedChannel> call) {
        if (!Files.exists(socket)) {
            // Fail before starting Netty: the common "agent not running" case stays fast and clearly worded.
            throw new RpcException(RpcException.Code.UNAVAILABLE, null,
                    new NoSuchFileException("No such file or directory"));
        }
        BOOTSTRAP_LOG.setLevel(Level.OFF);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class)
                .eventLoopGroup(group)
                .directExecutor()
                .usePlaintext()
                .disableRetry()
                .maxInboundMessageSize(64 << 20)
                .build();
        try {
            call.accept(channel);
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            if (s.getCode() == Status.Code.UNIMPLEMENTED) {
                throw new InitctlMain.Failure("this agent is not part of a cluster (it runs without --controller)");
            }
            throw new RpcException(RpcException.Code.of(s.getCode().value()), s.getDescription(), s.getCause());
        }
    }

    /** {@code NAME KEY=VALUE ...}: one line per event, for people and for tools that split on spaces. */
    static String format(EventMessage e) {
        StringBuilder b = new StringBuilder(e.getName());
        for (String kv : e.getEnvList()) {
            b.append(' ').append(kv);
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
