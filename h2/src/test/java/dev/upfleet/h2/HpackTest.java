package dev.upfleet.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.h2.Hpack.Header;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HPACK decoding with the examples of RFC 7541 Appendix C, and against Netty's encoder (Huffman, indexing). */
class HpackTest {
    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s", ""));
    }

    static List<Header> headers(String... nameValues) {
        List<Header> out = new ArrayList<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            out.add(new Header(nameValues[i], nameValues[i + 1]));
        }
        return out;
    }

    @Test
    void integersC1() {
        var b = new ByteArrayOutputStream();
        Hpack.encodeInteger(b, 0, 5, 10);
        assertThat(b.toByteArray()).isEqualTo(hex("0a"));
        b.reset();
        Hpack.encodeInteger(b, 0, 5, 1337);
        assertThat(b.toByteArray()).isEqualTo(hex("1f9a0a"));
        b.reset();
        Hpack.encodeInteger(b, 0, 8, 42);
        assertThat(b.toByteArray()).isEqualTo(hex("2a"));
    }

    @Test
    void literalFieldsC2() throws Exception {
        Hpack h = new Hpack();
        // C.2.1: literal with indexing
        assertThat(h.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")))
                .containsExactly(new Header("custom-key", "custom-header"));
        assertThat(h.tableSize()).isEqualTo(55);
        // C.2.2: literal without indexing, C.2.3: never indexed, C.2.4: indexed
        Hpack g = new Hpack();
        assertThat(g.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).containsExactly(new Header(":path", "/sample/path"));
        assertThat(g.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")))
                .containsExactly(new Header("password", "secret"));
        assertThat(g.decode(hex("82"))).containsExactly(new Header(":method", "GET"));
        assertThat(g.tableSize()).isZero();
    }

    @Test
    void requestsWithoutHuffmanC3() throws Exception {
        Hpack h = new Hpack();
        assertThat(h.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))).isEqualTo(headers(
                ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"));
        assertThat(h.tableSize()).isEqualTo(57);
        assertThat(h.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865"))).isEqualTo(headers(
                ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
                "cache-control", "no-cache"));
        assertThat(h.tableSize()).isEqualTo(110);
        assertThat(h.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")))
                .isEqualTo(headers(":method", "GET", ":scheme", "https", ":path", "/index.html",
                        ":authority", "www.example.com", "custom-key", "custom-value"));
        assertThat(h.tableSize()).isEqualTo(164);
    }

    @Test
    void requestsWithHuffmanC4() throws Exception {
        Hpack h = new Hpack();
        assertThat(h.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))).isEqualTo(headers(
                ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"));
        assertThat(h.decode(hex("8286 84be 5886 a8eb 1064 9cbf"))).isEqualTo(headers(
                ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
                "cache-control", "no-cache"));
        assertThat(h.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")))
                .isEqualTo(headers(":method", "GET", ":scheme", "https", ":path", "/index.html",
                        ":authority", "www.example.com", "custom-key", "custom-value"));
        assertThat(h.tableSize()).isEqualTo(164);
        assertThat(h.dynamicTable()).containsExactly(new Header("custom-key", "custom-value"),
                new Header("cache-control", "no-cache"), new Header(":authority", "www.example.com"));
    }

    static final List<Header> RESPONSE_1 = headers(":status", "302", "cache-control", "private",
            "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com");
    static final List<Header> RESPONSE_2 = headers(":status", "307", "cache-control", "private",
            "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com");
    static final List<Header> RESPONSE_3 = headers(":status", "200", "cache-control", "private",
            "date", "Mon, 21 Oct 2013 20:13:22 GMT", "location", "https://www.example.com",
            "content-encoding", "gzip", "set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");

    @Test
    void responsesWithoutHuffmanC5EvictFromA256OctetTable() throws Exception {
        Hpack h = new Hpack(256);
        assertThat(h.decode(hex("""
                4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133
                3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"""))).isEqualTo(RESPONSE_1);
        assertThat(h.tableSize()).isEqualTo(222);
        assertThat(h.decode(hex("4803 3330 37c1 c0bf"))).isEqualTo(RESPONSE_2);
        assertThat(h.tableSize()).isEqualTo(222);
        assertThat(h.decode(hex("""
                88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970
                7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61
                6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"""))).isEqualTo(RESPONSE_3);
        assertThat(h.tableSize()).isEqualTo(215);
        assertThat(h.dynamicTable()).extracting(Header::name).containsExactly("set-cookie", "content-encoding", "date");
    }

    @Test
    void responsesWithHuffmanC6() throws Exception {
        Hpack h = new Hpack(256);
        assertThat(h.decode(hex("""
                4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad
                1718 63c7 8f0b 97c8 e9ae 82ae 43d3"""))).isEqualTo(RESPONSE_1);
        assertThat(h.decode(hex("4883 640e ffc1 c0bf"))).isEqualTo(RESPONSE_2);
        assertThat(h.decode(hex("""
                88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2
                e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07""")))
                .isEqualTo(RESPONSE_3);
        assertThat(h.tableSize()).isEqualTo(215);
    }

    @Test
    void tableSizeUpdates() throws Exception {
        Hpack h = new Hpack();
        h.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        assertThat(h.tableSize()).isEqualTo(57);
        assertThat(h.decode(hex("20"))).isEmpty(); // size 0 empties the table
        assertThat(h.tableSize()).isZero();
        assertThat(h.decode(hex("3fe1 1f 82"))).containsExactly(new Header(":method", "GET")); // back to 4096
        assertThatThrownBy(() -> h.decode(hex("3fe2 1f"))).isInstanceOf(HpackException.class); // 4097 > limit
        assertThatThrownBy(() -> h.decode(hex("82 20"))).isInstanceOf(HpackException.class); // after a field
    }

    @Test
    void headerListLimitKeepsTheTableInStep() throws Exception {
        Hpack h = new Hpack();
        byte[] c31 = hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        assertThat(h.decode(c31, 0, c31.length, 100)).isNull(); // 4 fields: 42+39+37+57 octets > 100
        assertThat(h.tableSize()).isEqualTo(57); // the :authority literal was still indexed
        byte[] c32 = hex("8286 84be 5808 6e6f 2d63 6163 6865");
        assertThat(h.decode(c32, 0, c32.length, 4096)).hasSize(5);
        // a small block naming one big entry many times costs no memory past the limit
        Hpack g = new Hpack();
        var big = new ByteArrayOutputStream();
        big.write(0x40);
        Hpack.encodeInteger(big, 0, 7, 1);
        big.write('x');
        Hpack.encodeInteger(big, 0, 7, 3000);
        big.writeBytes(new byte[3000]);
        for (int i = 0; i < 10_000; i++) {
            big.write(0xbe); // index 62: the entry just added
        }
        byte[] block = big.toByteArray();
        assertThat(g.decode(block, 0, block.length, 8192)).isNull();
    }

    @Test
    void malformedBlocksAreRefused() {
        Hpack h = new Hpack();
        assertThatThrownBy(() -> h.decode(hex("80"))).isInstanceOf(HpackException.class); // index 0
        assertThatThrownBy(() -> h.decode(hex("be"))).isInstanceOf(HpackException.class); // empty dynamic table
        assertThatThrownBy(() -> h.decode(hex("400a 6375"))).isInstanceOf(HpackException.class); // truncated
        assertThatThrownBy(() -> h.decode(hex("ff ff ff ff ff 0f"))).isInstanceOf(HpackException.class); // overflow
    }

    @Test
    void decodesWhatNettysEncoderWritesHuffmanAndIndexedAcrossBlocks() throws Exception {
        DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
        Hpack decoder = new Hpack();
        String[] names = {":authority", ":method", ":path", ":scheme", ":status", "accept-charset", "accept-encoding",
            "accept-language", "accept-ranges", "accept", "access-control-allow-origin", "age", "allow",
            "authorization", "cache-control", "content-disposition", "content-encoding", "content-language",
            "content-length", "content-location", "content-range", "content-type", "cookie", "date", "etag",
            "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
            "if-unmodified-since", "last-modified", "link", "location", "max-forwards", "proxy-authenticate",
            "proxy-authorization", "range", "referer", "refresh", "retry-after", "server", "set-cookie",
            "strict-transport-security", "transfer-encoding", "user-agent", "vary", "via", "www-authenticate"};
        for (int round = 0; round < 3; round++) {
            Http2Headers in = new DefaultHttp2Headers(false);
            List<Header> expected = new ArrayList<>();
            for (String n : names) {
                String v = n.startsWith(":") ? switch (n) {
                    case ":method" -> round == 0 ? "GET" : "POST";
                    case ":status" -> List.of("200", "404", "503").get(round);
                    case ":scheme" -> "http";
                    default -> "/v" + round;
                } : "value of " + n + " #" + round % 2 + " \u00e9\u00ff%~";
                in.add(n, v);
                expected.add(new Header(n, v));
            }
            in.add("grpc-message", "Unknown job: %C3%A9 " + round);
            expected.add(new Header("grpc-message", "Unknown job: %C3%A9 " + round));
            ByteBuf buf = Unpooled.buffer();
            encoder.encodeHeaders(1, in, buf);
            byte[] block = new byte[buf.readableBytes()];
            buf.readBytes(block);
            assertThat(decoder.decode(block)).as("round " + round).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(decoder.tableSize()).isPositive();
    }
}
