package dev.upfleet.cli.initctl.lean;

import dev.upfleet.cli.initctl.lean.ControlMessages.ClassesReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.ClassesRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.EmitRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.Empty;
import dev.upfleet.cli.initctl.lean.ControlMessages.EnvReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.EnvRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.JobRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.ListReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.LogPriorityReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.LogPriorityRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.Message;
import dev.upfleet.cli.initctl.lean.ControlMessages.StatusReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.VersionReply;
import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack.Header;
import dev.upfleet.cli.initctl.lean.RpcException.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The unary calls of the agent's {@code upfleet.control.v1.Control} service, as gRPC over {@link H2Connection}: no
 * grpc-java, no Netty and no protobuf-java (the messages are {@link ControlMessages}), which is most of what a JVM
 * would otherwise load and initialise for one call. The connection is opened on the first call and reused for later ones. Failures are {@link RpcException}s carrying the
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
        return statusReply(call("Start", r));
    }

    public StatusReply stop(JobRequest r) {
        return statusReply(call("Stop", r));
    }

    public StatusReply restart(JobRequest r) {
        return statusReply(call("Restart", r));
    }

    public Empty reload(JobRequest r) {
        return empty(call("Reload", r));
    }

    public StatusReply status(JobRequest r) {
        return statusReply(call("Status", r));
    }

    public ListReply list() {
        try {
            return ListReply.read(call("List", Empty.INSTANCE));
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    public Empty emit(EmitRequest r) {
        return empty(call("Emit", r));
    }

    public ClassesReply classes(ClassesRequest r) {
        try {
            return ClassesReply.read(call("Classes", r));
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    public Empty reloadConfiguration() {
        return empty(call("ReloadConfiguration", Empty.INSTANCE));
    }

    public Empty notifyDiskWriteable() {
        return empty(call("NotifyDiskWriteable", Empty.INSTANCE));
    }

    public LogPriorityReply logPriority(LogPriorityRequest r) {
        try {
            return LogPriorityReply.read(call("LogPriority", r));
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    public EnvReply listEnv(EnvRequest r) {
        return envReply(call("ListEnv", r));
    }

    public EnvReply getEnv(EnvRequest r) {
        return envReply(call("GetEnv", r));
    }

    public Empty setEnv(EnvRequest r) {
        return empty(call("SetEnv", r));
    }

    public Empty unsetEnv(EnvRequest r) {
        return empty(call("UnsetEnv", r));
    }

    public Empty resetEnv(EnvRequest r) {
        return empty(call("ResetEnv", r));
    }

    public VersionReply version() {
        try {
            return VersionReply.read(call("Version", Empty.INSTANCE));
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    /** One unary call of {@code /upfleet.control.v1.Control/METHOD}: the reply message, to be decoded. */
    ProtoReader call(String method, Message request) {
        ProtoWriter w = ProtoWriter.grpcFramed();
        request.writeTo(w);
        return GrpcReply.message(exchange(SERVICE, method, w.toGrpcFrame()));
    }

    /**
     * One unary call of {@code /SERVICE/METHOD} on the same socket (the agent also serves the Cluster service)
     * with an encoded request message; returns the encoded reply message.
     */
    public byte[] call(String service, String method, byte[] request) {
        return GrpcReply.message(exchange(service, method, GrpcWire.frame(request))).rest();
    }

    private H2Connection.Exchange exchange(String service, String method, byte[] framedRequest) {
        try {
            return connection().exchange(requestHeaders(service, method), framedRequest, MAX_MESSAGE + 5);
        } catch (H2Exception e) {
            closeConnection();
            throw status(e);
        } catch (IOException e) {
            closeConnection();
            throw new RpcException(Code.UNAVAILABLE, null, e);
        }
    }

    private static StatusReply statusReply(ProtoReader reply) {
        try {
            return StatusReply.read(reply);
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    private static EnvReply envReply(ProtoReader reply) {
        try {
            return EnvReply.read(reply);
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
    }

    private static Empty empty(ProtoReader reply) {
        try {
            return Empty.read(reply);
        } catch (ProtoException e) {
            throw RpcException.invalidMessage(e);
        }
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
                new Header(":path", new StringBuilder(service.length() + method.length() + 2)
                        .append('/').append(service).append('/').append(method).toString()),
                new Header(":authority", "localhost"),
                new Header("content-type", "application/grpc"),
                new Header("te", "trailers"));
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

    /**
     * For a process about to exit: tells the agent we are done, as {@link #close} does, but leaves the socket for
     * the kernel to close at exit. Closing a socket channel initialises NIO's socket-option support
     * ({@code sun.nio.ch.Net}: address-family probes, extended options), which costs a one-shot initctl more
     * start-up time than its call.
     */
    public void closeAtExit() {
        if (connection != null) {
            connection.goAway();
            connection = null;
        }
    }
}
