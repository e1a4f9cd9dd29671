package dev.upfleet.agent.control;

import dev.upfleet.agent.control.transport.H2GrpcServer;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Set;

/**
 * The agent's local control socket: a gRPC server on a Unix domain socket that serves {@code initctl} by calling a
 * {@link JobControl}. Binding happens in the constructor; {@link #close()} stops serving, ends monitor streams and
 * removes the socket file.
 *
 * <p>The transport is {@link H2GrpcServer}: HTTP/2 over the JDK's own Unix-domain channels, with grpc-java's API
 * layer (services, interceptors, stubs) on top, so a standalone agent loads no Netty. Handlers run on a connection's
 * reader thread because {@link JobControl} never blocks. Thread-safe.
 */
public final class ControlServer implements AutoCloseable {

    /**
     * @param mode          permissions of the socket file (default 0600: only the agent's user can connect)
     * @param monitorBuffer events queued per {@code initctl monitor} client before it is dropped as too slow
     * @param checkCallers  refuse modifying calls from users other than root and the socket owner
     */
    public record Options(Set<PosixFilePermission> mode, int monitorBuffer, boolean checkCallers) {
        public Options {
            mode = Set.copyOf(mode);
            if (monitorBuffer < 1) {
                throw new IllegalArgumentException("monitorBuffer must be positive");
            }
        }

        public static Options defaults() {
            return new Options(PosixFilePermissions.fromString("rw-------"), 1024, true);
        }

        public Options withMode(Set<PosixFilePermission> newMode) {
            return new Options(newMode, monitorBuffer, checkCallers);
        }
    }

    private final Path socket;
    private final ControlService service;
    private final ClusterControl clusterControl;
    private final H2GrpcServer server;

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
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(this.socket));
            // Right after bind, before anyone is told the path: narrow the umask-derived mode.
            Files.setPosixFilePermissions(this.socket, options.mode());
        } catch (IOException | RuntimeException e) {
            listener.close();
            Files.deleteIfExists(this.socket);
            throw e;
        }
        // A standalone agent serves no Cluster service: its methods are then unknown, which the transport answers
        // UNIMPLEMENTED and initctl reports as "not part of a cluster". Binding it anyway would load and keep the
        // cluster protocol's message classes (about 70, all in the agent's memory) for that one answer.
        List<ServerServiceDefinition> services = cluster == null ? List.of(ServerInterceptors.intercept(service, policy))
                : List.of(ServerInterceptors.intercept(service, policy),
                        ServerInterceptors.intercept(new ClusterGateway(cluster, policy), policy));
        this.server = new H2GrpcServer(listener, services, PeerCredentials::attributes);
        server.start();
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
        server.close();
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
