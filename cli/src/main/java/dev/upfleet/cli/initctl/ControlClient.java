package dev.upfleet.cli.initctl;

import dev.upfleet.proto.control.v1.ControlGrpc;
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
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * initctl's connection to the agent's control socket. The channel is built on first use, so commands that fail
 * before talking to the agent (usage errors, --help) never load Netty. One event-loop thread and a direct executor:
 * a single blocking call needs no more, and every thread started costs start-up time.
 */
final class ControlClient implements AutoCloseable {
    /**
     * gRPC asks every socket for SO_KEEPALIVE, which Unix sockets lack, and Netty warns about it through
     * java.util.logging on stderr, where it would corrupt initctl's output. Held here so the setting is not
     * garbage-collected with the logger.
     */
    private static final Logger BOOTSTRAP_LOG = Logger.getLogger("io.netty.bootstrap");

    private final Path socket;
    private EventLoopGroup group;
    private ManagedChannel channel;
    private ControlGrpc.ControlBlockingStub stub;

    ControlClient(Path socket) {
        this.socket = socket;
    }

    Path socket() {
        return socket;
    }

    ControlGrpc.ControlBlockingStub stub() {
        if (stub == null) {
            if (!Files.exists(socket)) {
                // Fail before starting Netty: the common "agent not running" case stays fast and clearly worded.
                throw Status.UNAVAILABLE.withCause(new java.nio.file.NoSuchFileException("No such file or directory"))
                        .asRuntimeException();
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
            stub = ControlGrpc.newBlockingStub(channel);
        }
        return stub;
    }

    /** The text initctl prints for a failed call: Upstart's message, or why the agent could not be reached. */
    String describe(StatusRuntimeException e) {
        Status s = e.getStatus();
        if (s.getCode() == Status.Code.UNAVAILABLE && s.getCause() != null) {
            return "Unable to connect to the agent at " + socket + ": " + reason(s.getCause());
        }
        if (s.getDescription() != null) {
            return s.getDescription();
        }
        return s.getCode().toString();
    }

    private static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        if (msg == null) {
            return root.getClass().getSimpleName();
        }
        // Netty prefixes errno texts with the failed call ("connect(..) failed: Connection refused").
        int colon = msg.lastIndexOf(": ");
        return colon >= 0 && msg.contains("failed") ? msg.substring(colon + 2) : msg;
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
