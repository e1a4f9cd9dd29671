package dev.upfleet.cli.initctl.lean;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Protocol-buffers wire encoding (proto3) into a growing array, for the few messages of {@link ControlMessages}.
 * Fields are written in the order the caller writes them (ascending field numbers, as protobuf-java does), and
 * fields at their default value (empty string, false, 0) are left out, so the bytes equal protobuf-java's. Strings
 * are UTF-8; an unpaired surrogate becomes {@code ?}, as in protobuf-java's fallback encoding.
 *
 * <p>Written by hand so that initctl's start-up loads no protobuf-java class. Not thread-safe.
 */
public final class ProtoWriter {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int START_GROUP = 3;
    static final int END_GROUP = 4;
    static final int FIXED32 = 5;

    private byte[] buf;
    private int size;

    public ProtoWriter() {
        this(64);
    }

    ProtoWriter(int capacity) {
        buf = new byte[capacity];
    }

    /** A string field, unless empty. */
    public ProtoWriter string(int field, String value) {
        if (!value.isEmpty()) {
            presentString(field, value);
        }
        return this;
    }

    /** A string field with explicit presence ({@code optional}): written when not null, even if empty. */
    public ProtoWriter optionalString(int field, String value) {
        if (value != null) {
            presentString(field, value);
        }
        return this;
    }

    /** A repeated string field: one length-delimited record per element, empty ones included. */
    public ProtoWriter strings(int field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            presentString(field, values.get(i));
        }
        return this;
    }

    /** A bool field, unless false. */
    public ProtoWriter bool(int field, boolean value) {
        if (value) {
            tag(field, VARINT);
            put((byte) 1);
        }
        return this;
    }

    /** An int64 field, unless 0 (a negative value takes ten octets). */
    public ProtoWriter int64(int field, long value) {
        if (value != 0) {
            tag(field, VARINT);
            varint(value);
        }
        return this;
    }

    /** A message field (always written: proto3 message fields have presence). */
    public ProtoWriter message(int field, ControlMessages.Message value) {
        ProtoWriter nested = new ProtoWriter();
        value.writeTo(nested);
        bytes(field, nested.buf, 0, nested.size);
        return this;
    }

    /** Length-delimited raw octets (an already encoded message or a string's UTF-8). */
    ProtoWriter bytes(int field, byte[] value, int off, int len) {
        tag(field, LENGTH_DELIMITED);
        varint(len);
        ensure(len);
        System.arraycopy(value, off, buf, size, len);
        size += len;
        return this;
    }

    /** A field key: field number and wire type. */
    ProtoWriter tag(int field, int wireType) {
        varint((field << 3 | wireType) & 0xffffffffL);
        return this;
    }

    /** A base-128 varint, low group first; negative values as their 64-bit two's complement. */
    ProtoWriter varint(long value) {
        ensure(10);
        while ((value & ~0x7fL) != 0) {
            buf[size++] = (byte) ((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        buf[size++] = (byte) value;
        return this;
    }

    /** The encoded octets so far. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** {@code 5 + n} octets: the gRPC message prefix (not compressed, length) reserved ahead of the message. */
    static ProtoWriter grpcFramed() {
        ProtoWriter w = new ProtoWriter(128);
        w.size = 5;
        return w;
    }

    /** The gRPC length-prefixed message of a writer made by {@link #grpcFramed}. */
    byte[] toGrpcFrame() {
        int len = size - 5;
        buf[0] = 0;
        buf[1] = (byte) (len >>> 24);
        buf[2] = (byte) (len >>> 16);
        buf[3] = (byte) (len >>> 8);
        buf[4] = (byte) len;
        return Arrays.copyOf(buf, size);
    }

    private void presentString(int field, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        bytes(field, utf8, 0, utf8.length);
    }

    private void put(byte b) {
        ensure(1);
        buf[size++] = b;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
