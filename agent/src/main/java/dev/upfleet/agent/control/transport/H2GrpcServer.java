package dev.upfleet.agent.control.transport;

import dev.upfleet.h2.GrpcWire;
import io.grpc.Attributes;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A gRPC server for a local socket with no transport library: HTTP/2 with prior knowledge (h2c) over a JDK
 * {@link ServerSocketChannel} (a Unix domain socket here), dispatching each stream through grpc-java's API layer
 * ({@link ServerServiceDefinition}, interceptors, {@code ServerCalls}) with a {@link io.grpc.ServerCall} of its own.
 * It loads no Netty and nothing of grpc-java's {@code io.grpc.internal}.
 *
 * <p>Threads: one platform thread accepts; each connection has a reader thread (frames in, handlers run on it) and
 * a writer thread (frames out), both platform threads: a standalone agent has a handful of short connections at a
 * time, and virtual threads would bring their scheduler, carrier and poller threads into a process that uses none.
 * A deadline ({@code grpc-timeout}) needs a timer: one thread, started on first use, that ends when idle.
 * Thread-safe; {@link #close} ends every connection (GOAWAY, then after a grace period the socket).
 */
public final class H2GrpcServer implements AutoCloseable {
    /** Connections served at once; more are closed as they are accepted (each one holds two threads). */
    static final int MAX_CONNECTIONS = 256;
    /** How long the acceptor waits after a failed accept (out of descriptors) before it tries again. */
    private static final long ACCEPT_RETRY_MILLIS = 50;

    private final ServerSocketChannel listener;
    private final int maxConnections;
    private final Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
    private final Function<SocketChannel, Attributes> transportAttributes;
    private final int maxMessage;
    private final Set<H2ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;
    private int connectionCount;

    /**
     * @param listener            a bound server channel, in blocking mode; the server owns it from now on
     * @param services            what is served (already intercepted)
     * @param transportAttributes the {@link io.grpc.ServerCall#getAttributes() attributes} of a new connection's calls
     */
    public H2GrpcServer(ServerSocketChannel listener, List<ServerServiceDefinition> services,
                        Function<SocketChannel, Attributes> transportAttributes) {
        this(listener, services, transportAttributes, MAX_CONNECTIONS);
    }

    H2GrpcServer(ServerSocketChannel listener, List<ServerServiceDefinition> services,
                 Function<SocketChannel, Attributes> transportAttributes, int maxConnections) {
        this.listener = listener;
        this.maxConnections = maxConnections;
        this.transportAttributes = transportAttributes;
        this.maxMessage = GrpcWire.DEFAULT_MAX_MESSAGE;
        for (ServerServiceDefinition s : services) {
            for (ServerMethodDefinition<?, ?> m : s.getMethods()) {
                methods.put(m.getMethodDescriptor().getFullMethodName(), m);
            }
        }
        this.acceptor = new Thread(this::acceptLoop, "upfleet-control-accept");
        acceptor.setDaemon(true);
    }

    public void start() {
        acceptor.start();
    }

    ServerMethodDefinition<?, ?> method(String fullName) {
        return methods.get(fullName);
    }

    int maxMessage() {
        return maxMessage;
    }

    synchronized ScheduledExecutorService deadlineTimer() {
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "upfleet-control-deadlines");
                t.setDaemon(true);
                return t;
            });
            timer.setKeepAliveTime(10, TimeUnit.SECONDS);
            timer.allowCoreThreadTimeOut(true);
            timer.setRemoveOnCancelPolicy(true);
        }
        return timer;
    }

    void ended(H2ServerConnection c) {
        connections.remove(c);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                if (closed || !listener.isOpen()) {
                    return;
                }
                pause(); // e.g. out of file descriptors: a later accept may do, without spinning meanwhile
                continue;
            }
            if (connections.size() >= maxConnections) {
                try {
                    ch.close(); // the client sees the connection end before any frame
                } catch (IOException ignored) {
                    // closed either way
                }
                continue;
            }
            int n;
            synchronized (this) {
                n = ++connectionCount;
            }
            H2ServerConnection c = new H2ServerConnection(this, ch, transportAttributes.apply(ch), n);
            connections.add(c);
            if (closed) {
                c.forceClose();
            }
            c.start();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(ACCEPT_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops accepting, asks every connection to finish (GOAWAY), and closes what is left after {@code graceMillis}. */
    public void close(long graceMillis) {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // nothing left to release
        }
        for (H2ServerConnection c : connections) {
            c.shutdown();
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        try {
            for (H2ServerConnection c : List.copyOf(connections)) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0 || !c.join(left)) {
                    c.forceClose();
                }
            }
            for (H2ServerConnection c : List.copyOf(connections)) {
                c.forceClose();
                c.join(2000);
            }
            acceptor.join(1000);
        } catch (InterruptedException e) {
            connections.forEach(H2ServerConnection::forceClose);
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
            }
        }
    }

    @Override
    public void close() {
        close(2000);
    }
}
