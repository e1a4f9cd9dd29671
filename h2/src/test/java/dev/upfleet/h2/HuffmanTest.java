package dev.upfleet.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HuffmanTest {
    static byte[] encode(byte[] s) {
        return Huffman.encode(s);
    }

    static String decode(String hex) throws HpackException {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        return new String(Huffman.decode(b, 0, b.length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void rfc7541Examples() throws Exception {
        assertThat(decode("f1e3 c2e5 f23a 6ba0 ab90 f4ff")).isEqualTo("www.example.com");
        assertThat(decode("a8eb 1064 9cbf")).isEqualTo("no-cache");
        assertThat(decode("25a8 49e9 5ba9 7d7f")).isEqualTo("custom-key");
        assertThat(decode("25a8 49e9 5bb8 e8b4 bf")).isEqualTo("custom-value");
        assertThat(decode("6402")).isEqualTo("302");
        assertThat(decode("aec3 771a 4b")).isEqualTo("private");
        assertThat(decode("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")).isEqualTo("Mon, 21 Oct 2013 20:13:21 GMT");
        assertThat(decode("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")).isEqualTo("https://www.example.com");
    }

    @Test
    void encodesTheRfcExamples() {
        assertThat(HexFormat.of().formatHex(encode("www.example.com".getBytes(StandardCharsets.ISO_8859_1))))
                .isEqualTo("f1e3c2e5f23a6ba0ab90f4ff");
        assertThat(HexFormat.of().formatHex(encode("custom-value".getBytes(StandardCharsets.ISO_8859_1))))
                .isEqualTo("25a849e95bb8e8b4bf");
    }

    @Test
    void everySymbolRoundTrips() throws Exception {
        byte[] all = new byte[256 * 3];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 7);
        }
        byte[] enc = encode(all);
        assertThat(Huffman.decode(enc, 0, enc.length)).isEqualTo(all);
        for (int sym = 0; sym < 256; sym++) {
            byte[] one = encode(new byte[] {(byte) sym});
            assertThat(Huffman.decode(one, 0, one.length)).containsExactly((byte) sym);
        }
        assertThat(Huffman.decode(new byte[0], 0, 0)).isEmpty();
    }

    @Test
    void badPaddingAndEosAreRefused() {
        // "0" is 00000 (5 bits); padding must be ones
        assertThatThrownBy(() -> Huffman.decode(new byte[] {0x00}, 0, 1)).isInstanceOf(HpackException.class);
        // a whole byte of ones is more than 7 bits of padding
        assertThatThrownBy(() -> Huffman.decode(new byte[] {0x07, (byte) 0xff}, 0, 2)).isInstanceOf(HpackException.class);
        // EOS (30 ones) inside the string
        byte[] eos = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> Huffman.decode(eos, 0, 4)).isInstanceOf(HpackException.class);
    }
}
