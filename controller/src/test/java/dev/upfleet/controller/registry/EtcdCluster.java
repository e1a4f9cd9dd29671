package dev.upfleet.controller.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real etcd cluster for tests: N members ({@code etcd} from {@code $ETCD_BIN} or PATH) on free loopback ports,
 * data in a fresh directory (on tmpfs {@code /dev/shm} when there is one: about 1.5x faster), short raft timeouts
 * so elections after {@link #kill} take well under a second. Members are SIGKILLed, never stopped politely, as a
 * crash would; {@link #close} kills all and deletes the data.
 *
 * <p>Shipped in the controller's test-jar so other modules can use it:
 *
 * <pre>{@code
 * static EtcdCluster etcd;
 * @BeforeAll static void start() { etcd = EtcdCluster.start(3); }
 * @AfterAll static void stop() { etcd.close(); }
 * ... new EtcdRegistry(etcd.endpoints(), "/test/", Duration.ofSeconds(5)) ...
 * }</pre>
 *
 * <p>Without an etcd binary the calling test is skipped (a JUnit assumption) and a loud line goes to stderr, so a
 * silent skip cannot pass for a green run; run-tests and CI install etcd-server. Where a Docker engine exists,
 * Testcontainers could run an etcd image instead; that path is deliberately not built (no engine here, and the
 * binary is faster).
 */
public final class EtcdCluster implements AutoCloseable {
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(20);

    private final Path etcd;
    private final Path dataRoot;
    private final List<Member> members;
    private final String initialCluster;
    private final Thread shutdownHook;

    private record Member(String name, int clientPort, int peerPort, Path dataDir, Path log, Process[] process) {
        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    /** Starts {@code size} members and waits until every one reports healthy; skips the test without etcd. */
    public static EtcdCluster start(int size) {
        Optional<Path> binary = findEtcd();
        if (binary.isEmpty()) {
            String message = "etcd not found (PATH or $ETCD_BIN): etcd tests SKIPPED; install etcd-server to run them";
            System.err.println("\n!!!!!!!!!! " + message + " !!!!!!!!!!\n");
            Assumptions.abort(message);
        }
        try {
            return new EtcdCluster(binary.get(), size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private EtcdCluster(Path etcd, int size) throws IOException {
        this.etcd = etcd;
        Path shm = Paths.get("/dev/shm");
        this.dataRoot = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "upfleet-etcd-")
                : Files.createTempDirectory("upfleet-etcd-");
        int[] ports = freePorts(2 * size);
        this.members = IntStream.range(0, size)
                .mapToObj(i -> new Member("m" + i, ports[2 * i], ports[2 * i + 1], dataRoot.resolve("m" + i),
                        dataRoot.resolve("m" + i + ".log"), new Process[1]))
                .toList();
        this.initialCluster =
                members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
        this.shutdownHook = new Thread(this::killAll, "etcd-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (Member m : members) {
                launch(m, "new");
            }
            for (int i = 0; i < size; i++) {
                awaitHealthy(i);
            }
        } catch (RuntimeException | IOException e) {
            close();
            throw e;
        }
    }

    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    public String endpoint(int member) {
        return members.get(member).clientUrl();
    }

    public int size() {
        return members.size();
    }

    /** SIGKILLs member {@code i} (its data stays, for {@link #restart}). */
    public void kill(int i) {
        Process p = members.get(i).process()[0];
        if (p != null && p.isAlive()) {
            p.destroyForcibly(); // SIGKILL on Linux
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Restarts a killed member on its data dir and waits until it is healthy again. */
    public void restart(int i) {
        kill(i);
        try {
            launch(members.get(i), "existing");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitHealthy(i);
    }

    /** The index of the member that leads raft now, asked of the running members (grpc-gateway status). */
    public int leader() {
        long deadline = System.nanoTime() + HEALTH_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < members.size(); i++) {
                if (isRunning(i)) {
                    Optional<String[]> idAndLeader = status(members.get(i));
                    if (idAndLeader.isPresent() && idAndLeader.get()[0].equals(idAndLeader.get()[1])) {
                        return i; // the member that names itself leader
                    }
                }
            }
            pause(); // an election is in progress
        }
        throw new IllegalStateException("no etcd leader within " + HEALTH_TIMEOUT);
    }

    /** {member_id, leader} from POST /v3/maintenance/status (etcd's grpc-gateway). */
    private static Optional<String[]> status(Member m) {
        try {
            var c = (HttpURLConnection) URI.create(m.clientUrl() + "/v3/maintenance/status").toURL().openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(1000);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.getOutputStream().write("{}".getBytes(StandardCharsets.UTF_8));
            String body;
            try (var in = c.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                c.disconnect();
            }
            var id = java.util.regex.Pattern.compile("\"member_id\":\"(\\d+)\"").matcher(body);
            var leader = java.util.regex.Pattern.compile("\"leader\":\"(\\d+)\"").matcher(body);
            if (!id.find()) {
                return Optional.empty();
            }
            return Optional.of(new String[] {id.group(1), leader.find() ? leader.group(1) : "0"});
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public boolean isRunning(int i) {
        Process p = members.get(i).process()[0];
        return p != null && p.isAlive();
    }

    /** Kills every member and deletes the data dirs (and logs). */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // JVM shutting down: the hook runs anyway.
        }
        deleteTree(dataRoot);
    }

    private void killAll() {
        for (int i = 0; i < members.size(); i++) {
            kill(i);
        }
    }

    private void launch(Member m, String state) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                etcd.toString(),
                "--name", m.name(),
                "--data-dir", m.dataDir().toString(),
                "--listen-client-urls", m.clientUrl(),
                "--advertise-client-urls", m.clientUrl(),
                "--listen-peer-urls", m.peerUrl(),
                "--initial-advertise-peer-urls", m.peerUrl(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", state,
                "--initial-cluster-token", dataRoot.getFileName().toString(),
                // Fast failure detection for tests (defaults 100/1000 ms); also lowers the minimum lease TTL.
                "--heartbeat-interval", "50",
                "--election-timeout", "500"));
        m.process()[0] = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile()))
                .start();
    }

    private void awaitHealthy(int i) {
        Member m = members.get(i);
        long deadline = System.nanoTime() + HEALTH_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!m.process()[0].isAlive()) {
                throw new IllegalStateException("etcd member " + m.name() + " exited with "
                        + m.process()[0].exitValue() + "; log tail:\n" + logTail(m));
            }
            if (healthy(m)) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("etcd member " + m.name() + " not healthy after " + HEALTH_TIMEOUT
                + "; log tail:\n" + logTail(m));
    }

    /** Polling interval; every caller bounds its loop by a deadline. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    /** etcd's /health says true only when the member sees a leader (3.4: {"health":"true"}). */
    private static boolean healthy(Member m) {
        try {
            var c = (HttpURLConnection) URI.create(m.clientUrl() + "/health").toURL().openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(500);
            try (var in = c.getInputStream()) {
                return c.getResponseCode() == 200
                        && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"true\"");
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static String logTail(Member m) {
        try {
            List<String> lines = Files.readAllLines(m.log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static Optional<Path> findEtcd() {
        String explicit = System.getenv("ETCD_BIN");
        if (explicit != null && Files.isExecutable(Path.of(explicit))) {
            return Optional.of(Path.of(explicit));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(":"))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "etcd"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Binds all sockets at once so no two are the same, then releases them for etcd. */
    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("EtcdCluster: could not delete " + root + ": " + e);
        }
    }
}
