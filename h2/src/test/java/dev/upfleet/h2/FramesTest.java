package dev.upfleet.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Frames written by {@link FrameWriter} and read back by {@link FrameReader}, and the reader's refusals. */
class FramesTest {
    static ReadableByteChannel channel(byte[] b) {
        return Channels.newChannel(new ByteArrayInputStream(b));
    }

    @Test
    void writtenFramesReadBack() throws Exception {
        FrameWriter w = new FrameWriter(64);
        w.raw(Http2.PREFACE);
        w.settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20, Http2.SETTINGS_MAX_FRAME_SIZE, 32768);
        w.settingsAck();
        w.ping(0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        w.windowUpdate(3, 1000);
        w.rstStream(5, Http2.CANCEL);
        w.goAway(7, Http2.ENHANCE_YOUR_CALM, "calm".getBytes());
        w.data(9, new byte[] {9, 9, 9}, 1, 2, true);
        FrameReader r = new FrameReader(channel(w.take()), Http2.DEFAULT_MAX_FRAME);
        r.readPreface();
        Frame settings = r.read();
        assertThat(settings.type()).isEqualTo(Http2.SETTINGS);
        assertThat(HexFormat.of().formatHex(settings.payload())).isEqualTo("000400100000" + "000500008000");
        assertThat(r.read().has(Http2.FLAG_ACK)).isTrue();
        assertThat(r.read().payload()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        Frame wu = r.read();
        assertThat(wu.stream()).isEqualTo(3);
        assertThat(Http2.readInt(wu.payload(), 0)).isEqualTo(1000);
        assertThat(Http2.readInt(r.read().payload(), 0)).isEqualTo(Http2.CANCEL);
        Frame goAway = r.read();
        assertThat(Http2.readInt(goAway.payload(), 0)).isEqualTo(7);
        assertThat(Http2.errorName(Http2.readInt(goAway.payload(), 4))).isEqualTo("ENHANCE_YOUR_CALM");
        Frame data = r.read();
        assertThat(data.stream()).isEqualTo(9);
        assertThat(data.has(Http2.FLAG_END_STREAM)).isTrue();
        assertThat(data.payload()).containsExactly(9, 9);
        assertThatThrownBy(r::read).isInstanceOf(EOFException.class);
    }

    @Test
    void largeHeaderBlocksAreSplitIntoContinuations() throws Exception {
        byte[] block = new byte[40_000];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) i;
        }
        FrameWriter w = new FrameWriter(64);
        w.headers(1, block, true, Http2.DEFAULT_MAX_FRAME);
        FrameReader r = new FrameReader(channel(w.take()), Http2.DEFAULT_MAX_FRAME);
        Frame first = r.read();
        Frame second = r.read();
        Frame third = r.read();
        assertThat(first.type()).isEqualTo(Http2.HEADERS);
        assertThat(first.flags()).isEqualTo(Http2.FLAG_END_STREAM);
        assertThat(second.type()).isEqualTo(Http2.CONTINUATION);
        assertThat(second.flags()).isZero();
        assertThat(third.type()).isEqualTo(Http2.CONTINUATION);
        assertThat(third.flags()).isEqualTo(Http2.FLAG_END_HEADERS);
        assertThat(first.payload().length + second.payload().length + third.payload().length).isEqualTo(40_000);
    }

    @Test
    void paddingAndPriorityAreStripped() throws Exception {
        // HEADERS, PADDED | PRIORITY | END_HEADERS: pad length 2, 5 octets of priority, block "82", 2 octets of padding
        Frame f = new Frame(Http2.HEADERS, Http2.FLAG_PADDED | Http2.FLAG_PRIORITY | Http2.FLAG_END_HEADERS, 1,
                HexFormat.of().parseHex("02" + "8000000310" + "82" + "0000"));
        assertThat(f.content()).containsExactly(6, 1);
        Frame tooMuchPadding = new Frame(Http2.DATA, Http2.FLAG_PADDED, 1, HexFormat.of().parseHex("05aabb"));
        assertThatThrownBy(tooMuchPadding::content).isInstanceOf(Http2Exception.class);
        Frame shortPriority = new Frame(Http2.HEADERS, Http2.FLAG_PRIORITY, 1, HexFormat.of().parseHex("0000"));
        assertThatThrownBy(shortPriority::content).isInstanceOf(Http2Exception.class);
    }

    @Test
    void oversizedFramesAndBadPrefacesAreRefused() {
        FrameWriter w = new FrameWriter(64);
        w.frameHeader(Http2.DATA, 0, 1, Http2.DEFAULT_MAX_FRAME + 1);
        FrameReader big = new FrameReader(channel(w.take()), Http2.DEFAULT_MAX_FRAME);
        assertThatThrownBy(big::read).isInstanceOf(Http2Exception.class)
                .satisfies(e -> assertThat(((Http2Exception) e).errorCode()).isEqualTo(Http2.FRAME_SIZE_ERROR));
        FrameReader http1 = new FrameReader(channel("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes()), 16384);
        assertThatThrownBy(http1::readPreface).isInstanceOf(Http2Exception.class);
        FrameReader truncated = new FrameReader(channel(new byte[] {0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2}), 16384);
        assertThatThrownBy(truncated::read).isInstanceOf(EOFException.class).hasMessageContaining("inside a frame");
    }
}
