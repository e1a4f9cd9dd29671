package dev.upfleet.cli.initctl.lean;

import java.nio.charset.StandardCharsets;

/**
 * Protocol-buffers wire decoding (proto3) of one message held in an array, for the few messages of
 * {@link ControlMessages}. It accepts and refuses what protobuf-java's generated parsers do: a field whose number
 * and wire type do not match a known field is skipped as unknown (groups included); truncated input, a varint
 * longer than ten octets, field number 0, wire types 6 and 7, a stray or mismatched end-group, a negative length
 * and a string that is not valid UTF-8 are {@link ProtoException}s.
 *
 * <p>Written by hand so that initctl's start-up loads no protobuf-java class. Not thread-safe.
 */
public final class ProtoReader {
    /** protobuf-java's default recursion limit (nested groups here; our messages nest three deep at most). */
    private static final int MAX_DEPTH = 100;

    private final byte[] buf;
    private final int limit;
    private final int depth;
    private int pos;

    private ProtoReader(byte[] buf, int offset, int limit, int depth) {
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
        this.depth = depth;
    }

    /** A reader of the message in {@code buf[offset, offset + length)}. */
    public static ProtoReader of(byte[] buf, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " of " + buf.length);
        }
        return new ProtoReader(buf, offset, offset + length, 0);
    }

    public static ProtoReader of(byte[] buf) {
        return of(buf, 0, buf.length);
    }

    /**
     * The next field's tag ({@code number << 3 | wireType}), or 0 at the end of the message. An end-group tag is
     * returned as is (to {@link #skipGroup}); at message level the caller passes it to {@link #skip}, which refuses it.
     */
    public int tag() throws ProtoException {
        if (pos == limit) {
            return 0;
        }
        int tag = (int) varint();
        if (tag >>> 3 == 0) {
            throw new ProtoException("Protocol message contained an invalid tag (zero).");
        }
        return tag;
    }

    /** A varint field's value (int64, or bool as {@code != 0}). */
    public long varint() throws ProtoException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos == limit) {
                throw truncated();
            }
            byte b = buf[pos++];
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new ProtoException("CodedInputStream encountered a malformed varint.");
    }

    public boolean bool() throws ProtoException {
        return varint() != 0;
    }

    /** A string field's value; its octets must be well-formed UTF-8, as proto3 requires. */
    public String string() throws ProtoException {
        int len = length();
        int start = pos;
        pos += len;
        if (!Utf8.isValid(buf, start, len)) {
            throw new ProtoException("Protocol message had invalid UTF-8.");
        }
        return new String(buf, start, len, StandardCharsets.UTF_8);
    }

    /** A reader of the embedded message that is this length-delimited field's value. */
    public ProtoReader message() throws ProtoException {
        int len = length();
        int start = pos;
        pos += len;
        return new ProtoReader(buf, start, start + len, depth + 1);
    }

    /** The octets of a length-delimited field's value, as they are. */
    public byte[] bytes() throws ProtoException {
        int len = length();
        byte[] b = new byte[len];
        System.arraycopy(buf, pos, b, 0, len);
        pos += len;
        return b;
    }

    /** The octets not read yet (all of them, for a new reader): the message as it came. */
    public byte[] rest() {
        byte[] b = new byte[limit - pos];
        System.arraycopy(buf, pos, b, 0, b.length);
        return b;
    }

    /** Skips the value of a field the message does not know. */
    public void skip(int tag) throws ProtoException {
        switch (tag & 7) {
            case ProtoWriter.VARINT -> varint();
            case ProtoWriter.FIXED64 -> advance(8);
            case ProtoWriter.LENGTH_DELIMITED -> advance(length());
            case ProtoWriter.START_GROUP -> skipGroup(tag >>> 3);
            case ProtoWriter.END_GROUP -> throw new ProtoException(
                    "Protocol message end-group tag did not match expected tag.");
            case ProtoWriter.FIXED32 -> advance(4);
            default -> throw new ProtoException("Protocol message tag had invalid wire type.");
        }
    }

    private void skipGroup(int field) throws ProtoException {
        if (depth + 1 >= MAX_DEPTH) {
            throw new ProtoException("Protocol message had too many levels of nesting.");
        }
        ProtoReader group = new ProtoReader(buf, pos, limit, depth + 1);
        int end = field << 3 | ProtoWriter.END_GROUP;
        for (int t = group.tag(); t != end; t = group.tag()) {
            if (t == 0) {
                throw truncated();
            }
            group.skip(t);
        }
        pos = group.pos;
    }

    private int length() throws ProtoException {
        int len = (int) varint();
        if (len < 0) {
            throw new ProtoException(
                    "CodedInputStream encountered an embedded string or message which claimed to have negative size.");
        }
        if (len > limit - pos) {
            throw truncated();
        }
        return len;
    }

    private void advance(int n) throws ProtoException {
        if (n > limit - pos) {
            throw truncated();
        }
        pos += n;
    }

    private static ProtoException truncated() {
        return new ProtoException("While parsing a protocol message, the input ended unexpectedly in the middle of a "
                + "field.  This could mean either that the input has been truncated or that an embedded message "
                + "misreported its own length.");
    }
}
