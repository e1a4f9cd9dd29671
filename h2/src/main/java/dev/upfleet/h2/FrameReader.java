package dev.upfleet.h2;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * Reads HTTP/2 frames from a blocking channel through one buffer. A frame longer than the limit the reader was given
 * (our SETTINGS_MAX_FRAME_SIZE) is a FRAME_SIZE_ERROR before its payload is read, so a peer cannot make us buffer
 * more than that. Not thread-safe: one reader per connection.
 */
public final class FrameReader {
    private final ReadableByteChannel channel;
    private final ByteBuffer in;
    private final int maxFrame;

    public FrameReader(ReadableByteChannel channel, int maxFrame) {
        this.channel = channel;
        this.maxFrame = maxFrame;
        this.in = ByteBuffer.allocate(Math.max(8192, Math.min(maxFrame, 32 * 1024) + Http2.FRAME_HEADER_LENGTH)).flip();
    }

    /** Reads and checks the client connection preface (RFC 9113 §3.4). */
    public void readPreface() throws IOException {
        byte[] got = new byte[Http2.PREFACE.length];
        readFully(got, 0, got.length);
        if (!Arrays.equals(got, Http2.PREFACE)) {
            throw new Http2Exception(Http2.PROTOCOL_ERROR, "not an HTTP/2 connection preface");
        }
    }

    /** The next frame; EOFException when the peer closed the connection between frames. */
    public Frame read() throws IOException {
        fill(Http2.FRAME_HEADER_LENGTH, true);
        int length = (in.get() & 0xff) << 16 | (in.get() & 0xff) << 8 | (in.get() & 0xff);
        int type = in.get() & 0xff;
        int flags = in.get() & 0xff;
        int stream = in.getInt() & 0x7fffffff;
        if (length > maxFrame) {
            throw new Http2Exception(Http2.FRAME_SIZE_ERROR, "frame of " + length + " octets exceeds " + maxFrame);
        }
        byte[] payload = new byte[length];
        readFully(payload, 0, length);
        return new Frame(type, flags, stream, payload);
    }

    private void readFully(byte[] dst, int off, int len) throws IOException {
        while (len > 0) {
            if (!in.hasRemaining()) {
                fill(1, false);
            }
            int n = Math.min(len, in.remaining());
            in.get(dst, off, n);
            off += n;
            len -= n;
        }
    }

    /** Makes at least {@code n} (at most the buffer's capacity) unread octets available. */
    private void fill(int n, boolean atFrameStart) throws IOException {
        while (in.remaining() < n) {
            boolean nothingYet = !in.hasRemaining();
            in.compact();
            int r = channel.read(in);
            in.flip();
            if (r < 0) {
                throw new EOFException(atFrameStart && nothingYet ? "connection closed" : "connection closed inside a frame");
            }
        }
    }
}
