package dev.upfleet.agent.control.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptor's bound: past the connection limit a new connection ends at once, and room comes back as they end. */
class H2GrpcServerTest {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    @Test
    void connectionsBeyondTheLimitAreClosedAsTheyAreAccepted() throws Exception {
        Path socket = dir.resolve("s");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        H2GrpcServer server = new H2GrpcServer(listener, List.of(ServerServiceDefinition.builder("t").build()),
                ch -> Attributes.EMPTY, 2);
        server.start();
        try (SocketChannel a = open(socket); SocketChannel b = open(socket)) {
            assertThat(servedSettings(a)).isTrue();
            assertThat(servedSettings(b)).isTrue();
            try (SocketChannel c = open(socket)) {
                assertThat(servedSettings(c)).as("a third connection").isFalse();
            }
            a.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            boolean served = false;
            while (!served && System.nanoTime() < deadline) {
                try (SocketChannel d = open(socket)) {
                    served = servedSettings(d); // the first connection's end frees its place
                }
            }
            assertThat(served).isTrue();
        } finally {
            server.close(500);
        }
    }

    private static SocketChannel open(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    /**
     * Sends the client preface and reads the server's first frame header: a SETTINGS frame when served; false when
     * the connection ends first (also when the server closed it before our write: a broken pipe).
     */
    private static boolean servedSettings(SocketChannel ch) throws Exception {
        try {
            ch.write(ByteBuffer.wrap(PREFACE));
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0})); // empty SETTINGS
        } catch (IOException e) {
            return false;
        }
        CompletableFuture<Boolean> read = CompletableFuture.supplyAsync(() -> {
            ByteBuffer header = ByteBuffer.allocate(9);
            try {
                while (header.hasRemaining()) {
                    if (ch.read(header) < 0) {
                        return false;
                    }
                }
            } catch (IOException e) {
                return false; // reset by a server that closed without reading
            }
            return header.get(3) == 4;
        });
        return read.get(5, TimeUnit.SECONDS);
    }
}
