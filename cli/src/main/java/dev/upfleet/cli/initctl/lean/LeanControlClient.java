package dev.upfleet.cli.initctl.lean;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.upfleet.cli.initctl.lean.Hpack.Header;
import dev.upfleet.cli.initctl.lean.RpcException.Code;
import dev.upfleet.proto.control.v1.ClassesReply;
import dev.upfleet.proto.control.v1.ClassesRequest;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.EnvReply;
import dev.upfleet.proto.control.v1.EnvRequest;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.ListReply;
import dev.upfleet.proto.control.v1.LogPriorityReply;
import dev.upfleet.proto.control.v1.LogPriorityRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import dev.upfleet.proto.control.v1.VersionReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The unary calls of the agent's {@code upfleet.control.v1.Control} service, as gRPC over {@link H2Connection}: no
 * grpc-java and no Netty, which is most of what a JVM would otherwise load and initialise for one call. The
 * connection is opened on the first call and reused for later ones. Failures are {@link RpcException}s carrying the
 * agent's gRPC status, or UNAVAILABLE with the I/O error as cause when the agent cannot be reached.
 *
 * <p>No deadline, like the grpc-java stub it replaces: {@code start} of a slow job waits as long as the job takes.
 */
public final class LeanControlClient implements AutoCloseable {
    static final String SERVICE = "upfleet.control.v1.Control";
    /** The largest reply accepted, as grpc-java's maxInboundMessageSize was set. */
    static final int MAX_MESSAGE = 64 << 20;

    private final Path socket;
    private H2Connection connection;

    public LeanControlClient(Path socket) {
        this.socket = socket;
    }

    public StatusReply start(JobRequest r) {
        return call("Start", r, StatusReply.parser());
    }

    public StatusReply stop(JobRequest r) {
        return call("Stop", r, StatusReply.parser());
    }

    public StatusReply restart(JobRequest r) {
        return call("Restart", r, StatusReply.parser());
    }

    public Empty reload(JobRequest r) {
        return call("Reload", r, Empty.parser());
    }

    public StatusReply status(JobRequest r) {
        return call("Status", r, StatusReply.parser());
    }

    public ListReply list(Empty r) {
        return call("List", r, ListReply.parser());
    }

    public Empty emit(EmitRequest r) {
        return call("Emit", r, Empty.parser());
    }

    public ClassesReply classes(ClassesRequest r) {
        return call("Classes", r, ClassesReply.parser());
    }

    public Empty reloadConfiguration(Empty r) {
        return call("ReloadConfiguration", r, Empty.parser());
    }

    public LogPriorityReply logPriority(LogPriorityRequest r) {
        return call("LogPriority", r, LogPriorityReply.parser());
    }

    public EnvReply listEnv(EnvRequest r) {
        return call("ListEnv", r, EnvReply.parser());
    }

    public EnvReply getEnv(EnvRequest r) {
        return call("GetEnv", r, EnvReply.parser());
    }

    public Empty setEnv(EnvRequest r) {
        return call("SetEnv", r, Empty.parser());
    }

    public Empty unsetEnv(EnvRequest r) {
        return call("UnsetEnv", r, Empty.parser());
    }

    public Empty resetEnv(EnvRequest r) {
        return call("ResetEnv", r, Empty.parser());
    }

    public VersionReply version(Empty r) {
        return call("Version", r, VersionReply.parser());
    }

    /** One unary call of {@code /upfleet.control.v1.Control/METHOD}. */
    <T> T call(String method, MessageLite request, Parser<T> parser) {
        return call(SERVICE, method, request, parser);
    }

    /** One unary call of {@code /SERVICE/METHOD} on the same socket (the agent also serves the Cluster service). */
    public <T> T call(String service, String method, MessageLite request, Parser<T> parser) {
        H2Connection.Exchange x;
        try {
            x = connection().exchange(requestHeaders(service, method), frame(request), MAX_MESSAGE + 5);
        } catch (H2Exception e) {
            closeConnection();
            throw status(e);
        } catch (IOException e) {
            closeConnection();
            throw new RpcException(Code.UNAVAILABLE, null, e);
        }
        return GrpcReply.message(x, parser);
    }

    private H2Connection connection() throws IOException {
        if (connection == null || connection.goingAway()) {
            closeConnection();
            if (!Files.exists(socket)) {
                // The common "agent not running" case, worded as before.
                throw new NoSuchFileException("No such file or directory");
            }
            connection = H2Connection.open(socket);
        }
        return connection;
    }

    private static List<Header> requestHeaders(String service, String method) {
        return List.of(
                new Header(":method", "POST"),
                new Header(":scheme", "http"),
                new Header(":path", "/" + service + "/" + method),
                new Header(":authority", "localhost"),
                new Header("content-type", "application/grpc"),
                new Header("te", "trailers"));
    }

    /** A gRPC length-prefixed message: flag 0 (not compressed), 4-octet length, the serialised message. */
    static byte[] frame(MessageLite message) {
        int size = message.getSerializedSize();
        ByteArrayOutputStream b = new ByteArrayOutputStream(5 + size);
        b.write(0);
        b.write(size >>> 24);
        b.write(size >>> 16);
        b.write(size >>> 8);
        b.write(size);
        b.writeBytes(message.toByteArray());
        return b.toByteArray();
    }

    /** The status grpc-java gives for the same HTTP/2 failure. */
    private static RpcException status(H2Exception e) {
        Code code = switch (e.kind()) {
            case REFUSED -> Code.UNAVAILABLE;
            case TOO_LARGE -> Code.RESOURCE_EXHAUSTED;
            case PROTOCOL -> Code.INTERNAL;
            case RESET -> switch (e.errorCode()) {
                case 0x7 -> Code.UNAVAILABLE; // REFUSED_STREAM
                case 0x8 -> Code.CANCELLED; // CANCEL
                case 0xb -> Code.RESOURCE_EXHAUSTED; // ENHANCE_YOUR_CALM
                case 0xc -> Code.PERMISSION_DENIED; // INADEQUATE_SECURITY
                case 0xd -> Code.UNKNOWN; // HTTP_1_1_REQUIRED
                default -> Code.INTERNAL;
            };
        };
        String description = e.kind() == H2Exception.Kind.TOO_LARGE
                ? "gRPC message exceeds maximum size " + MAX_MESSAGE : e.getMessage();
        return new RpcException(code, description);
    }

    private void closeConnection() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
