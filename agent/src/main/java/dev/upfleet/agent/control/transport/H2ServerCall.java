package dev.upfleet.agent.control.transport;

import dev.upfleet.h2.GrpcWire;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * One gRPC call on one HTTP/2 stream. The application's side ({@link ServerCall}: request, sendHeaders, sendMessage,
 * close, isReady) may be used from any thread; the outbound state it changes is guarded by the connection's lock.
 * Listener callbacks are serialised per call (a queue drained by whichever thread posts first, so a handler runs
 * inline on the connection's reader thread, as grpc-java's direct executor does) and each runs with the call's
 * {@link Context} attached: cancelled on RST_STREAM, on connection loss and at the {@code grpc-timeout} deadline.
 */
final class H2ServerCall<Q, R> extends ServerCall<Q, R> {
    /** grpc-java's default: a stream is ready while fewer octets than this wait to be written. */
    static final int DEFAULT_ONREADY_THRESHOLD = 32 * 1024;

    final int id;
    final Context.CancellableContext context;
    private final H2ServerConnection connection;
    private final MethodDescriptor<Q, R> method;
    private final String authority;
    private final int maxMessage;

    private ServerCall.Listener<Q> listener;

    // ---- guarded by the connection's lock: outbound
    long sendWindow;
    final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    int pendingOffset;
    long pendingBytes;
    boolean headersSent;
    boolean closeCalled;
    byte[] trailerBlock;
    boolean outboundDone;
    boolean wantReady;
    int onReadyThreshold = DEFAULT_ONREADY_THRESHOLD;

    private volatile boolean cancelled;

    // ---- reader thread only: the message being received
    private final byte[] prefix = new byte[GrpcWire.PREFIX];
    private int prefixFill;
    private byte[] message;
    private int messageFill;
    /** Received DATA octets not yet given back to the peer as stream window. */
    int unacked;
    long receiveWindow;
    /** Set once the peer ended its side (END_STREAM), or gave up its side for us (after our refusal). */
    boolean inboundDone;
    /** The call was refused while receiving (size, compression): further DATA is dropped. */
    boolean discarding;

    // ---- guarded by this: delivery of received messages
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();
    private long receivedBytes;
    private int requested;
    private boolean halfClosed;
    private boolean halfCloseDelivered;

    // ---- guarded by tasks: the callback queue
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean draining;

    H2ServerCall(H2ServerConnection connection, int id, MethodDescriptor<Q, R> method, String authority,
                 Context.CancellableContext context, long sendWindow, long receiveWindow, int maxMessage) {
        this.connection = connection;
        this.id = id;
        this.method = method;
        this.authority = authority;
        this.context = context;
        this.sendWindow = sendWindow;
        this.receiveWindow = receiveWindow;
        this.maxMessage = maxMessage;
    }

    /** Starts the call with its handler's listener (on the reader thread, with the context attached). */
    void start(io.grpc.ServerCallHandler<Q, R> handler, Metadata headers) {
        post(() -> {
            listener = handler.startCall(this, headers);
            if (listener == null) {
                throw new NullPointerException("startCall returned a null listener");
            }
        });
        post(() -> {
            if (listener != null && isReady()) {
                listener.onReady();
            }
        });
    }

    // ---- ServerCall

    @Override
    public void request(int numMessages) {
        synchronized (this) {
            requested = (int) Math.min(Integer.MAX_VALUE, (long) requested + numMessages);
        }
        deliver();
    }

    @Override
    public void sendHeaders(Metadata headers) {
        connection.sendHeaders(this, GrpcHeaders.responseHeaders(headers));
    }

    @Override
    public void sendMessage(R message) {
        byte[] framed;
        try (InputStream in = method.streamResponse(message)) {
            int known = in.available();
            byte[] body = known > 0 ? in.readNBytes(known) : new byte[0];
            byte[] rest = in.readAllBytes();
            if (rest.length > 0) {
                byte[] all = new byte[body.length + rest.length];
                System.arraycopy(body, 0, all, 0, body.length);
                System.arraycopy(rest, 0, all, body.length, rest.length);
                body = all;
            }
            framed = GrpcWire.frame(body);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("Failed to serialise the response").withCause(e).asRuntimeException();
        }
        connection.sendData(this, framed);
    }

    @Override
    public void close(Status status, Metadata trailers) {
        connection.closeCall(this, status, trailers);
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public boolean isReady() {
        return connection.isReady(this);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
        connection.setOnReadyThreshold(this, numBytes);
    }

    @Override
    public Attributes getAttributes() {
        return connection.attributes();
    }

    @Override
    public String getAuthority() {
        return authority;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method;
    }

    // ---- from the connection

    /** Takes DATA payload octets (reader thread). Returns false when the call was refused here. */
    boolean receive(byte[] b, int off, int len) {
        while (len > 0 && !discarding) {
            if (message == null) {
                int n = Math.min(len, GrpcWire.PREFIX - prefixFill);
                System.arraycopy(b, off, prefix, prefixFill, n);
                prefixFill += n;
                off += n;
                len -= n;
                if (prefixFill < GrpcWire.PREFIX) {
                    return true;
                }
                long size = GrpcWire.messageLength(prefix, 0);
                if (prefix[0] != 0) {
                    refuse(Status.INTERNAL.withDescription(
                            "Can't decode compressed gRPC message as compression not configured"));
                    return false;
                }
                if (size > maxMessage) {
                    refuse(Status.RESOURCE_EXHAUSTED.withDescription(
                            String.format("gRPC message exceeds maximum size %d: %d", maxMessage, size)));
                    return false;
                }
                message = new byte[(int) size];
                messageFill = 0;
                prefixFill = 0;
            }
            int n = Math.min(len, message.length - messageFill);
            System.arraycopy(b, off, message, messageFill, n);
            messageFill += n;
            off += n;
            len -= n;
            if (messageFill == message.length) {
                byte[] done = message;
                message = null;
                synchronized (this) {
                    if (receivedBytes + done.length > maxMessage) { // a client stream the handler does not read
                        discarding = true;
                    } else {
                        received.add(done);
                        receivedBytes += done.length;
                    }
                }
                if (discarding) {
                    refuse(Status.RESOURCE_EXHAUSTED.withDescription("Too many unread request messages"));
                    return false;
                }
                deliver();
            }
        }
        return !discarding;
    }

    /** The peer ended its side (reader thread). */
    void halfClose() {
        inboundDone = true;
        if (message != null || prefixFill > 0) {
            refuse(Status.INTERNAL.withDescription("Encountered end-of-stream mid-frame"));
            return;
        }
        synchronized (this) {
            halfClosed = true;
        }
        deliver();
    }

    /** Octets held for this call that the peer sent (for the connection's inbound budget). */
    long buffered() {
        synchronized (this) {
            return receivedBytes + (message == null ? prefixFill : messageFill);
        }
    }

    private void refuse(Status status) {
        discarding = true;
        message = null;
        synchronized (this) {
            received.clear();
            receivedBytes = 0;
        }
        connection.closeCall(this, status, new Metadata());
    }

    private void deliver() {
        while (true) {
            byte[] next;
            boolean halfClose = false;
            synchronized (this) {
                if (requested > 0 && !received.isEmpty()) {
                    requested--;
                    next = received.poll();
                    receivedBytes -= next.length;
                } else if (received.isEmpty() && halfClosed && !halfCloseDelivered) {
                    halfCloseDelivered = true;
                    next = null;
                    halfClose = true;
                } else {
                    return;
                }
            }
            if (halfClose) {
                event(ServerCall.Listener::onHalfClose);
                return;
            }
            byte[] octets = next;
            post(() -> {
                Q request;
                try {
                    request = method.parseRequest(new ByteArrayInputStream(octets));
                } catch (StatusRuntimeException e) {
                    connection.closeCall(this, e.getStatus(), new Metadata());
                    return;
                } catch (RuntimeException e) {
                    connection.closeCall(this, Status.INTERNAL.withDescription("Invalid request message").withCause(e),
                            new Metadata());
                    return;
                }
                if (listener != null) {
                    listener.onMessage(request);
                }
            });
        }
    }

    /** The call was cancelled (RST_STREAM, connection loss, deadline); the caller has already changed the state. */
    void cancelled() {
        cancelled = true;
        context.cancel(null);
        event(ServerCall.Listener::onCancel);
    }

    void completed() {
        event(ServerCall.Listener::onComplete);
        post(() -> context.cancel(null));
    }

    void ready() {
        event(ServerCall.Listener::onReady);
    }

    /** Posts a callback of the listener; none once startCall failed. */
    private void event(java.util.function.Consumer<ServerCall.Listener<Q>> callback) {
        post(() -> {
            if (listener != null) {
                callback.accept(listener);
            }
        });
    }

    /** Runs {@code task} after the call's earlier callbacks, on this thread unless another one is draining. */
    private void post(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (draining) {
                return;
            }
            draining = true;
        }
        while (true) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            Context previous = context.attach();
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                connection.closeCall(this, Status.UNKNOWN.withDescription("Application error processing RPC")
                        .withCause(e), new Metadata());
            } finally {
                context.detach(previous);
            }
        }
    }
}
