package dev.upfleet.cli.initctl.lean;

import static dev.upfleet.h2.Http2.CONTINUATION;
import static dev.upfleet.h2.Http2.DATA;
import static dev.upfleet.h2.Http2.DEFAULT_MAX_FRAME;
import static dev.upfleet.h2.Http2.DEFAULT_WINDOW;
import static dev.upfleet.h2.Http2.FLAG_ACK;
import static dev.upfleet.h2.Http2.FLAG_END_HEADERS;
import static dev.upfleet.h2.Http2.FLAG_END_STREAM;
import static dev.upfleet.h2.Http2.GOAWAY;
import static dev.upfleet.h2.Http2.HEADERS;
import static dev.upfleet.h2.Http2.PING;
import static dev.upfleet.h2.Http2.PUSH_PROMISE;
import static dev.upfleet.h2.Http2.RST_STREAM;
import static dev.upfleet.h2.Http2.SETTINGS;
import static dev.upfleet.h2.Http2.SETTINGS_ENABLE_PUSH;
import static dev.upfleet.h2.Http2.SETTINGS_HEADER_TABLE_SIZE;
import static dev.upfleet.h2.Http2.SETTINGS_INITIAL_WINDOW_SIZE;
import static dev.upfleet.h2.Http2.SETTINGS_MAX_FRAME_SIZE;
import static dev.upfleet.h2.Http2.WINDOW_UPDATE;

import dev.upfleet.h2.Frame;
import dev.upfleet.h2.FrameReader;
import dev.upfleet.h2.FrameWriter;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.Hpack.Header;
import dev.upfleet.h2.HpackException;
import dev.upfleet.h2.Http2;
import dev.upfleet.h2.Http2Exception;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
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

    /** The largest frame we accept; we never raise SETTINGS_MAX_FRAME_SIZE, so this is the protocol default. */
    private static final int MAX_INBOUND_FRAME = DEFAULT_MAX_FRAME;
    /** Our receive window, per stream and for the connection: big enough that replies rarely wait for updates. */
    static final int RECEIVE_WINDOW = 1 << 20;

    private final SocketChannel channel;
    private final FrameReader in;
    private final FrameWriter out = new FrameWriter(512);
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
        this.in = new FrameReader(channel, MAX_INBOUND_FRAME);
        out.raw(Http2.PREFACE);
        out.settings(SETTINGS_ENABLE_PUSH, 0, SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW);
        out.windowUpdate(0, RECEIVE_WINDOW - DEFAULT_WINDOW);
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
            throw new H2Exception(H2Exception.Kind.REFUSED, Http2.NO_ERROR, "connection is going away");
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
            switch (f.type()) {
                case DATA -> {
                    consumed(f.stream(), f.payload().length);
                    if (f.stream() == streamId) {
                        int[] range = f.content();
                        if (data.size() + range[1] > maxData) {
                            out.rstStream(streamId, Http2.CANCEL);
                            flush();
                            throw new H2Exception(H2Exception.Kind.TOO_LARGE, Http2.CANCEL,
                                    "reply larger than " + maxData + " octets");
                        }
                        data.write(f.payload(), range[0], range[1]);
                        ended = (f.flags() & FLAG_END_STREAM) != 0;
                    }
                }
                case HEADERS -> {
                    List<Header> block = readHeaderBlock(f);
                    if (f.stream() == streamId) {
                        if (headers == null) {
                            headers = block;
                        } else {
                            trailers = block;
                        }
                        ended = (f.flags() & FLAG_END_STREAM) != 0;
                    }
                }
                case RST_STREAM -> {
                    if (f.stream() == streamId) {
                        int code = f.payload().length >= 4 ? readInt(f.payload(), 0) : Http2.PROTOCOL_ERROR;
                        throw new H2Exception(H2Exception.Kind.RESET, code,
                                "RST_STREAM closed stream. HTTP/2 error code: " + Http2.errorName(code));
                    }
                }
                case SETTINGS -> settings(f);
                case PING -> {
                    if ((f.flags() & FLAG_ACK) == 0) {
                        out.ping(FLAG_ACK, f.payload());
                    }
                }
                case GOAWAY -> {
                    goingAway = true;
                    int last = readInt(f.payload(), 0) & 0x7fffffff;
                    int code = readInt(f.payload(), 4);
                    if (streamId > last) {
                        throw new H2Exception(H2Exception.Kind.REFUSED, code,
                                "Abrupt GOAWAY closed unsent stream. HTTP/2 error code: " + Http2.errorName(code));
                    }
                }
                case WINDOW_UPDATE -> {
                    int increment = readInt(f.payload(), 0) & 0x7fffffff;
                    if (f.stream() == 0) {
                        connectionSendWindow += increment;
                    } else if (f.stream() == streamId) {
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
            out.goAway(0, Http2.NO_ERROR, new byte[0]); // last stream id 0: we accept no pushed streams
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
        out.headers(streamId, block.toByteArray(), endStream, peerMaxFrame);
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
            out.data(streamId, body, sent, len, last);
            sent += len;
            connectionSendWindow -= len;
            streamSendWindow -= len;
        }
        return sent;
    }

    private void flush() throws IOException {
        if (out.size() == 0) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out.take());
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    // ---- receiving

    private Frame readFrame() throws IOException {
        try {
            return in.read();
        } catch (EOFException e) {
            throw new EOFException("Connection closed by the agent");
        } catch (Http2Exception e) {
            throw protocolError(e.getMessage());
        }
    }

    /** Reads a HEADERS frame's block (with any CONTINUATION frames) and decodes it. */
    private List<Header> readHeaderBlock(Frame f) throws IOException {
        int[] range;
        try {
            range = f.content();
        } catch (Http2Exception e) {
            throw protocolError(e.getMessage());
        }
        int off = range[0];
        int len = range[1];
        byte[] block = Arrays.copyOfRange(f.payload(), off, off + len);
        boolean endHeaders = (f.flags() & FLAG_END_HEADERS) != 0;
        while (!endHeaders) {
            Frame c = readFrame();
            if (c.type() != CONTINUATION || c.stream() != f.stream()) {
                throw protocolError("expected CONTINUATION of stream " + f.stream());
            }
            byte[] joined = Arrays.copyOf(block, block.length + c.payload().length);
            System.arraycopy(c.payload(), 0, joined, block.length, c.payload().length);
            block = joined;
            endHeaders = (c.flags() & FLAG_END_HEADERS) != 0;
        }
        try {
            return hpack.decode(block);
        } catch (HpackException e) {
            throw new H2Exception(H2Exception.Kind.PROTOCOL, Http2.COMPRESSION_ERROR,
                    "bad header block: " + e.getMessage());
        }
    }

    /** Counts received DATA against our windows and gives window back once half of it is used. */
    private void consumed(int stream, int length) {
        connectionUnacked += length;
        if (connectionUnacked >= RECEIVE_WINDOW / 2) {
            out.windowUpdate(0, connectionUnacked);
            connectionUnacked = 0;
        }
        if (stream == streamId) {
            streamUnacked += length;
            if (streamUnacked >= RECEIVE_WINDOW / 2) {
                out.windowUpdate(streamId, streamUnacked);
                streamUnacked = 0;
            }
        }
    }

    private void settings(Frame f) throws H2Exception {
        if ((f.flags() & FLAG_ACK) != 0) {
            return;
        }
        if (f.payload().length % 6 != 0) {
            throw protocolError("SETTINGS length " + f.payload().length);
        }
        for (int i = 0; i < f.payload().length; i += 6) {
            int id = (f.payload()[i] & 0xff) << 8 | (f.payload()[i + 1] & 0xff);
            int value = readInt(f.payload(), i + 2);
            switch (id) {
                case SETTINGS_INITIAL_WINDOW_SIZE -> {
                    streamSendWindow += (long) value - peerInitialWindow;
                    peerInitialWindow = value;
                }
                case SETTINGS_MAX_FRAME_SIZE -> {
                    if (value < DEFAULT_MAX_FRAME || value > Http2.MAX_MAX_FRAME) {
                        throw protocolError("SETTINGS_MAX_FRAME_SIZE " + value);
                    }
                    peerMaxFrame = value;
                }
                // The peer's table size limits its decoder; we never index, so it does not concern us.
                case SETTINGS_HEADER_TABLE_SIZE -> { }
                default -> { }
            }
        }
        out.settingsAck();
    }

    private static int readInt(byte[] b, int off) throws H2Exception {
        if (b.length < off + 4) {
            throw protocolError("frame too short");
        }
        return Http2.readInt(b, off);
    }

    private static H2Exception protocolError(String message) {
        return new H2Exception(H2Exception.Kind.PROTOCOL, Http2.PROTOCOL_ERROR, message);
    }
}
