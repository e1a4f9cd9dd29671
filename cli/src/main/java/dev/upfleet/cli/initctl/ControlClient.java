package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.lean.LeanControlClient;
import dev.upfleet.cli.initctl.lean.RpcException;
import java.nio.file.Path;

/**
 * initctl's connection to the agent's control socket. Unary calls go through {@link LeanControlClient} (gRPC on a
 * plain JDK socket channel, no grpc-java, no Netty); only {@code monitor} streams through grpc-java
 * ({@link GrpcMonitor}). Both fail with {@link RpcException}, which {@link #describe} turns into initctl's text.
 */
final class ControlClient implements AutoCloseable {
    private final Path socket;
    private final boolean exitCloses;
    private LeanControlClient rpc;

    /**
     * {@code exitCloses}: the process ends right after this client (initctl's own {@code main}), so {@link #close}
     * leaves the socket for the kernel to close at exit (see {@link LeanControlClient#closeAtExit}).
     */
    ControlClient(Path socket, boolean exitCloses) {
        this.socket = socket;
        this.exitCloses = exitCloses;
    }

    Path socket() {
        return socket;
    }

    LeanControlClient rpc() {
        if (rpc == null) {
            rpc = new LeanControlClient(socket);
        }
        return rpc;
    }

    /** The text initctl prints for a failed call: Upstart's message, or why the agent could not be reached. */
    String describe(RpcException e) {
        if (e.code() == RpcException.Code.UNAVAILABLE && e.getCause() != null) {
            return "Unable to connect to the agent at " + socket + ": " + reason(e.getCause());
        }
        if (e.description() != null) {
            return e.description();
        }
        return e.code().toString();
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
        if (rpc != null && exitCloses) {
            rpc.closeAtExit();
        } else if (rpc != null) {
            rpc.close();
        }
    }
}
