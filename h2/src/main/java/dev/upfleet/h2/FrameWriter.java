package dev.upfleet.h2;

import java.io.ByteArrayOutputStream;

/**
 * Appends HTTP/2 frames to a growing buffer, to be written to the socket in one go. A header block larger than the
 * peer's SETTINGS_MAX_FRAME_SIZE is split into HEADERS and CONTINUATION frames. Not thread-safe.
 */
public final class FrameWriter {
    /** Past this, {@link #take} starts a new buffer rather than keep a big one for the connection's lifetime. */
    private static final int KEEP_CAPACITY = 64 * 1024;

    private final int initialCapacity;
    private ByteArrayOutputStream out;

    public FrameWriter(int initialCapacity) {
        this.initialCapacity = initialCapacity;
        this.out = new ByteArrayOutputStream(initialCapacity);
    }

    public int size() {
        return out.size();
    }

    /** The frames written so far, and an empty buffer. */
    public byte[] take() {
        byte[] b = out.toByteArray();
        if (b.length > KEEP_CAPACITY) {
            out = new ByteArrayOutputStream(initialCapacity);
        } else {
            out.reset();
        }
        return b;
    }

    public void raw(byte[] b) {
        out.writeBytes(b);
    }

    public void frameHeader(int type, int flags, int stream, int length) {
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.write(type);
        out.write(flags);
        writeInt(stream);
    }

    /** A SETTINGS frame with {@code idValues} pairs (id, value, id, value...). */
    public void settings(int... idValues) {
        frameHeader(Http2.SETTINGS, 0, 0, idValues.length / 2 * 6);
        for (int i = 0; i + 1 < idValues.length; i += 2) {
            out.write(idValues[i] >>> 8);
            out.write(idValues[i]);
            writeInt(idValues[i + 1]);
        }
    }

    public void settingsAck() {
        frameHeader(Http2.SETTINGS, Http2.FLAG_ACK, 0, 0);
    }

    public void ping(int flags, byte[] opaque) {
        frameHeader(Http2.PING, flags, 0, opaque.length);
        out.writeBytes(opaque);
    }

    public void windowUpdate(int stream, int increment) {
        frameHeader(Http2.WINDOW_UPDATE, 0, stream, 4);
        writeInt(increment);
    }

    public void rstStream(int stream, int code) {
        frameHeader(Http2.RST_STREAM, 0, stream, 4);
        writeInt(code);
    }

    public void goAway(int lastStream, int code, byte[] debug) {
        frameHeader(Http2.GOAWAY, 0, 0, 8 + debug.length);
        writeInt(lastStream);
        writeInt(code);
        out.writeBytes(debug);
    }

    /** A header block as HEADERS (+ CONTINUATION) frames of at most {@code maxFrame} octets each. */
    public void headers(int stream, byte[] block, boolean endStream, int maxFrame) {
        int off = 0;
        int type = Http2.HEADERS;
        do {
            int len = Math.min(maxFrame, block.length - off);
            boolean last = off + len == block.length;
            int flags = (last ? Http2.FLAG_END_HEADERS : 0) | (type == Http2.HEADERS && endStream ? Http2.FLAG_END_STREAM : 0);
            frameHeader(type, flags, stream, len);
            out.write(block, off, len);
            off += len;
            type = Http2.CONTINUATION;
        } while (off < block.length);
    }

    public void data(int stream, byte[] b, int off, int len, boolean endStream) {
        frameHeader(Http2.DATA, endStream ? Http2.FLAG_END_STREAM : 0, stream, len);
        out.write(b, off, len);
    }

    public void writeInt(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
