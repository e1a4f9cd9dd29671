package dev.upfleet.agent.control;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The agent's local control socket: a gRPC server on a Unix domain socket that serves {@code initctl} by calling a
 * {@link JobControl}. Binding happens in the constructor; {@link #close()} stops serving, ends monitor streams and
 * removes the socket file.
 *
 * <p>Uses Netty's NIO domain sockets (no JNI) with a small event-loop group; handlers run directly on it because
 * {@link JobControl} never blocks. Thread-safe.
 */
public final class ControlServer implements AutoCloseable {

    /**
     * @param mode             permissions of the socket file (default 0600: only the agent's user can connect)
     * @param eventLoopThreads Netty threads for accepting and serving connections
     * @param monitorBuffer    events queued per {@code initctl monitor} client before it is dropped as too slow
     * @param checkCallers     refuse modifying calls from users other than root and the socket owner
     */
    public record Options(Set<PosixFilePermission> mode, int eventLoopThreads, int monitorBuffer, boolean checkCallers) {
        public Options {
            mode = Set.copyOf(mode);
            if (eventLoopThreads < 1 || monitorBuffer < 1) {
                throw new IllegalArgumentException("eventLoopThreads and monitorBuffer must be positive");
            }
        }

        public static Options defaults() {
            return new Options(PosixFilePermissions.fromString("rw-------"), 2, 1024, true);
        }

        public Options withMode(Set<PosixFilePermission> newMode) {
            return new Options(newMode, eventLoopThreads, monitorBuffer, checkCallers);
        }
    }

    private final Path socket;
    private final EventLoopGroup group;
    private final ControlService service;
    private final ClusterControl clusterControl;
    private final Server server;

    public ControlServer(Path socket, JobControl control) throws IOException {
        this(socket, control, Options.defaults());
    }

    /** Binds {@code socket} (replacing a stale socket file; refusing if another server answers there). */
    public ControlServer(Path socket, JobControl control, Options options) throws IOException {
        this(socket, control, null, options);
    }

    /** With {@code cluster} non-null the socket also serves initctl's cluster verbs through this agent. */
    public ControlServer(Path socket, JobControl control, ClusterAccess cluster, Options options) throws IOException {
        this(socket, control, cluster, options,
                new CallerPolicy(options.checkCallers() ? processUser(socket.toAbsolutePath()) : null));
    }

    ControlServer(Path socket, JobControl control, Options options, CallerPolicy policy) throws IOException {
        this(socket, control, null, options, policy);
    }

    ControlServer(Path socket, JobControl control, ClusterAccess cluster, Options options, CallerPolicy policy)
            throws IOException {
        this.socket = socket.toAbsolutePath();
        removeStale(this.socket);
        Files.createDirectories(this.socket.getParent());
        this.service = new ControlService(control, policy, options.monitorBuffer());
        this.clusterControl = new ClusterControl(service, control);
        this.group = new MultiThreadIoEventLoopGroup(options.eventLoopThreads(), NioIoHandler.newFactory());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(this.socket))
                .channelType(NioServerDomainSocketChannel.class)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, policy))
                .addService(ServerInterceptors.intercept(cluster == null ? new ClusterGateway.Standalone()
                        : new ClusterGateway(cluster, policy), policy));
        builder.protocolNegotiator(PeerCredentials.serverNegotiator());
        this.server = builder.build();
        try {
            server.start();
            // Right after bind, before anyone is told the path: narrow the umask-derived mode.
            Files.setPosixFilePermissions(this.socket, options.mode());
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public Path socket() {
        return socket;
    }

    /** The same control, for requests that come from the cluster. */
    public ClusterControl clusterControl() {
        return clusterControl;
    }

    @Override
    public void close() {
        service.shutdownMonitors();
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // A leftover socket file is harmless: the next start replaces it.
        }
    }

    /** The socket will be owned by this process's user; that user may modify, like root. */
    private static UserPrincipal processUser(Path socket) throws IOException {
        return socket.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
    }

    private static void removeStale(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(socket, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("Not a socket, refusing to replace it: " + socket);
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IOException("Another agent is already listening on " + socket);
        } catch (IOException refused) {
            if (refused.getMessage() != null && refused.getMessage().startsWith("Another agent")) {
                throw refused;
            }
        }
        Files.deleteIfExists(socket);
    }
}
