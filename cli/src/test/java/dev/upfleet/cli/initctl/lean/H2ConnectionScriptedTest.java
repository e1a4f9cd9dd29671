package dev.upfleet.cli.initctl.lean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.cli.initctl.lean.RpcException.Code;
import dev.upfleet.h2.Hpack;
import dev.upfleet.proto.control.v1.VersionReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP/2 corners a gRPC server may use but grpc-java's server rarely does: scripted frame by frame. */
class H2ConnectionScriptedTest {
    @TempDir
    Path dir;

    record Frame(int type, int flags, int stream, byte[] payload) {}

    /** The server side of one connection: reads the client's request, then runs the script. */
    interface Script {
        void run(DataInputStream in, OutputStream out, List<Frame> seen) throws IOException;
    }

    static Frame read(DataInputStream in) throws IOException {
        int len = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] p = new byte[len];
        in.readFully(p);
        return new Frame(type, flags, stream, p);
    }

    static void write(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] h = {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length, (byte) type,
            (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
        out.write(h);
        out.write(payload);
        out.flush();
    }

    static byte[] ints(int... values) {
        var b = new ByteArrayOutputStream();
        for (int v : values) {
            b.write(v >>> 24);
            b.write(v >>> 16);
            b.write(v >>> 8);
            b.write(v);
        }
        return b.toByteArray();
    }

    /** Huffman-coded and indexed, as grpc-java's Netty encoder writes them; one encoder per connection. */
    static byte[] block(DefaultHttp2HeadersEncoder enc, String... nameValues) throws IOException {
        var h = new DefaultHttp2Headers(false);
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        ByteBuf buf = Unpooled.buffer();
        try {
            enc.encodeHeaders(1, h, buf);
        } catch (Exception e) {
            throw new IOException(e);
        }
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        return b;
    }

    /** A gRPC length-prefixed message of the generated class's encoding (as the agent would send it). */
    static byte[] grpcMessage(VersionReply reply) {
        byte[] m = reply.toByteArray();
        byte[] framed = new byte[5 + m.length];
        framed[4] = (byte) m.length;
        System.arraycopy(m, 0, framed, 5, m.length);
        return framed;
    }

    <T> T call(Script script, java.util.function.Function<LeanControlClient, T> call, List<Frame> seen) throws Exception {
        Path sock = dir.resolve("s" + System.nanoTime() + ".sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<Void> side = CompletableFuture.runAsync(() -> {
                try (SocketChannel ch = server.accept()) {
                    DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
                    OutputStream out = Channels.newOutputStream(ch);
                    in.readFully(new byte[24]); // preface
                    Frame f;
                    do {
                        f = read(in);
                        seen.add(f);
                    } while (!(f.type() == 0 && (f.flags() & 1) != 0));
                    script.run(in, out, seen);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (LeanControlClient client = new LeanControlClient(sock)) {
                return call.apply(client);
            } finally {
                side.get(10, TimeUnit.SECONDS);
            }
        }
    }

    static ControlMessages.VersionReply version(LeanControlClient c) {
        return c.version();
    }

    @Test
    void requestIsPrefaceSettingsHeadersAndData() throws Exception {
        List<Frame> seen = new ArrayList<>();
        var enc = new DefaultHttp2HeadersEncoder();
        call((in, out, s) -> {
            write(out, 1, 4, 1, block(enc, ":status", "200", "content-type", "application/grpc"));
            write(out, 0, 0, 1, grpcMessage(VersionReply.newBuilder().setVersion("v").build()));
            write(out, 1, 5, 1, block(enc, "grpc-status", "0"));
        }, H2ConnectionScriptedTest::version, seen);
        assertThat(seen).extracting(Frame::type).containsExactly(4, 8, 1, 0); // SETTINGS, WINDOW_UPDATE, HEADERS, DATA
        assertThat(new Hpack().decode(seen.get(2).payload())).extracting(Hpack.Header::toString).containsExactly(
                "Header[name=:method, value=POST]", "Header[name=:scheme, value=http]",
                "Header[name=:path, value=/upfleet.control.v1.Control/Version]",
                "Header[name=:authority, value=localhost]", "Header[name=content-type, value=application/grpc]",
                "Header[name=te, value=trailers]");
        assertThat(seen.get(3).payload()).containsExactly(0, 0, 0, 0, 0); // empty message, 5-octet prefix
    }

    @Test
    void pingSettingsContinuationPaddingAndPriorityAreHandled() throws Exception {
        List<Frame> seen = new ArrayList<>();
        var enc = new DefaultHttp2HeadersEncoder();
        ControlMessages.VersionReply reply = call((in, out, s) -> {
            write(out, 4, 0, 0, new byte[] {0, 4, 0, 0x10, 0, 0, 0, 5, 0, 0, 0x40, 0}); // window 1M, frame 16K
            write(out, 6, 0, 0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            byte[] headers = block(enc, ":status", "200", "content-type", "application/grpc", "grpc-encoding", "identity");
            // HEADERS with PADDED and PRIORITY, block split over a CONTINUATION
            var first = new ByteArrayOutputStream();
            first.write(3); // pad length
            first.writeBytes(new byte[] {0, 0, 0, 0, 16}); // priority
            first.write(headers, 0, 2);
            first.writeBytes(new byte[3]);
            write(out, 1, 0x8 | 0x20, 1, first.toByteArray());
            write(out, 9, 4, 1, java.util.Arrays.copyOfRange(headers, 2, headers.length));
            // DATA split in two, the first padded
            byte[] msg = grpcMessage(VersionReply.newBuilder().setVersion("init (upstart 1.13.2)").build());
            var data = new ByteArrayOutputStream();
            data.write(2);
            data.write(msg, 0, 4);
            data.writeBytes(new byte[2]);
            write(out, 0, 0x8, 1, data.toByteArray());
            write(out, 0, 0, 1, java.util.Arrays.copyOfRange(msg, 4, msg.length));
            write(out, 1, 5, 1, block(enc, "grpc-status", "0", "grpc-message", ""));
            s.add(read(in)); // SETTINGS ACK
            s.add(read(in)); // PING ACK
        }, H2ConnectionScriptedTest::version, seen);
        assertThat(reply.version()).isEqualTo("init (upstart 1.13.2)");
        Frame settingsAck = seen.get(seen.size() - 2);
        Frame pingAck = seen.getLast();
        assertThat(settingsAck.type()).isEqualTo(4);
        assertThat(settingsAck.flags()).isEqualTo(1);
        assertThat(pingAck.type()).isEqualTo(6);
        assertThat(pingAck.flags()).isEqualTo(1);
        assertThat(pingAck.payload()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void trailersOnlyStatusWithPercentEncodedMessage() {
        var enc = new DefaultHttp2HeadersEncoder();
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 1, 5, 1, block(enc, ":status", "200",
                "content-type", "application/grpc", "grpc-status", "5", "grpc-message", "no %E2%9C%93 at 100%25")),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class, e -> {
                    assertThat(e.code()).isEqualTo(Code.NOT_FOUND);
                    assertThat(e.description()).isEqualTo("no \u2713 at 100%");
                });
    }

    @Test
    void httpStatusWithoutGrpcStatusIsMapped() {
        var enc = new DefaultHttp2HeadersEncoder();
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 1, 5, 1, block(enc, ":status", "404")),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class,
                        e -> assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED));
    }

    @Test
    void rstStreamIsCancelled() {
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 3, 0, 1, ints(0x8)),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class,
                        e -> assertThat(e.code()).isEqualTo(Code.CANCELLED));
    }

    @Test
    void goAwayBeforeOurStreamIsUnavailable() {
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 7, 0, 0, ints(0, 0)),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class,
                        e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
    }

    @Test
    void goAwayAfterOurStreamStillDeliversTheReply() throws Exception {
        var enc = new DefaultHttp2HeadersEncoder();
        ControlMessages.VersionReply r = call((in, out, s) -> {
            write(out, 7, 0, 0, ints(1, 0));
            write(out, 1, 4, 1, block(enc, ":status", "200"));
            write(out, 0, 0, 1, grpcMessage(VersionReply.newBuilder().setVersion("x").build()));
            write(out, 1, 5, 1, block(enc, "grpc-status", "0"));
        }, H2ConnectionScriptedTest::version, new ArrayList<>());
        assertThat(r.version()).isEqualTo("x");
    }

    @Test
    void connectionClosedMidReplyIsUnavailable() {
        var enc = new DefaultHttp2HeadersEncoder();
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 1, 4, 1, block(enc, ":status", "200")),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class, e -> {
                    assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
                    assertThat(e.getCause()).isInstanceOf(java.io.EOFException.class);
                });
    }

    @Test
    void badHeaderBlockIsInternal() {
        assertThatThrownBy(() -> call((in, out, s) -> write(out, 1, 5, 1, new byte[] {(byte) 0x80}),
                H2ConnectionScriptedTest::version, new ArrayList<>())).isInstanceOfSatisfying(RpcException.class,
                        e -> assertThat(e.code()).isEqualTo(Code.INTERNAL));
    }
}
