package dev.upfleet.agent.control.transport;

import static dev.upfleet.h2.Http2.CONTINUATION;
import static dev.upfleet.h2.Http2.DATA;
import static dev.upfleet.h2.Http2.FLAG_ACK;
import static dev.upfleet.h2.Http2.FLAG_END_HEADERS;
import static dev.upfleet.h2.Http2.FLAG_END_STREAM;
import static dev.upfleet.h2.Http2.GOAWAY;
import static dev.upfleet.h2.Http2.HEADERS;
import static dev.upfleet.h2.Http2.PING;
import static dev.upfleet.h2.Http2.PRIORITY;
import static dev.upfleet.h2.Http2.PUSH_PROMISE;
import static dev.upfleet.h2.Http2.RST_STREAM;
import static dev.upfleet.h2.Http2.SETTINGS;
import static dev.upfleet.h2.Http2.WINDOW_UPDATE;

import dev.upfleet.h2.Frame;
import dev.upfleet.h2.FrameReader;
import dev.upfleet.h2.FrameWriter;
import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.Hpack.Header;
import dev.upfleet.h2.HpackException;
import dev.upfleet.h2.Http2;
import dev.upfleet.h2.Http2Exception;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP/2 connection of {@link H2GrpcServer}: a reader thread that reads frames and dispatches calls (handlers run
 * on it), and a writer thread that writes what calls queue, so that no caller — the engine thread answering a call,
 * a monitor's event — ever blocks on a client that does not read. Outbound flow control (the peer's connection and
 * stream windows, its frame size) is applied as data is queued and as WINDOW_UPDATEs arrive; a call is ready
 * ({@code isReady}) while little of its data waits, and told {@code onReady} when that changes.
 *
 * <p>Locking: the connection's monitor guards the outbound state of the connection and of every call; listener
 * callbacks are never run while holding it.
 */
final class H2ServerConnection {
    /** Our receive window per stream and for the connection. */
    static final int RECEIVE_WINDOW = 1 << 20;
    static final int MAX_CONCURRENT_STREAMS = 128;
    /** grpc-java's default limit on a request's header list (SETTINGS_MAX_HEADER_LIST_SIZE). */
    static final int MAX_HEADER_LIST = 8192;
    /** The most a header block (HEADERS and its CONTINUATIONs, still compressed) may take. */
    static final int MAX_HEADER_BLOCK = 64 * 1024;
    /** Beyond this many queued octets waiting for the socket, every call on the connection is not ready. */
    static final int WRITE_BACKLOG = 64 * 1024;
    /** The most request octets the connection holds for its calls at once. */
    static final long MAX_BUFFERED_INBOUND = 16L << 20;

    private final H2GrpcServer server;
    private final SocketChannel channel;
    private final Attributes attributes;
    private final Thread reader;
    private final Thread writer;

    // ---- guarded by this
    private final FrameWriter out = new FrameWriter(1024);
    private final Map<Integer, H2ServerCall<?, ?>> calls = new HashMap<>();
    private final LinkedHashSet<H2ServerCall<?, ?>> blocked = new LinkedHashSet<>();
    private final List<H2ServerCall<?, ?>> completedCalls = new ArrayList<>();
    private long sendWindow = Http2.DEFAULT_WINDOW;
    private int peerInitialWindow = Http2.DEFAULT_WINDOW;
    private int peerMaxFrame = Http2.DEFAULT_MAX_FRAME;
    private int inFlight;
    private boolean goingAway;
    private boolean writerStop;

    // ---- reader thread only
    private final Hpack hpack = new Hpack();
    private int lastStreamId;
    private long receiveWindow = RECEIVE_WINDOW;
    private int unacked;

    H2ServerConnection(H2GrpcServer server, SocketChannel channel, Attributes attributes, int n) {
        this.server = server;
        this.channel = channel;
        this.attributes = attributes;
        this.reader = new Thread(this::readLoop, "upfleet-control-" + n);
        this.writer = new Thread(this::writeLoop, "upfleet-control-" + n + "-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
    }

    void start() {
        writer.start();
        reader.start();
    }

    Attributes attributes() {
        return attributes;
    }

    // ---- shutdown

    /** Refuses new streams (GOAWAY), lets the calls in progress finish, then closes. */
    synchronized void shutdown() {
        if (!goingAway) {
            goingAway = true;
            out.goAway(lastSeen, Http2.NO_ERROR, new byte[0]);
        }
        if (calls.isEmpty()) {
            writerStop = true;
        }
        notifyAll();
    }

    /** Closes the socket now: calls in progress are cancelled by the reader as it ends. */
    void forceClose() {
        closeQuietly();
    }

    boolean join(long millis) throws InterruptedException {
        reader.join(Math.max(1, millis));
        return !reader.isAlive();
    }

    /** {@link #lastStreamId} for other threads (the GOAWAY of a shutdown). */
    private volatile int lastSeen;

    // ---- reading

    private void readLoop() {
        FrameReader in = new FrameReader(channel, Http2.DEFAULT_MAX_FRAME);
        try {
            in.readPreface();
            synchronized (this) {
                out.settings(Http2.SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS,
                        Http2.SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW,
                        Http2.SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST);
                out.windowUpdate(0, RECEIVE_WINDOW - Http2.DEFAULT_WINDOW);
                notifyAll();
            }
            Frame first = in.read();
            if (first.type() != SETTINGS || first.has(FLAG_ACK)) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "the preface must end with SETTINGS");
            }
            settings(first);
            while (true) {
                Frame f = in.read();
                switch (f.type()) {
                    case DATA -> data(f);
                    case HEADERS -> headers(f, in);
                    case PRIORITY -> checkLength(f, 5);
                    case RST_STREAM -> rstStream(f);
                    case SETTINGS -> settings(f);
                    case PUSH_PROMISE -> throw new Http2Exception(Http2.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
                    case PING -> ping(f);
                    case GOAWAY -> checkStreamZero(f);
                    case WINDOW_UPDATE -> windowUpdate(f);
                    case CONTINUATION -> throw new Http2Exception(Http2.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
                    default -> { } // unknown frame types are ignored (RFC 9113 §4.1)
                }
            }
        } catch (Http2Exception e) {
            synchronized (this) {
                goingAway = true;
                out.goAway(lastStreamId, e.errorCode(), ascii(e.getMessage()));
                notifyAll();
            }
        } catch (IOException | RuntimeException e) {
            // the peer went away or the socket was closed: cancel what is left
        } finally {
            end();
        }
    }

    /** The reader's end: calls still open are cancelled, what is queued is written, the socket closed. */
    private void end() {
        List<H2ServerCall<?, ?>> open;
        synchronized (this) {
            open = new ArrayList<>(calls.values());
            for (H2ServerCall<?, ?> c : open) {
                c.pending.clear();
                c.pendingBytes = 0;
                c.outboundDone = true;
            }
            calls.clear();
            blocked.clear();
            writerStop = true;
            notifyAll();
        }
        for (H2ServerCall<?, ?> c : open) {
            c.cancelled();
        }
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
        server.ended(this);
    }

    private void data(Frame f) throws Http2Exception {
        if (f.stream() == 0) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "DATA on stream 0");
        }
        int[] range = f.content();
        int length = f.payload().length;
        receiveWindow -= length;
        if (receiveWindow < 0) {
            throw new Http2Exception(Http2.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
        }
        H2ServerCall<?, ?> call;
        synchronized (this) {
            call = calls.get(f.stream());
        }
        if (call == null || call.inboundDone) {
            if (f.stream() > lastStreamId) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "DATA on idle stream " + f.stream());
            }
            if (call != null) { // after END_STREAM: the stream is half-closed (remote)
                resetAndCancel(call, Http2.STREAM_CLOSED);
            }
            consumed(length); // a closed stream: dropped, but the octets count on the connection
            return;
        }
        call.receiveWindow -= length;
        if (call.receiveWindow < 0) {
            resetAndCancel(call, Http2.FLOW_CONTROL_ERROR);
            consumed(length);
            return;
        }
        if (!call.discarding) {
            call.receive(f.payload(), range[0], range[1]);
        }
        if (f.has(FLAG_END_STREAM) && !call.discarding) {
            call.halfClose();
        } else if (f.has(FLAG_END_STREAM)) {
            call.inboundDone = true;
        }
        if (buffered() > MAX_BUFFERED_INBOUND) {
            throw new Http2Exception(Http2.ENHANCE_YOUR_CALM, "too much request data held at once");
        }
        consumed(length);
        call.unacked += length;
        if (!call.inboundDone && call.unacked >= RECEIVE_WINDOW / 2) {
            int n = call.unacked;
            call.unacked = 0;
            call.receiveWindow += n;
            synchronized (this) {
                out.windowUpdate(call.id, n);
                notifyAll();
            }
        }
        synchronized (this) {
            if (call.inboundDone && call.outboundDone) {
                calls.remove(call.id);
            }
        }
    }

    private long buffered() {
        long sum = 0;
        synchronized (this) {
            for (H2ServerCall<?, ?> c : calls.values()) {
                sum += c.buffered();
            }
        }
        return sum;
    }

    /** Gives received octets back to the peer as connection window, half a window at a time. */
    private void consumed(int length) {
        unacked += length;
        if (unacked >= RECEIVE_WINDOW / 2) {
            int n = unacked;
            unacked = 0;
            receiveWindow += n;
            synchronized (this) {
                out.windowUpdate(0, n);
                notifyAll();
            }
        }
    }

    private void headers(Frame f, FrameReader in) throws IOException {
        int id = f.stream();
        if (id == 0) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "HEADERS on stream 0");
        }
        int[] range = f.content();
        ByteArrayOutputStream block = new ByteArrayOutputStream(range[1]);
        block.write(f.payload(), range[0], range[1]);
        boolean endHeaders = f.has(FLAG_END_HEADERS);
        while (!endHeaders) {
            Frame c = in.read();
            if (c.type() != CONTINUATION || c.stream() != id) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "expected CONTINUATION of stream " + id);
            }
            if (block.size() + c.payload().length > MAX_HEADER_BLOCK) {
                throw new Http2Exception(Http2.ENHANCE_YOUR_CALM, "header block larger than " + MAX_HEADER_BLOCK);
            }
            block.write(c.payload(), 0, c.payload().length);
            endHeaders = c.has(FLAG_END_HEADERS);
        }
        List<Header> fields;
        try {
            byte[] b = block.toByteArray();
            fields = hpack.decode(b, 0, b.length, MAX_HEADER_LIST);
        } catch (HpackException e) {
            throw new Http2Exception(Http2.COMPRESSION_ERROR, "bad header block: " + e.getMessage());
        }
        boolean endStream = f.has(FLAG_END_STREAM);
        H2ServerCall<?, ?> existing;
        synchronized (this) {
            existing = calls.get(id);
        }
        if (existing != null || id <= lastStreamId) { // trailers of a request: gRPC clients send none, but allowed
            if (existing == null || existing.inboundDone) {
                if (existing != null) {
                    resetAndCancel(existing, Http2.STREAM_CLOSED);
                }
                return;
            }
            if (!endStream) {
                resetAndCancel(existing, Http2.PROTOCOL_ERROR);
            } else if (!existing.discarding) {
                existing.halfClose();
            } else {
                existing.inboundDone = true;
            }
            return;
        }
        if ((id & 1) == 0) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "client stream with an even id " + id);
        }
        lastStreamId = id;
        lastSeen = id;
        newStream(id, fields, endStream);
    }

    private void newStream(int id, List<Header> fields, boolean endStream) {
        synchronized (this) {
            if (goingAway) {
                out.rstStream(id, Http2.REFUSED_STREAM);
                notifyAll();
                return;
            }
            if (calls.size() >= MAX_CONCURRENT_STREAMS) {
                out.rstStream(id, Http2.REFUSED_STREAM);
                notifyAll();
                return;
            }
        }
        if (fields == null) {
            refuse(id, endStream, GrpcHeaders.httpError(431, Status.RESOURCE_EXHAUSTED
                    .withDescription("Header list larger than " + MAX_HEADER_LIST + " octets")));
            return;
        }
        String method = null;
        String path = null;
        String contentType = null;
        String authority = null;
        String encoding = null;
        String timeout = null;
        for (Header h : fields) {
            switch (h.name()) {
                case ":method" -> method = h.value();
                case ":path" -> path = h.value();
                case ":authority" -> authority = h.value();
                case "content-type" -> contentType = h.value();
                case "grpc-encoding" -> encoding = h.value();
                case "grpc-timeout" -> timeout = h.value();
                default -> { }
            }
        }
        if (!isGrpc(contentType)) {
            refuse(id, endStream, GrpcHeaders.httpError(415, Status.INTERNAL
                    .withDescription("Content-Type '" + contentType + "' is not supported")));
            return;
        }
        if (!"POST".equals(method)) {
            refuse(id, endStream, GrpcHeaders.httpError(405, Status.INTERNAL
                    .withDescription("Method '" + method + "' is not supported")));
            return;
        }
        if (path == null || !path.startsWith("/")) {
            refuse(id, endStream, GrpcHeaders.httpError(404, Status.UNIMPLEMENTED
                    .withDescription(path == null ? "Expected path but is missing" : "Expected path to start with /: " + path)));
            return;
        }
        String fullName = path.substring(1);
        ServerMethodDefinition<?, ?> definition = server.method(fullName);
        if (definition == null) {
            refuse(id, endStream, GrpcHeaders.trailers(Status.UNIMPLEMENTED.withDescription("Method not found: " + fullName),
                    null, true));
            return;
        }
        if (encoding != null && !encoding.equals("identity")) {
            refuse(id, endStream, GrpcHeaders.unsupportedEncoding(encoding));
            return;
        }
        Metadata headers;
        try {
            headers = GrpcHeaders.toMetadata(fields);
        } catch (IllegalArgumentException e) {
            synchronized (this) {
                out.rstStream(id, Http2.PROTOCOL_ERROR);
                notifyAll();
            }
            return;
        }
        long timeoutNanos = timeout == null ? -1 : GrpcWire.timeoutNanos(timeout);
        Context.CancellableContext context = timeoutNanos < 0 ? Context.ROOT.withCancellation()
                : Context.ROOT.withDeadline(Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS), server.deadlineTimer());
        start(id, definition, authority, context, headers, endStream);
    }

    private <Q, R> void start(int id, ServerMethodDefinition<Q, R> definition, String authority,
                              Context.CancellableContext context, Metadata headers, boolean endStream) {
        H2ServerCall<Q, R> call;
        synchronized (this) {
            call = new H2ServerCall<>(this, id, definition.getMethodDescriptor(), authority, context,
                    peerInitialWindow, RECEIVE_WINDOW, server.maxMessage());
            calls.put(id, call);
        }
        if (context.getDeadline() != null) {
            context.addListener(c -> {
                if (c.cancellationCause() instanceof TimeoutException) {
                    deadlineExceeded(call);
                }
            }, Runnable::run);
        }
        call.start(definition.getServerCallHandler(), headers);
        if (endStream) {
            call.halfClose();
        }
    }

    private static boolean isGrpc(String contentType) {
        if (contentType == null || !contentType.startsWith("application/grpc")) {
            return false;
        }
        if (contentType.length() == "application/grpc".length()) {
            return true;
        }
        char next = contentType.charAt("application/grpc".length());
        return next == '+' || next == ';';
    }

    /** A trailers-only answer to a stream that never became a call. */
    private synchronized void refuse(int id, boolean endStream, byte[] block) {
        out.headers(id, block, true, peerMaxFrame);
        if (!endStream) {
            out.rstStream(id, Http2.NO_ERROR);
        }
        notifyAll();
    }

    private void rstStream(Frame f) throws Http2Exception {
        checkLength(f, 4);
        if (f.stream() == 0 || f.stream() > lastStreamId) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "RST_STREAM on idle stream " + f.stream());
        }
        H2ServerCall<?, ?> call;
        synchronized (this) {
            call = calls.remove(f.stream());
            if (call == null) {
                return;
            }
            blocked.remove(call);
            call.pending.clear();
            call.pendingBytes = 0;
            call.outboundDone = true;
        }
        call.inboundDone = true;
        call.cancelled();
    }

    /** Ends a call from our side with RST_STREAM and cancels it. */
    private void resetAndCancel(H2ServerCall<?, ?> call, int code) {
        boolean cancel;
        synchronized (this) {
            calls.remove(call.id);
            blocked.remove(call);
            cancel = !call.outboundDone;
            call.pending.clear();
            call.pendingBytes = 0;
            call.outboundDone = true;
            out.rstStream(call.id, code);
            notifyAll();
        }
        call.inboundDone = true;
        if (cancel) {
            call.cancelled();
        }
    }

    private void deadlineExceeded(H2ServerCall<?, ?> call) {
        boolean cancel;
        synchronized (this) {
            cancel = !call.outboundDone;
            if (cancel) {
                calls.remove(call.id);
                blocked.remove(call);
                call.pending.clear();
                call.pendingBytes = 0;
                call.outboundDone = true;
                out.rstStream(call.id, Http2.CANCEL); // as grpc-java: the client's own deadline names it
                notifyAll();
            }
        }
        if (cancel) {
            call.cancelled();
        }
    }

    private void settings(Frame f) throws Http2Exception {
        checkStreamZero(f);
        if (f.has(FLAG_ACK)) {
            if (f.payload().length != 0) {
                throw new Http2Exception(Http2.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
            }
            return;
        }
        byte[] p = f.payload();
        if (p.length % 6 != 0) {
            throw new Http2Exception(Http2.FRAME_SIZE_ERROR, "SETTINGS length " + p.length);
        }
        synchronized (this) {
            for (int i = 0; i < p.length; i += 6) {
                int id = (p[i] & 0xff) << 8 | (p[i + 1] & 0xff);
                int value = Http2.readInt(p, i + 2);
                switch (id) {
                    case Http2.SETTINGS_INITIAL_WINDOW_SIZE -> {
                        if (value < 0) {
                            throw new Http2Exception(Http2.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE " + value);
                        }
                        long delta = (long) value - peerInitialWindow;
                        peerInitialWindow = value;
                        for (H2ServerCall<?, ?> c : calls.values()) {
                            c.sendWindow += delta;
                            if (c.sendWindow > Http2.MAX_WINDOW) {
                                throw new Http2Exception(Http2.FLOW_CONTROL_ERROR, "stream window overflow");
                            }
                        }
                    }
                    case Http2.SETTINGS_MAX_FRAME_SIZE -> {
                        if (value < Http2.DEFAULT_MAX_FRAME || value > Http2.MAX_MAX_FRAME) {
                            throw new Http2Exception(Http2.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE " + value);
                        }
                        peerMaxFrame = value;
                    }
                    case Http2.SETTINGS_ENABLE_PUSH -> {
                        if (value != 0 && value != 1) {
                            throw new Http2Exception(Http2.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH " + value);
                        }
                    }
                    // HEADER_TABLE_SIZE limits the peer's decoder: we never index, so any size suits us.
                    // MAX_HEADER_LIST_SIZE and MAX_CONCURRENT_STREAMS concern what we send: small blocks, no pushes.
                    default -> { }
                }
            }
            out.settingsAck();
            pumpAll();
            notifyAll();
        }
        afterChange();
    }

    private void ping(Frame f) throws Http2Exception {
        checkStreamZero(f);
        checkLength(f, 8);
        if (!f.has(FLAG_ACK)) {
            synchronized (this) {
                out.ping(FLAG_ACK, f.payload());
                notifyAll();
            }
        }
    }

    private void windowUpdate(Frame f) throws Http2Exception {
        checkLength(f, 4);
        int increment = Http2.readInt(f.payload(), 0) & 0x7fffffff;
        if (f.stream() == 0) {
            if (increment == 0) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
            }
            synchronized (this) {
                sendWindow += increment;
                if (sendWindow > Http2.MAX_WINDOW) {
                    throw new Http2Exception(Http2.FLOW_CONTROL_ERROR, "connection window overflow");
                }
                pumpAll();
                notifyAll();
            }
        } else {
            H2ServerCall<?, ?> call;
            synchronized (this) {
                call = calls.get(f.stream());
            }
            if (call == null) {
                if (f.stream() > lastStreamId) {
                    throw new Http2Exception(Http2.PROTOCOL_ERROR, "WINDOW_UPDATE on idle stream " + f.stream());
                }
                return;
            }
            if (increment == 0 || call.sendWindow + increment > Http2.MAX_WINDOW) {
                resetAndCancel(call, increment == 0 ? Http2.PROTOCOL_ERROR : Http2.FLOW_CONTROL_ERROR);
                return;
            }
            synchronized (this) {
                call.sendWindow += increment;
                pump(call);
                notifyAll();
            }
        }
        afterChange();
    }

    private static void checkStreamZero(Frame f) throws Http2Exception {
        if (f.stream() != 0) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "frame type " + f.type() + " on stream " + f.stream());
        }
    }

    private static void checkLength(Frame f, int length) throws Http2Exception {
        if (f.payload().length != length) {
            throw new Http2Exception(Http2.FRAME_SIZE_ERROR, "frame type " + f.type() + " of " + f.payload().length
                    + " octets");
        }
    }

    // ---- the calls' outbound side (any thread)

    void sendHeaders(H2ServerCall<?, ?> call, byte[] block) {
        synchronized (this) {
            if (call.outboundDone || call.closeCalled) {
                return;
            }
            if (call.headersSent) {
                throw new IllegalStateException("sendHeaders has already been called");
            }
            call.headersSent = true;
            out.headers(call.id, block, false, peerMaxFrame);
            notifyAll();
        }
    }

    void sendData(H2ServerCall<?, ?> call, byte[] framed) {
        synchronized (this) {
            if (call.closeCalled) {
                throw new IllegalStateException("call is closed");
            }
            if (call.outboundDone) {
                return; // cancelled: dropped, as grpc-java does
            }
            if (!call.headersSent) {
                call.headersSent = true;
                out.headers(call.id, GrpcHeaders.responseHeaders(new Metadata()), false, peerMaxFrame);
            }
            call.pending.add(framed);
            call.pendingBytes += framed.length;
            pump(call);
            notifyAll();
        }
        afterChange();
    }

    void closeCall(H2ServerCall<?, ?> call, Status status, Metadata trailers) {
        synchronized (this) {
            if (call.closeCalled || call.outboundDone) {
                return;
            }
            call.closeCalled = true;
            call.trailerBlock = GrpcHeaders.trailers(status, trailers, !call.headersSent);
            call.headersSent = true;
            pump(call);
            notifyAll();
        }
        afterChange();
    }

    synchronized boolean isReady(H2ServerCall<?, ?> call) {
        boolean ready = !call.outboundDone && !call.closeCalled && call.pendingBytes < call.onReadyThreshold
                && out.size() + inFlight < WRITE_BACKLOG;
        if (!ready && !call.outboundDone) {
            call.wantReady = true;
        }
        return ready;
    }

    synchronized void setOnReadyThreshold(H2ServerCall<?, ?> call, int numBytes) {
        call.onReadyThreshold = numBytes;
    }

    /** Frames what the windows allow of the call's pending data, then its trailers once all data is out. */
    private void pump(H2ServerCall<?, ?> call) {
        while (call.pendingBytes > 0) {
            long window = Math.min(sendWindow, call.sendWindow);
            if (window <= 0) {
                blocked.add(call);
                return;
            }
            byte[] head = call.pending.peek();
            int n = (int) Math.min(Math.min(window, peerMaxFrame), head.length - call.pendingOffset);
            out.data(call.id, head, call.pendingOffset, n, false);
            call.pendingOffset += n;
            call.pendingBytes -= n;
            sendWindow -= n;
            call.sendWindow -= n;
            if (call.pendingOffset == head.length) {
                call.pending.poll();
                call.pendingOffset = 0;
            }
        }
        blocked.remove(call);
        if (call.trailerBlock != null && !call.outboundDone) {
            out.headers(call.id, call.trailerBlock, true, peerMaxFrame);
            call.trailerBlock = null;
            call.outboundDone = true;
            if (!call.inboundDone) {
                out.rstStream(call.id, Http2.NO_ERROR); // we need nothing more of the request (RFC 9113 §8.1)
            }
            calls.remove(call.id);
            completedCalls.add(call);
            if (goingAway && calls.isEmpty()) {
                writerStop = true;
            }
        }
    }

    private void pumpAll() {
        for (H2ServerCall<?, ?> c : new ArrayList<>(blocked)) {
            if (sendWindow <= 0) {
                return;
            }
            pump(c);
        }
    }

    /** Tells calls that completed or became ready; never under the lock. */
    private void afterChange() {
        List<H2ServerCall<?, ?>> done;
        List<H2ServerCall<?, ?>> ready = null;
        synchronized (this) {
            done = completedCalls.isEmpty() ? List.of() : new ArrayList<>(completedCalls);
            completedCalls.clear();
            for (H2ServerCall<?, ?> c : calls.values()) {
                if (c.wantReady && isReadyQuietly(c)) {
                    c.wantReady = false;
                    if (ready == null) {
                        ready = new ArrayList<>();
                    }
                    ready.add(c);
                }
            }
        }
        for (H2ServerCall<?, ?> c : done) {
            c.completed();
        }
        if (ready != null) {
            for (H2ServerCall<?, ?> c : ready) {
                c.ready();
            }
        }
    }

    private boolean isReadyQuietly(H2ServerCall<?, ?> c) {
        return !c.outboundDone && !c.closeCalled && c.pendingBytes < c.onReadyThreshold
                && out.size() + inFlight < WRITE_BACKLOG;
    }

    // ---- writing

    private void writeLoop() {
        try {
            while (true) {
                byte[] chunk;
                synchronized (this) {
                    while (out.size() == 0 && !writerStop) {
                        wait();
                    }
                    if (out.size() == 0) {
                        break;
                    }
                    chunk = out.take();
                    inFlight = chunk.length;
                }
                ByteBuffer b = ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
                synchronized (this) {
                    inFlight = 0;
                }
                afterChange();
            }
            channel.shutdownOutput(); // the peer reads what we wrote, then the end
        } catch (IOException | InterruptedException e) {
            closeQuietly(); // the reader sees the socket closed and cancels the calls
        }
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    private static byte[] ascii(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.US_ASCII);
    }
}
