package dev.upfleet.controller;

import dev.upfleet.controller.registry.Registry;
import dev.upfleet.controller.relay.ClusterView;
import dev.upfleet.controller.relay.EventFeed;
import dev.upfleet.controller.relay.LeaderDuties;
import dev.upfleet.controller.relay.NodeCommands;
import dev.upfleet.controller.relay.PeerIdentity;
import dev.upfleet.controller.relay.RelayContext;
import dev.upfleet.controller.relay.RelayMetrics;
import dev.upfleet.controller.relay.RetentionLeases;
import dev.upfleet.controller.service.ClusterService;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One controller: the gRPC server agents and initctl talk to, the cluster view, and the leader duties it performs
 * while it holds leadership. Stateless beyond etcd, so any number may run; agents fail over between them.
 */
public final class Controller implements AutoCloseable {
    /** Recent events kept in memory for sessions that resume from a recent revision. */
    private static final int FEED_BUFFER = 50_000;

    /** How the controller is set up. {@code sessionTtl} bounds how long a node outlives its controller's death. */
    public record Settings(String name, InetSocketAddress listen, ServerCredentials credentials, Duration retention,
                           Duration sessionTtl) {}

    private final Registry registry;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ClusterView view;
    private final EventFeed feed;
    private final NodeCommands commands;
    private final LeaderDuties leader;
    private final Server server;
    private volatile boolean shuttingDown;

    public Controller(Settings settings, Registry registry, MeterRegistry meters) throws IOException {
        this.registry = registry;
        RelayMetrics metrics = new RelayMetrics(meters);
        RetentionLeases retention = new RetentionLeases(registry, settings.retention(), InstantSource.system());
        this.view = new ClusterView(registry, settings.retention(), InstantSource.system());
        view.start();
        this.feed = new EventFeed(registry, FEED_BUFFER, executor);
        feed.start();
        this.commands = new NodeCommands(registry, view, executor);
        commands.start();
        RelayContext ctx = new RelayContext() {
            @Override
            public String name() {
                return settings.name();
            }

            @Override
            public Registry registry() {
                return registry;
            }

            @Override
            public EventFeed feed() {
                return feed;
            }

            @Override
            public ClusterView view() {
                return view;
            }

            @Override
            public NodeCommands commands() {
                return commands;
            }

            @Override
            public RelayMetrics metrics() {
                return metrics;
            }

            @Override
            public java.util.concurrent.Executor executor() {
                return executor;
            }

            @Override
            public Duration sessionTtl() {
                return settings.sessionTtl();
            }

            @Override
            public Registry.Lease retentionLease() {
                return retention.current();
            }

            @Override
            public boolean shuttingDown() {
                return shuttingDown;
            }
        };
        // A node cut off in silence (no FIN, no RST) keeps its TCP connection, and so its session lease, for as long
        // as the kernel keeps the connection: pinging it every half TTL and giving up after another half ends its
        // session about one TTL after it went quiet, so node-down comes as the session TTL promises.
        long halfTtlMillis = Math.max(1000, settings.sessionTtl().toMillis() / 2);
        this.server = NettyServerBuilder.forAddress(settings.listen(), settings.credentials())
                .addService(ServerInterceptors.intercept(new ClusterService(ctx), PeerIdentity.interceptor()))
                .maxInboundMessageSize(4 * 1024 * 1024)
                .keepAliveTime(halfTtlMillis, TimeUnit.MILLISECONDS)
                .keepAliveTimeout(halfTtlMillis, TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .build()
                .start();
        this.leader = new LeaderDuties(settings.name(), registry, retention, metrics, InstantSource.system());
        leader.start();
    }

    public int port() {
        return server.getPort();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        shuttingDown = true;
        leader.close();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        commands.close();
        feed.close();
        view.close();
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.close();
    }
}
