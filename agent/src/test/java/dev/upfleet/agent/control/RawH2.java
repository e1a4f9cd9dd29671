package dev.upfleet.agent.control;

import dev.upfleet.h2.Frame;
import dev.upfleet.h2.FrameReader;
import dev.upfleet.h2.FrameWriter;
import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.Hpack.Header;
import dev.upfleet.h2.Http2;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A hand-driven HTTP/2 client for tests of the control socket's transport: writes whatever frames a test composes
 * (including broken ones) and reads frames with a timeout. Not thread-safe.
 */
final class RawH2 implements AutoCloseable {
    /** What the server sent on one stream. */
    record Reply(List<Header> headers, List<Header> trailers, byte[] data, int rstCode) {
        String header(String name) {
            for (List<Header> block : new ArrayList<>(java.util.Arrays.asList(trailers, headers))) {
                if (block != null) {
                    for (Header h : block) {
                        if (h.name().equals(name)) {
                            return h.value();
                        }
                    }
                }
            }
            return null;
        }

        String grpcStatus() {
            return header("grpc-status");
        }

        String grpcMessage() {
            String m = header("grpc-message");
            return m == null ? null : GrpcWire.percentDecode(m);
        }

        /** The one message of the body, without its prefix. */
        byte[] message() {
            return java.util.Arrays.copyOfRange(data, GrpcWire.PREFIX, data.length);
        }
    }

    final SocketChannel channel;
    private final FrameReader in;
    private final Hpack decoder = new Hpack();
    private final ExecutorService reader = Executors.newSingleThreadExecutor();
    /** The error code of a GOAWAY the server sent, or -1. */
    int goAwayCode = -1;
    boolean autoWindowUpdates = true;
    final List<Frame> seen = new ArrayList<>();

    private RawH2(SocketChannel channel) {
        this.channel = channel;
        this.in = new FrameReader(channel, Http2.MAX_MAX_FRAME);
    }

    static RawH2 connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawH2(ch);
    }

    /** Preface and an empty SETTINGS (default windows: 65,535 octets). */
    RawH2 handshake() throws IOException {
        return send(w -> {
            w.raw(Http2.PREFACE);
            w.settings();
        });
    }

    RawH2 send(Consumer<FrameWriter> frames) throws IOException {
        FrameWriter w = new FrameWriter(256);
        frames.accept(w);
        ByteBuffer b = ByteBuffer.wrap(w.take());
        while (b.hasRemaining()) {
            channel.write(b);
        }
        return this;
    }

    /** A read that timed out is kept for the next call: interrupting it would close the channel. */
    private Future<Frame> pendingRead;

    /**
     * The next frame, or null when the server closed the connection (a reset after its last frame counts as closed:
     * a server that closes with our octets unread makes the kernel reset the connection); fails after {@code millis}.
     */
    Frame next(long millis) throws IOException, TimeoutException {
        if (pendingRead == null) {
            pendingRead = reader.submit(() -> {
                try {
                    return in.read();
                } catch (EOFException e) {
                    return null;
                } catch (IOException e) {
                    if (String.valueOf(e.getMessage()).contains("reset")) {
                        return null;
                    }
                    throw e;
                }
            });
        }
        try {
            Frame frame = pendingRead.get(millis, TimeUnit.MILLISECONDS);
            pendingRead = null;
            if (frame != null) {
                seen.add(frame);
            }
            return frame;
        } catch (InterruptedException e) {
            throw new IOException(e);
        } catch (ExecutionException e) {
            pendingRead = null;
            throw new IOException(e.getCause());
        }
    }

    /** Sends, ignoring a connection the server has already closed (it may refuse before reading all we send). */
    RawH2 sendQuietly(Consumer<FrameWriter> frames) {
        try {
            return send(frames);
        } catch (IOException closed) {
            return this;
        }
    }

    /** Whether the server sends nothing for {@code millis} (it stays open). */
    boolean quiet(long millis) throws IOException {
        try {
            next(millis);
            return false;
        } catch (TimeoutException e) {
            return true;
        }
    }

    static byte[] block(String... nameValues) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < nameValues.length; i += 2) {
            Hpack.encodeLiteral(b, nameValues[i], nameValues[i + 1]);
        }
        return b.toByteArray();
    }

    static byte[] request(String path, String... extra) {
        List<String> all = new ArrayList<>(List.of(":method", "POST", ":scheme", "http", ":path", path,
                ":authority", "localhost", "content-type", "application/grpc", "te", "trailers"));
        all.addAll(List.of(extra));
        return block(all.toArray(String[]::new));
    }

    /** Sends one unary call: HEADERS, then the message as DATA ending the stream. */
    RawH2 call(int stream, String path, byte[] message, String... extraHeaders) throws IOException {
        byte[] framed = GrpcWire.frame(message);
        return send(w -> {
            w.headers(stream, request(path, extraHeaders), false, Http2.DEFAULT_MAX_FRAME);
            w.data(stream, framed, 0, framed.length, true);
        });
    }

    /** Reads until {@code stream} ends (END_STREAM or RST_STREAM) or the connection does, answering as a client must. */
    Reply await(int stream) throws IOException, TimeoutException {
        List<Header> headers = null;
        List<Header> trailers = null;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            Frame f = next(10_000);
            if (f == null) {
                return new Reply(headers, trailers, data.toByteArray(), -1);
            }
            switch (f.type()) {
                case Http2.SETTINGS -> {
                    if (!f.has(Http2.FLAG_ACK)) {
                        send(FrameWriter::settingsAck);
                    }
                }
                case Http2.GOAWAY -> goAwayCode = Http2.readInt(f.payload(), 4);
                case Http2.HEADERS -> {
                    if (f.stream() == stream) {
                        List<Header> block;
                        try {
                            block = decoder.decode(f.payload());
                        } catch (dev.upfleet.h2.HpackException e) {
                            throw new IOException(e);
                        }
                        if (headers == null) {
                            headers = block;
                        } else {
                            trailers = block;
                        }
                        if (f.has(Http2.FLAG_END_STREAM)) {
                            return new Reply(headers, trailers, data.toByteArray(), -1);
                        }
                    }
                }
                case Http2.DATA -> {
                    if (f.stream() == stream) {
                        data.writeBytes(f.payload());
                    }
                    if (autoWindowUpdates && f.payload().length > 0) {
                        int n = f.payload().length;
                        send(w -> {
                            w.windowUpdate(0, n);
                            w.windowUpdate(f.stream(), n);
                        });
                    }
                    if (f.stream() == stream && f.has(Http2.FLAG_END_STREAM)) {
                        return new Reply(headers, trailers, data.toByteArray(), -1);
                    }
                }
                case Http2.RST_STREAM -> {
                    if (f.stream() == stream) {
                        return new Reply(headers, trailers, data.toByteArray(), Http2.readInt(f.payload(), 0));
                    }
                }
                default -> { }
            }
        }
    }

    /** Reads until the server closes the connection; returns the GOAWAY code seen, or -1. */
    int awaitClose() throws IOException, TimeoutException {
        while (next(10_000) != null) {
            Frame last = seen.get(seen.size() - 1);
            if (last.type() == Http2.GOAWAY) {
                goAwayCode = Http2.readInt(last.payload(), 4);
            }
        }
        return goAwayCode;
    }

    @Override
    public void close() throws IOException {
        reader.shutdownNow();
        channel.close();
    }
}
