package dev.upfleet.cli.initctl.lean;

import dev.upfleet.cli.initctl.lean.ControlMessages.Empty;
import dev.upfleet.cli.initctl.lean.ControlMessages.InstanceStatus;
import dev.upfleet.cli.initctl.lean.ControlMessages.JobRequest;
import dev.upfleet.cli.initctl.lean.ControlMessages.ListReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.LiveProcess;
import dev.upfleet.cli.initctl.lean.ControlMessages.Message;
import dev.upfleet.cli.initctl.lean.ControlMessages.StatusReply;
import dev.upfleet.cli.initctl.lean.ControlMessages.VersionReply;
import dev.upfleet.h2.Frame;
import dev.upfleet.h2.FrameReader;
import dev.upfleet.h2.FrameWriter;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.HpackException;
import dev.upfleet.h2.Http2;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in agent for initctl's AOT training run: serves the Control service's unary calls on a Unix socket with
 * fixed replies, so that the cache can be trained whenever it is needed, whether or not an agent runs (an agent
 * that is still starting, or that stops during the training, made the cache fail to appear). It is not a general
 * HTTP/2 server: it reads what {@link LeanControlClient} sends (preface, SETTINGS, WINDOW_UPDATE, one HEADERS and
 * DATA per call, GOAWAY), answers as grpc-java would, and ignores the rest. One connection at a time, on its own
 * platform thread (a named class, not a lambda: what the training loads ends up in every initctl start-up).
 */
public final class TrainingAgent implements Runnable, AutoCloseable {
    /** A job name the stand-in refuses as Upstart does, so that the training also takes the error path. */
    public static final String UNKNOWN_JOB = "aot-training-no-such-job";

    private final ServerSocketChannel server;
    private final Path socket;
    private final Thread thread;

    private TrainingAgent(ServerSocketChannel server, Path socket) {
        this.server = server;
        this.socket = socket;
        this.thread = new Thread(this, "aot-training-agent");
        thread.setDaemon(true);
    }

    /** Listens on a new socket in the temporary directory and serves until closed. */
    public static TrainingAgent start() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(null); // a name of the JDK's choosing in the temporary directory
        TrainingAgent agent = new TrainingAgent(server, ((UnixDomainSocketAddress) server.getLocalAddress()).getPath());
        agent.thread.start();
        return agent;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void run() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                serve(ch);
            } catch (IOException | ProtoException | HpackException e) {
                // the client went away, or the server was closed: next connection, or the end
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }

    private static void serve(SocketChannel ch) throws IOException, ProtoException, HpackException {
        FrameReader in = new FrameReader(ch, Http2.DEFAULT_MAX_FRAME);
        in.readPreface();
        FrameWriter out = new FrameWriter(256);
        out.settings(); // our (empty) SETTINGS
        write(ch, out.take());
        Hpack hpack = new Hpack();
        Map<Integer, String> paths = new HashMap<>();
        Map<Integer, ByteArrayOutputStream> bodies = new HashMap<>();
        while (true) {
            Frame f = in.read();
            int stream = f.stream();
            byte[] payload = f.payload();
            if (f.type() == Http2.GOAWAY) { // the client is done
                return;
            }
            if (f.type() == Http2.HEADERS) { // one frame, no padding or priority (what LeanControlClient sends)
                paths.put(stream, path(hpack.decode(payload)));
                bodies.put(stream, new ByteArrayOutputStream());
            } else if (f.type() == Http2.DATA && bodies.containsKey(stream)) {
                bodies.get(stream).write(payload, 0, payload.length);
            } else {
                continue; // SETTINGS, its ACK, WINDOW_UPDATE
            }
            if (f.has(Http2.FLAG_END_STREAM)) { // the request is complete
                byte[] body = bodies.remove(stream).toByteArray();
                write(ch, reply(stream, paths.remove(stream), body));
            }
        }
    }

    private static String path(List<Hpack.Header> headers) {
        for (Hpack.Header h : headers) {
            if (h.name().equals(":path")) {
                return h.value();
            }
        }
        return "";
    }

    /** The frames of the reply to one call: headers, message and trailers, or a trailers-only refusal. */
    private static byte[] reply(int stream, String path, byte[] body) throws ProtoException {
        String method = path.substring(path.lastIndexOf('/') + 1);
        ProtoReader request = ProtoReader.of(body, Math.min(5, body.length), Math.max(0, body.length - 5));
        Message message = switch (method) {
            case "Start", "Stop", "Restart", "Status" -> {
                JobRequest r = JobRequest.read(request);
                yield r.job().equals(UNKNOWN_JOB) ? null : new StatusReply(running(r.job(), 4242));
            }
            case "List" -> new ListReply(List.of(running("svc", 4242),
                    new InstanceStatus("idle", "", "stop", "waiting", List.of())));
            case "Version" -> new VersionReply("init (upstart 1.13.2)");
            default -> Empty.INSTANCE;
        };
        FrameWriter out = new FrameWriter(256);
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        Hpack.encodeLiteral(block, ":status", "200");
        Hpack.encodeLiteral(block, "content-type", "application/grpc");
        if (message == null) {
            Hpack.encodeLiteral(block, "grpc-status", "9"); // FAILED_PRECONDITION
            Hpack.encodeLiteral(block, "grpc-message", "Unknown job: " + UNKNOWN_JOB);
            out.headers(stream, block.toByteArray(), true, Http2.DEFAULT_MAX_FRAME);
            return out.take();
        }
        out.headers(stream, block.toByteArray(), false, Http2.DEFAULT_MAX_FRAME);
        ProtoWriter w = ProtoWriter.grpcFramed();
        message.writeTo(w);
        byte[] framed = w.toGrpcFrame();
        out.data(stream, framed, 0, framed.length, false);
        block.reset();
        Hpack.encodeLiteral(block, "grpc-status", "0");
        out.headers(stream, block.toByteArray(), true, Http2.DEFAULT_MAX_FRAME);
        return out.take();
    }

    private static InstanceStatus running(String job, long pid) {
        return new InstanceStatus(job, "", "start", "running", List.of(new LiveProcess("main", pid)));
    }

    private static void write(SocketChannel ch, byte[] octets) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(octets);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
