package dev.upfleet.controller;

import dev.upfleet.controller.registry.EtcdRegistry;
import dev.upfleet.controller.registry.Registry;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/upfleet-controller}: serves agents and relays their events through etcd. */
@Command(name = "upfleet-controller", mixinStandardHelpOptions = true, version = "upfleet-controller 0.1.0",
        description = "Relays events and job definitions between upfleet agents through etcd.")
public final class ControllerMain implements Callable<Integer> {

    @Option(names = "--etcd", required = true, split = ",", paramLabel = "URL[,URL..]", description = "etcd client URLs")
    List<String> etcd;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Address agents connect to")
    String listen;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "etcd key prefix (default: ${DEFAULT-VALUE})")
    String prefix = "/upfleet/";

    @Option(names = "--retention", paramLabel = "DURATION", description = "How long relayed events are kept for agents that were away, e.g. 15m, 1h (default: ${DEFAULT-VALUE})")
    String retention = "15m";

    @Option(names = "--session-ttl", paramLabel = "DURATION", description = "How long a node survives losing its controller before node-down (default: ${DEFAULT-VALUE})")
    String sessionTtl = "5s";

    @Option(names = "--metrics-port", paramLabel = "N", description = "Serve Prometheus metrics at /metrics on this port")
    Integer metricsPort;

    @Option(names = "--metrics-address", paramLabel = "ADDR", description = "Address for the metrics port (default: ${DEFAULT-VALUE})")
    String metricsAddress = "0.0.0.0";

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Server certificate (PEM)")
    File tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "Server private key (PEM)")
    File tlsKey;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "CA that signs agent certificates (PEM); agents must present one")
    File tlsCa;

    @Option(names = "--insecure", description = "Plaintext, no client certificates: only for loopback and tests")
    boolean insecure;

    @Override
    public Integer call() throws Exception {
        ServerCredentials credentials = credentials();
        InetSocketAddress address = address(listen);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Registry registry = new EtcdRegistry(etcd, prefix, Duration.ofSeconds(5), meters);
        CountDownLatch stop = new CountDownLatch(1);
        try (Controller controller = new Controller(new Controller.Settings(address.getHostString() + ":" + address.getPort(),
                address, credentials, parseDuration(retention), parseDuration(sessionTtl)), registry, meters);
             MetricsEndpoint metrics = metricsPort == null ? null : new MetricsEndpoint(meters, metricsAddress, metricsPort)) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(stop::countDown));
            System.err.println("upfleet-controller: serving on " + address.getHostString() + ":" + controller.port()
                    + (insecure ? " (insecure)" : " (mTLS)") + ", etcd " + String.join(",", etcd));
            stop.await();
        }
        return 0;
    }

    private ServerCredentials credentials() throws java.io.IOException {
        if (insecure) {
            if (tlsCert != null || tlsKey != null || tlsCa != null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--insecure cannot be combined with --tls-*");
            }
            return InsecureServerCredentials.create();
        }
        if (tlsCert == null || tlsKey == null || tlsCa == null) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "TLS is required: give --tls-cert, --tls-key and --tls-ca (or --insecure for loopback and tests)");
        }
        return TlsServerCredentials.newBuilder().keyManager(tlsCert, tlsKey).trustManager(tlsCa)
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected HOST:PORT, got " + hostPort);
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** {@code 90s}, {@code 15m}, {@code 2h}, or ISO-8601 ({@code PT15M}). */
    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("p")) {
            return Duration.parse(t);
        }
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("expected a duration like 30s, 15m, 2h: " + text);
        };
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ControllerMain());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("upfleet-controller: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        System.exit(cli.execute(args));
    }
}
