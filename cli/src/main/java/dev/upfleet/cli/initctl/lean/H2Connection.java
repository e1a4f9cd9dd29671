package dev.upfleet.cli.initctl.lean;

import dev.upfleet.cli.initctl.lean.Hpack.Header;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A client-side HTTP/2 connection (RFC 9113, prior knowledge, no TLS) on a Unix domain socket, with blocking I/O
 * and one request at a time: enough for gRPC unary calls. It sends the preface with its first request, so a call
 * costs one write and the reads of the reply; it answers SETTINGS and PING, honours the peer's flow-control
 * windows and frame size when sending, and returns window to the peer as it consumes DATA, so replies of any size
 * stream through. There is no timeout: a call waits as long as the peer takes.
 *
 * <p>Not thread-safe.
 */
final class H2Connection implements AutoCloseable {
    /** What the peer sent on one stream: response headers, trailers (null for a trailers-only reply) and body. */
    record Exchange(List<Header> headers, List<Header> trailers, byte[] data) {}

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int PUSH_PROMISE = 0x5;
    private static final int PING = 0x6;
    private static final int GOAWAY = 0x7;
    private static final int WINDOW_UPDATE = 0x8;
    private static final int CONTINUATION = 0x9;

    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_ACK = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;

    private static final int SETTINGS_HEADER_TABLE_SIZE = 0x1;
    private static final int SETTINGS_ENABLE_PUSH = 0x2;
    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
    private static final int SETTINGS_MAX_FRAME_SIZE = 0x5;

    private static final int DEFAULT_WINDOW = 65_535;
    private static final int DEFAULT_MAX_FRAME = 16_384;
    /** The largest frame we accept; we never raise SETTINGS_MAX_FRAME_SIZE, so this is the protocol default. */
    private static final int MAX_INBOUND_FRAME = DEFAULT_MAX_FRAME;
    /** Our receive window, per stream and for the connection: big enough that replies rarely wait for updates. */
    static final int RECEIVE_WINDOW = 1 << 20;

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(32 * 1024).flip();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private final Hpack hpack = new Hpack();

    private int nextStreamId = 1;
    private long connectionSendWindow = DEFAULT_WINDOW;
    private int peerInitialWindow = DEFAULT_WINDOW;
    private int peerMaxFrame = DEFAULT_MAX_FRAME;
    private int connectionUnacked;
    private boolean goingAway;

    // The stream in progress.
    private int streamId;
    private long streamSendWindow;
    private int streamUnacked;

    private H2Connection(SocketChannel channel) {
        this.channel = channel;
        out.writeBytes(PREFACE);
        frameHeader(SETTINGS, 0, 0, 12);
        setting(SETTINGS_ENABLE_PUSH, 0);
        setting(SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW);
        windowUpdate(0, RECEIVE_WINDOW - DEFAULT_WINDOW);
    }

    /** Connects; the preface and our SETTINGS go out with the first request. */
    static H2Connection open(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new H2Connection(ch);
    }

    /** True once the peer sent GOAWAY: no new stream may be started here. */
    boolean goingAway() {
        return goingAway;
    }

    /**
     * Sends one request (headers, then {@code body} as DATA ending the stream) and reads until the peer ends the
     * stream. {@code maxData} bounds the reply body; past it the stream is cancelled.
     */
    Exchange exchange(List<Header> requestHeaders, byte[] body, int maxData) throws IOException {
        if (goingAway) {
            throw new H2Exception(H2Exception.Kind.REFUSED, H2Exception.NO_ERROR, "connection is going away");
        }
        streamId = nextStreamId;
        nextStreamId += 2;
        streamSendWindow = peerInitialWindow;
        streamUnacked = 0;
        writeHeaders(requestHeaders, body.length == 0);
        int sent = 0;
        sent = writeData(body, sent);
        flush();

        List<Header> headers = null;
        List<Header> trailers = null;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean ended = false;
        while (!ended) {
            Frame f = readFrame();
            switch (f.type) {
                case DATA -> {
                    consumed(f.stream, f.payload.length);
                    if (f.stream == streamId) {
                        int[] range = unpad(f);
                        if (data.size() + range[1] > maxData) {
                            rstStream(streamId, H2Exception.CANCEL);
                            flush();
                            throw new H2Exception(H2Exception.Kind.TOO_LARGE, H2Exception.CANCEL,
                                    "reply larger than " + maxData + " octets");
                        }
                        data.write(f.payload, range[0], range[1]);
                        ended = (f.flags & FLAG_END_STREAM) != 0;
                    }
                }
                case HEADERS -> {
                    List<Header> block = readHeaderBlock(f);
                    if (f.stream == streamId) {
                        if (headers == null) {
                            headers = block;
                        } else {
                            trailers = block;
                        }
                        ended = (f.flags & FLAG_END_STREAM) != 0;
                    }
                }
                case RST_STREAM -> {
                    if (f.stream == streamId) {
                        int code = f.payload.length >= 4 ? readInt(f.payload, 0) : H2Exception.PROTOCOL_ERROR;
                        throw new H2Exception(H2Exception.Kind.RESET, code,
                                "RST_STREAM closed stream. HTTP/2 error code: " + H2Exception.errorName(code));
                    }
                }
                case SETTINGS -> settings(f);
                case PING -> {
                    if ((f.flags & FLAG_ACK) == 0) {
                        frameHeader(PING, FLAG_ACK, 0, f.payload.length);
                        out.writeBytes(f.payload);
                    }
                }
                case GOAWAY -> {
                    goingAway = true;
                    int last = readInt(f.payload, 0) & 0x7fffffff;
                    int code = readInt(f.payload, 4);
                    if (streamId > last) {
                        throw new H2Exception(H2Exception.Kind.REFUSED, code,
                                "Abrupt GOAWAY closed unsent stream. HTTP/2 error code: " + H2Exception.errorName(code));
                    }
                }
                case WINDOW_UPDATE -> {
                    int increment = readInt(f.payload, 0) & 0x7fffffff;
                    if (f.stream == 0) {
                        connectionSendWindow += increment;
                    } else if (f.stream == streamId) {
                        streamSendWindow += increment;
                    }
                }
                case PUSH_PROMISE -> throw protocolError("PUSH_PROMISE although push is disabled");
                case CONTINUATION -> throw protocolError("CONTINUATION without HEADERS");
                default -> { } // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.5)
            }
            if (!ended && sent < body.length) {
                sent = writeData(body, sent);
            }
            flush();
        }
        if (headers == null) {
            throw protocolError("stream ended without headers");
        }
        return new Exchange(headers, trailers, data.toByteArray());
    }

    /** Tells the peer we are done (GOAWAY, NO_ERROR) and closes the socket; never throws. */
    @Override
    public void close() {
        goAway();
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    /** Tells the peer we are done (GOAWAY, NO_ERROR), leaving the socket open; never throws. */
    void goAway() {
        try {
            frameHeader(GOAWAY, 0, 0, 8);
            writeInt(0); // last stream id: we accept no pushed streams
            writeInt(H2Exception.NO_ERROR);
            flush();
        } catch (IOException | RuntimeException e) {
            // the peer may be gone already
        }
    }

    // ---- sending

    private void writeHeaders(List<Header> headers, boolean endStream) {
        ByteArrayOutputStream block = new ByteArrayOutputStream(256);
        for (Header h : headers) {
            Hpack.encodeLiteral(block, h.name(), h.value());
        }
        byte[] b = block.toByteArray();
        int off = 0;
        int type = HEADERS;
        do {
            int len = Math.min(peerMaxFrame, b.length - off);
            boolean last = off + len == b.length;
            int flags = (last ? FLAG_END_HEADERS : 0) | (type == HEADERS && endStream ? FLAG_END_STREAM : 0);
            frameHeader(type, flags, streamId, len);
            out.write(b, off, len);
            off += len;
            type = CONTINUATION;
        } while (off < b.length);
    }

    /** Queues as much of {@code body} from {@code sent} as the flow-control windows allow; returns the new offset. */
    private int writeData(byte[] body, int sent) {
        while (sent < body.length) {
            long window = Math.min(connectionSendWindow, streamSendWindow);
            if (window <= 0) {
                break;
            }
            int len = (int) Math.min(Math.min(window, peerMaxFrame), body.length - sent);
            boolean last = sent + len == body.length;
            frameHeader(DATA, last ? FLAG_END_STREAM : 0, streamId, len);
            out.write(body, sent, len);
            sent += len;
            connectionSendWindow -= len;
            streamSendWindow -= len;
        }
        return sent;
    }

    private void rstStream(int stream, int code) {
        frameHeader(RST_STREAM, 0, stream, 4);
        writeInt(code);
    }

    private void windowUpdate(int stream, int increment) {
        frameHeader(WINDOW_UPDATE, 0, stream, 4);
        writeInt(increment);
    }

    private void setting(int id, int value) {
        out.write(id >>> 8);
        out.write(id);
        writeInt(value);
    }

    private void frameHeader(int type, int flags, int stream, int length) {
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.write(type);
        out.write(flags);
        writeInt(stream);
    }

    private void writeInt(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private void flush() throws IOException {
        if (out.size() == 0) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray());
        out.reset();
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    // ---- receiving

    private record Frame(int type, int flags, int stream, byte[] payload) {}

    private Frame readFrame() throws IOException {
        fill(9);
        int length = (in.get() & 0xff) << 16 | (in.get() & 0xff) << 8 | (in.get() & 0xff);
        int type = in.get() & 0xff;
        int flags = in.get() & 0xff;
        int stream = in.getInt() & 0x7fffffff;
        if (length > MAX_INBOUND_FRAME) {
            throw protocolError("frame of " + length + " octets exceeds " + MAX_INBOUND_FRAME);
        }
        byte[] payload = new byte[length];
        fill(length);
        in.get(payload);
        return new Frame(type, flags, stream, payload);
    }

    /** Makes at least {@code n} (at most the buffer's capacity) unread bytes available in {@link #in}. */
    private void fill(int n) throws IOException {
        while (in.remaining() < n) {
            in.compact();
            int r = channel.read(in);
            in.flip();
            if (r < 0) {
                throw new EOFException("Connection closed by the agent");
            }
        }
    }

    /** Reads a HEADERS frame's block (with any CONTINUATION frames) and decodes it. */
    private List<Header> readHeaderBlock(Frame f) throws IOException {
        int[] range = unpad(f);
        int off = range[0];
        int len = range[1];
        if ((f.flags & FLAG_PRIORITY) != 0) {
            if (len < 5) {
                throw protocolError("HEADERS too short for its priority");
            }
            off += 5;
            len -= 5;
        }
        byte[] block = Arrays.copyOfRange(f.payload, off, off + len);
        boolean endHeaders = (f.flags & FLAG_END_HEADERS) != 0;
        while (!endHeaders) {
            Frame c = readFrame();
            if (c.type != CONTINUATION || c.stream != f.stream) {
                throw protocolError("expected CONTINUATION of stream " + f.stream);
            }
            byte[] joined = Arrays.copyOf(block, block.length + c.payload.length);
            System.arraycopy(c.payload, 0, joined, block.length, c.payload.length);
            block = joined;
            endHeaders = (c.flags & FLAG_END_HEADERS) != 0;
        }
        try {
            return hpack.decode(block);
        } catch (HpackException e) {
            throw new H2Exception(H2Exception.Kind.PROTOCOL, H2Exception.COMPRESSION_ERROR,
                    "bad header block: " + e.getMessage());
        }
    }

    /** The data range of a DATA or HEADERS payload without its padding: {offset, length}. */
    private static int[] unpad(Frame f) throws H2Exception {
        if ((f.flags & FLAG_PADDED) == 0) {
            return new int[] {0, f.payload.length};
        }
        if (f.payload.length < 1 || (f.payload[0] & 0xff) >= f.payload.length) {
            throw protocolError("padding longer than the frame");
        }
        return new int[] {1, f.payload.length - 1 - (f.payload[0] & 0xff)};
    }

    /** Counts received DATA against our windows and gives window back once half of it is used. */
    private void consumed(int stream, int length) {
        connectionUnacked += length;
        if (connectionUnacked >= RECEIVE_WINDOW / 2) {
            windowUpdate(0, connectionUnacked);
            connectionUnacked = 0;
        }
        if (stream == streamId) {
            streamUnacked += length;
            if (streamUnacked >= RECEIVE_WINDOW / 2) {
                windowUpdate(streamId, streamUnacked);
                streamUnacked = 0;
            }
        }
    }

    private void settings(Frame f) throws H2Exception {
        if ((f.flags & FLAG_ACK) != 0) {
            return;
        }
        if (f.payload.length % 6 != 0) {
            throw protocolError("SETTINGS length " + f.payload.length);
        }
        for (int i = 0; i < f.payload.length; i += 6) {
            int id = (f.payload[i] & 0xff) << 8 | (f.payload[i + 1] & 0xff);
            int value = readInt(f.payload, i + 2);
            switch (id) {
                case SETTINGS_INITIAL_WINDOW_SIZE -> {
                    streamSendWindow += (long) value - peerInitialWindow;
                    peerInitialWindow = value;
                }
                case SETTINGS_MAX_FRAME_SIZE -> {
                    if (value < DEFAULT_MAX_FRAME || value > (1 << 24) - 1) {
                        throw protocolError("SETTINGS_MAX_FRAME_SIZE " + value);
                    }
                    peerMaxFrame = value;
                }
                // The peer's table size limits its decoder; we never index, so it does not concern us.
                case SETTINGS_HEADER_TABLE_SIZE -> { }
                default -> { }
            }
        }
        frameHeader(SETTINGS, FLAG_ACK, 0, 0);
    }

    private static int readInt(byte[] b, int off) throws H2Exception {
        if (b.length < off + 4) {
            throw protocolError("frame too short");
        }
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    private static H2Exception protocolError(String message) {
        return new H2Exception(H2Exception.Kind.PROTOCOL, H2Exception.PROTOCOL_ERROR, message);
    }
}
