package dev.upfleet.h2;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * HPACK (RFC 7541) for one HTTP/2 connection: a full decoder (static and dynamic table, table size updates,
 * integers, plain and Huffman string literals) and an encoder that writes every field as a literal without indexing
 * and without Huffman coding, so the peer's decoder state never depends on ours (and its SETTINGS_HEADER_TABLE_SIZE
 * never concerns us: we use none of its table).
 *
 * <p>Names and values are kept as ISO-8859-1 strings, one char per octet, so that sizes are octet counts.
 * Not thread-safe: one decoder per connection, used by the thread that reads the connection.
 */
public final class Hpack {
    /** One header field. */
    public record Header(String name, String value) {
        /** The size the field counts for in the dynamic table and in a header list (RFC 7541 §4.1, RFC 9113 §6.5.2). */
        public int size() {
            return name.length() + value.length() + 32;
        }
    }

    public static final int DEFAULT_TABLE_SIZE = 4096;

    private static final Header[] STATIC_TABLE = {
        null,
        new Header(":authority", ""),
        new Header(":method", "GET"),
        new Header(":method", "POST"),
        new Header(":path", "/"),
        new Header(":path", "/index.html"),
        new Header(":scheme", "http"),
        new Header(":scheme", "https"),
        new Header(":status", "200"),
        new Header(":status", "204"),
        new Header(":status", "206"),
        new Header(":status", "304"),
        new Header(":status", "400"),
        new Header(":status", "404"),
        new Header(":status", "500"),
        new Header("accept-charset", ""),
        new Header("accept-encoding", "gzip, deflate"),
        new Header("accept-language", ""),
        new Header("accept-ranges", ""),
        new Header("accept", ""),
        new Header("access-control-allow-origin", ""),
        new Header("age", ""),
        new Header("allow", ""),
        new Header("authorization", ""),
        new Header("cache-control", ""),
        new Header("content-disposition", ""),
        new Header("content-encoding", ""),
        new Header("content-language", ""),
        new Header("content-length", ""),
        new Header("content-location", ""),
        new Header("content-range", ""),
        new Header("content-type", ""),
        new Header("cookie", ""),
        new Header("date", ""),
        new Header("etag", ""),
        new Header("expect", ""),
        new Header("expires", ""),
        new Header("from", ""),
        new Header("host", ""),
        new Header("if-match", ""),
        new Header("if-modified-since", ""),
        new Header("if-none-match", ""),
        new Header("if-range", ""),
        new Header("if-unmodified-since", ""),
        new Header("last-modified", ""),
        new Header("link", ""),
        new Header("location", ""),
        new Header("max-forwards", ""),
        new Header("proxy-authenticate", ""),
        new Header("proxy-authorization", ""),
        new Header("range", ""),
        new Header("referer", ""),
        new Header("refresh", ""),
        new Header("retry-after", ""),
        new Header("server", ""),
        new Header("set-cookie", ""),
        new Header("strict-transport-security", ""),
        new Header("transfer-encoding", ""),
        new Header("user-agent", ""),
        new Header("vary", ""),
        new Header("via", ""),
        new Header("www-authenticate", ""),
    };
    static final int STATIC_TABLE_LENGTH = STATIC_TABLE.length - 1;

    /** The decoder's dynamic table, newest entry first. */
    private final ArrayDeque<Header> dynamic = new ArrayDeque<>();
    /** The limit we announced (SETTINGS_HEADER_TABLE_SIZE); size updates may not exceed it. */
    private final int maxTableSize;
    private int tableCapacity;
    private int tableSize;

    public Hpack(int maxTableSize) {
        this.maxTableSize = maxTableSize;
        this.tableCapacity = maxTableSize;
    }

    public Hpack() {
        this(DEFAULT_TABLE_SIZE);
    }

    /** The dynamic table's current size in octets (RFC 7541 §4.1). */
    public int tableSize() {
        return tableSize;
    }

    /** The dynamic table's entries, newest first (index 62 is the first). */
    public List<Header> dynamicTable() {
        return List.copyOf(dynamic);
    }

    /** Decodes one complete header block, updating the dynamic table. */
    public List<Header> decode(byte[] block) throws HpackException {
        return decode(block, 0, block.length);
    }

    public List<Header> decode(byte[] block, int off, int len) throws HpackException {
        return decode(block, off, len, Integer.MAX_VALUE);
    }

    /**
     * Decodes one complete header block, updating the dynamic table, and returns null instead of the fields when
     * their list size (RFC 9113 §6.5.2) exceeds {@code maxListSize}. The whole block is still decoded, so the table
     * stays in step with the peer's encoder, but fields past the limit are not kept: a small block that refers to a
     * large table entry many times costs no memory.
     */
    public List<Header> decode(byte[] block, int off, int len, int maxListSize) throws HpackException {
        Reader in = new Reader(block, off, off + len);
        List<Header> headers = new ArrayList<>();
        long listSize = 0;
        boolean fieldSeen = false;
        while (in.more()) {
            int b = in.peek();
            Header field;
            if ((b & 0x80) != 0) { // indexed field
                field = entry(in.integer(7));
            } else if ((b & 0x40) != 0) { // literal with incremental indexing
                field = literal(in, 6);
                add(field);
            } else if ((b & 0x20) != 0) { // dynamic table size update
                if (fieldSeen) {
                    throw new HpackException("dynamic table size update after a header field");
                }
                int size = in.integer(5);
                if (size > maxTableSize) {
                    throw new HpackException("dynamic table size update to " + size + " exceeds " + maxTableSize);
                }
                tableCapacity = size;
                evict(0);
                continue;
            } else { // literal without indexing (0000) or never indexed (0001)
                field = literal(in, 4);
            }
            fieldSeen = true;
            listSize += field.size();
            if (listSize <= maxListSize) {
                headers.add(field);
            }
        }
        return listSize <= maxListSize ? headers : null;
    }

    private Header literal(Reader in, int prefix) throws HpackException {
        int index = in.integer(prefix);
        String name = index == 0 ? in.string() : entry(index).name();
        return new Header(name, in.string());
    }

    private Header entry(int index) throws HpackException {
        if (index <= 0) {
            throw new HpackException("header index 0");
        }
        if (index <= STATIC_TABLE_LENGTH) {
            return STATIC_TABLE[index];
        }
        int d = index - STATIC_TABLE_LENGTH - 1;
        if (d >= dynamic.size()) {
            throw new HpackException("header index " + index + " beyond the dynamic table");
        }
        Iterator<Header> it = dynamic.iterator();
        for (int i = 0; i < d; i++) {
            it.next();
        }
        return it.next();
    }

    private void add(Header h) {
        int size = h.size();
        if (size > tableCapacity) { // RFC 7541 §4.4: an entry larger than the table empties it
            dynamic.clear();
            tableSize = 0;
            return;
        }
        evict(size);
        dynamic.addFirst(h);
        tableSize += size;
    }

    /** Evicts the oldest entries until {@code room} more octets fit. */
    private void evict(int room) {
        while (tableSize + room > tableCapacity && !dynamic.isEmpty()) {
            tableSize -= dynamic.removeLast().size();
        }
    }

    /** Appends {@code name: value} as a literal field without indexing, new name, no Huffman coding. */
    public static void encodeLiteral(ByteArrayOutputStream out, String name, String value) {
        out.write(0x00);
        encodeString(out, name);
        encodeString(out, value);
    }

    private static void encodeString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        encodeInteger(out, 0x00, 7, bytes.length);
        out.writeBytes(bytes);
    }

    /** RFC 7541 §5.1: {@code value} in an N-bit prefix of a first octet whose high bits are {@code flags}. */
    public static void encodeInteger(ByteArrayOutputStream out, int flags, int prefixBits, int value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(flags | value);
            return;
        }
        out.write(flags | max);
        value -= max;
        while (value >= 0x80) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    /** A cursor over a header block. */
    private static final class Reader {
        private final byte[] buf;
        private final int end;
        private int pos;

        Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int peek() {
            return buf[pos] & 0xff;
        }

        private int next() throws HpackException {
            if (pos >= end) {
                throw new HpackException("truncated header block");
            }
            return buf[pos++] & 0xff;
        }

        /** RFC 7541 §5.1, refusing values that do not fit an int. */
        int integer(int prefixBits) throws HpackException {
            int max = (1 << prefixBits) - 1;
            int value = next() & max;
            if (value < max) {
                return value;
            }
            long v = value;
            int shift = 0;
            int b;
            do {
                b = next();
                v += (long) (b & 0x7f) << shift;
                shift += 7;
                if (v > Integer.MAX_VALUE) {
                    throw new HpackException("integer overflow in header block");
                }
            } while ((b & 0x80) != 0);
            return (int) v;
        }

        /** RFC 7541 §5.2: a string literal, Huffman-decoded if its H bit is set. */
        String string() throws HpackException {
            if (!more()) {
                throw new HpackException("truncated header block");
            }
            boolean huffman = (peek() & 0x80) != 0;
            int len = integer(7);
            if (len > end - pos) {
                throw new HpackException("string literal runs past the header block");
            }
            byte[] bytes = huffman ? Huffman.decode(buf, pos, len) : Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }
}
