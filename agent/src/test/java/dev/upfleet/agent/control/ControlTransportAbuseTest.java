package dev.upfleet.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.h2.Frame;
import dev.upfleet.h2.FrameWriter;
import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.Http2;
import dev.upfleet.h2.Huffman;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.ListReply;
import dev.upfleet.proto.control.v1.StatusReply;
import dev.upfleet.proto.control.v1.VersionReply;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket's HTTP/2 transport driven frame by frame over a raw socket: what a well-behaved client may send
 * in forms grpc-java's client does not use (padding, priority, CONTINUATION, Huffman, the dynamic table, small
 * windows), and bad input, which is refused with a status or a GOAWAY while the server keeps serving.
 */
class ControlTransportAbuseTest {
    static final String VERSION = "/upfleet.control.v1.Control/Version";
    static final String STATUS = "/upfleet.control.v1.Control/Status";
    static final String LIST = "/upfleet.control.v1.Control/List";
    static final String MONITOR = "/upfleet.control.v1.Control/Monitor";

    @TempDir
    Path dir;

    FakeJobControl fake;
    ControlServer server;

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeJobControl().job("svc", null);
        server = new ControlServer(dir.resolve("agent.sock"), fake);
    }

    @AfterEach
    void tearDown() throws Exception {
        stillServes();
        server.close();
        assertThat(server.socket()).doesNotExist();
    }

    /** A new connection still gets an answer. */
    private void stillServes() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            RawH2.Reply r = c.call(1, VERSION, new byte[0]).await(1);
            assertThat(r.grpcStatus()).isEqualTo("0");
            assertThat(VersionReply.parseFrom(r.message()).getVersion()).startsWith("init");
        }
    }

    @Test
    void unaryCallWithPaddingPriorityContinuationAndHuffman() throws Exception {
        // the block: indexed :method POST (3), :scheme http (6); :path with incremental indexing and Huffman
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x83);
        b.write(0x86);
        b.write(0x44); // literal with indexing, name index 4 (:path)
        byte[] path = Huffman.encode(STATUS.getBytes(StandardCharsets.ISO_8859_1));
        Hpack.encodeInteger(b, 0x80, 7, path.length);
        b.writeBytes(path);
        b.writeBytes(RawH2.block(":authority", "localhost", "content-type", "application/grpc", "te", "trailers"));
        byte[] block = b.toByteArray();
        byte[] message = GrpcWire.frame(JobRequest.newBuilder().setJob("svc").build().toByteArray());
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            c.send(w -> {
                // HEADERS: PADDED | PRIORITY, the first 4 octets of the block; the rest in two CONTINUATIONs
                int padding = 3;
                w.frameHeader(Http2.HEADERS, Http2.FLAG_PADDED | Http2.FLAG_PRIORITY, 1, 1 + 5 + 4 + padding);
                w.raw(new byte[] {(byte) padding, 0, 0, 0, 0, 15});
                w.raw(java.util.Arrays.copyOfRange(block, 0, 4));
                w.raw(new byte[padding]);
                w.frameHeader(Http2.CONTINUATION, 0, 1, 5);
                w.raw(java.util.Arrays.copyOfRange(block, 4, 9));
                w.frameHeader(Http2.CONTINUATION, Http2.FLAG_END_HEADERS, 1, block.length - 9);
                w.raw(java.util.Arrays.copyOfRange(block, 9, block.length));
                // DATA: PADDED, then an empty DATA ending the stream
                w.frameHeader(Http2.DATA, Http2.FLAG_PADDED, 1, 1 + message.length + 2);
                w.raw(new byte[] {2});
                w.raw(message);
                w.raw(new byte[2]);
                w.data(1, new byte[0], 0, 0, true);
            });
            RawH2.Reply r = c.await(1);
            assertThat(r.grpcStatus()).isEqualTo("0");
            assertThat(StatusReply.parseFrom(r.message()).getStatus().getJob()).isEqualTo("svc");
            // a second call refers to the :path entry in the dynamic table (index 62)
            c.send(w -> {
                ByteArrayOutputStream b2 = new ByteArrayOutputStream();
                b2.write(0x83);
                b2.write(0x86);
                b2.write(0xbe);
                b2.writeBytes(RawH2.block(":authority", "localhost", "content-type", "application/grpc"));
                w.headers(3, b2.toByteArray(), false, Http2.DEFAULT_MAX_FRAME);
                w.data(3, message, 0, message.length, true);
            });
            assertThat(StatusReply.parseFrom(c.await(3).message()).getStatus().getJob()).isEqualTo("svc");
            // PING is answered with the same octets
            byte[] opaque = {8, 7, 6, 5, 4, 3, 2, 1};
            c.send(w -> w.ping(0, opaque));
            Frame ack = c.next(5000);
            while (ack.type() != Http2.PING) {
                ack = c.next(5000);
            }
            assertThat(ack.has(Http2.FLAG_ACK)).isTrue();
            assertThat(ack.payload()).isEqualTo(opaque);
        }
    }

    @Test
    void largeReplyFollowsTheClientsWindows() throws Exception {
        for (int i = 0; i < 10_000; i++) {
            fake.job("job-with-a-longish-name-" + i, null);
        }
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            c.autoWindowUpdates = false;
            c.call(1, LIST, new byte[0]);
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            // the default windows: 65,535 octets, then nothing until we give more
            while (data.size() < Http2.DEFAULT_WINDOW) {
                Frame f = c.next(5000);
                if (f.type() == Http2.SETTINGS && !f.has(Http2.FLAG_ACK)) {
                    c.send(FrameWriter::settingsAck);
                }
                if (f.type() == Http2.DATA) {
                    assertThat(f.payload().length).isLessThanOrEqualTo(Http2.DEFAULT_MAX_FRAME);
                    data.writeBytes(f.payload());
                }
            }
            assertThat(data.size()).isEqualTo(Http2.DEFAULT_WINDOW);
            assertThat(c.quiet(300)).isTrue();
            c.send(w -> w.windowUpdate(1, 10 << 20)); // the stream's window alone does not help
            assertThat(c.quiet(300)).isTrue();
            c.autoWindowUpdates = true;
            c.send(w -> w.windowUpdate(0, 10 << 20));
            RawH2.Reply rest = c.await(1);
            data.writeBytes(rest.data());
            assertThat(rest.grpcStatus()).isEqualTo("0");
            byte[] all = data.toByteArray();
            assertThat(all.length).isGreaterThan(4 * Http2.DEFAULT_WINDOW);
            ListReply list = ListReply.parseFrom(java.util.Arrays.copyOfRange(all, 5, all.length));
            assertThat(list.getInstancesCount()).isEqualTo(10_001);
        }
    }

    @Test
    void garbagePrefaceIsRefusedWithGoAway() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket())) {
            c.send(w -> w.raw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(c.awaitClose()).isEqualTo(Http2.PROTOCOL_ERROR);
        }
    }

    @Test
    void oversizedFrameIsAFrameSizeError() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            c.sendQuietly(w -> {
                w.frameHeader(Http2.DATA, 0, 1, Http2.DEFAULT_MAX_FRAME + 1);
                w.raw(new byte[Http2.DEFAULT_MAX_FRAME + 1]);
            });
            assertThat(c.awaitClose()).isEqualTo(Http2.FRAME_SIZE_ERROR);
        }
    }

    @Test
    void endlessContinuationIsCutOff() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            c.send(w -> w.frameHeader(Http2.HEADERS, 0, 1, 0));
            byte[] chunk = new byte[Http2.DEFAULT_MAX_FRAME];
            java.util.Arrays.fill(chunk, (byte) 0x82);
            for (int i = 0; i < 10; i++) {
                c.sendQuietly(w -> {
                    w.frameHeader(Http2.CONTINUATION, 0, 1, chunk.length);
                    w.raw(chunk);
                });
            }
            assertThat(c.awaitClose()).isEqualTo(Http2.ENHANCE_YOUR_CALM);
        }
    }

    @Test
    void headerListAboveTheLimitIsRefusedWithAStatus() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            byte[] block = RawH2.request(VERSION, "x-big", "v".repeat(9000));
            c.send(w -> w.headers(1, block, true, Http2.DEFAULT_MAX_FRAME));
            RawH2.Reply r = c.await(1);
            assertThat(r.header(":status")).isEqualTo("431");
            assertThat(r.grpcStatus()).isEqualTo("8");
            // the connection serves on
            assertThat(c.call(3, VERSION, new byte[0]).await(3).grpcStatus()).isEqualTo("0");
        }
    }

    @Test
    void refusalsCarryGrpcStatuses() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            RawH2.Reply unknown = c.call(1, "/upfleet.control.v1.Control/NoSuch", new byte[0]).await(1);
            assertThat(unknown.grpcStatus()).isEqualTo("12");
            assertThat(unknown.grpcMessage()).isEqualTo("Method not found: upfleet.control.v1.Control/NoSuch");
            assertThat(unknown.trailers()).isNull(); // trailers-only

            RawH2.Reply malformed = c.call(3, STATUS, new byte[] {0x0a, 0x7f, 'x'}).await(3);
            assertThat(malformed.grpcStatus()).isEqualTo("13");
            assertThat(malformed.grpcMessage()).isEqualTo("Invalid protobuf byte sequence");

            RawH2.Reply gzip = c.call(5, STATUS, new byte[0], "grpc-encoding", "gzip").await(5);
            assertThat(gzip.grpcStatus()).isEqualTo("12");
            assertThat(gzip.header("grpc-accept-encoding")).isEqualTo("identity");

            c.send(w -> {
                w.headers(7, RawH2.request(STATUS), false, Http2.DEFAULT_MAX_FRAME);
                w.data(7, new byte[] {1, 0, 0, 0, 0}, 0, 5, true); // compressed flag, no encoding agreed
            });
            assertThat(c.await(7).grpcStatus()).isEqualTo("13");

            c.send(w -> w.headers(9, RawH2.block(":method", "POST", ":scheme", "http", ":path", STATUS,
                    "content-type", "text/plain"), true, Http2.DEFAULT_MAX_FRAME));
            assertThat(c.await(9).header(":status")).isEqualTo("415");

            c.send(w -> w.headers(11, RawH2.block(":method", "GET", ":scheme", "http", ":path", STATUS,
                    "content-type", "application/grpc"), true, Http2.DEFAULT_MAX_FRAME));
            assertThat(c.await(11).header(":status")).isEqualTo("405");

            assertThat(c.call(13, VERSION, new byte[0]).await(13).grpcStatus()).isEqualTo("0");
        }
    }

    @Test
    void messageAboveTheMaximumIsResourceExhaustedWithoutBufferingIt() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            int size = GrpcWire.DEFAULT_MAX_MESSAGE + 1;
            c.send(w -> {
                w.headers(1, RawH2.request(STATUS), false, Http2.DEFAULT_MAX_FRAME);
                w.data(1, new byte[] {0, (byte) (size >>> 24), (byte) (size >>> 16), (byte) (size >>> 8), (byte) size},
                        0, 5, false);
            });
            RawH2.Reply r = c.await(1);
            assertThat(r.grpcStatus()).isEqualTo("8");
            assertThat(r.grpcMessage()).isEqualTo("gRPC message exceeds maximum size 4194304: 4194305");
            // the rest of the stream is dropped; the connection serves on
            c.send(w -> w.data(1, new byte[1000], 0, 1000, true));
            assertThat(c.call(3, VERSION, new byte[0]).await(3).grpcStatus()).isEqualTo("0");
        }
    }

    @Test
    void protocolErrorsEndTheConnectionWithGoAway() throws Exception {
        record Case(String what, java.util.function.Consumer<FrameWriter> frames, int code) {}
        var cases = java.util.List.of(
                new Case("DATA on an idle stream", w -> w.data(5, new byte[1], 0, 1, true), Http2.PROTOCOL_ERROR),
                new Case("even stream id", w -> w.headers(2, RawH2.request(VERSION), true, 16384), Http2.PROTOCOL_ERROR),
                new Case("PING of 3 octets", w -> w.ping(0, new byte[3]), Http2.FRAME_SIZE_ERROR),
                new Case("SETTINGS of 5 octets", w -> {
                    w.frameHeader(Http2.SETTINGS, 0, 0, 5);
                    w.raw(new byte[5]);
                }, Http2.FRAME_SIZE_ERROR),
                new Case("window overflow", w -> w.windowUpdate(0, Integer.MAX_VALUE), Http2.FLOW_CONTROL_ERROR),
                new Case("bad HPACK", w -> w.headers(1, new byte[] {(byte) 0x80}, true, 16384), Http2.COMPRESSION_ERROR),
                new Case("stray CONTINUATION", w -> w.frameHeader(Http2.CONTINUATION, Http2.FLAG_END_HEADERS, 1, 0),
                        Http2.PROTOCOL_ERROR),
                new Case("PUSH_PROMISE", w -> w.frameHeader(Http2.PUSH_PROMISE, 0, 1, 0), Http2.PROTOCOL_ERROR));
        for (Case k : cases) {
            try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
                c.sendQuietly(k.frames());
                assertThat(c.awaitClose()).as(k.what()).isEqualTo(k.code());
            }
        }
    }

    @Test
    void monitorEndsOnResetAndOnConnectionLoss() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket()).handshake()) {
            c.call(1, MONITOR, new byte[0]);
            awaitMonitors(1);
            fake.publish("hello", java.util.List.of());
            Frame f;
            do {
                f = c.next(5000);
            } while (f.type() != Http2.DATA);
            c.send(w -> w.rstStream(1, Http2.CANCEL));
            awaitMonitors(0);
            c.call(3, MONITOR, new byte[0]);
            awaitMonitors(1);
        }
        awaitMonitors(0); // the connection closed
    }

    @Test
    void clientThatStopsReadingDoesNotBlockTheEngine() throws Exception {
        try (RawH2 c = RawH2.connect(server.socket())) {
            c.send(w -> {
                w.raw(Http2.PREFACE);
                w.settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, Integer.MAX_VALUE);
                w.windowUpdate(0, Integer.MAX_VALUE - Http2.DEFAULT_WINDOW);
            });
            c.call(1, MONITOR, new byte[0]);
            awaitMonitors(1);
            // huge windows and no reading: the socket buffer fills; publishing must never block
            String payload = "P=" + "x".repeat(60_000);
            long start = System.nanoTime();
            for (int i = 0; i < 2000 && fake.monitorCount() > 0; i++) {
                fake.publish("flood", java.util.List.of(payload));
            }
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
            awaitMonitors(0); // dropped as too slow (RESOURCE_EXHAUSTED), not blocking
        }
    }

    private void awaitMonitors(int n) throws InterruptedException {
        for (int i = 0; i < 500 && fake.monitorCount() != n; i++) {
            Thread.sleep(10);
        }
        assertThat(fake.monitorCount()).isEqualTo(n);
    }

}
