package dev.upfleet.bench.cluster;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * N etcd members on loopback (data on /dev/shm when possible), the bench's copy of the controller's test fixture
 * EtcdCluster (which is JUnit-bound). Same raft timings as the tests: heartbeat 50 ms, election 500 ms.
 */
final class EtcdProcs implements AutoCloseable {
    private final List<Process> procs = new ArrayList<>();
    private final List<String> clientUrls = new ArrayList<>();
    private final Path dataRoot;

    EtcdProcs(int size, Path logDir) throws IOException, InterruptedException {
        Path shm = Path.of("/dev/shm");
        // Named after the run's work directory so that the script can remove it even if this JVM is SIGKILLed.
        dataRoot = Files.isDirectory(shm) && Files.isWritable(shm)
                ? shm.resolve(logDir.getFileName() + "-etcd") : logDir.resolve("etcd-data");
        Files.createDirectories(dataRoot);
        int[] ports = freePorts(2 * size);
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            clientUrls.add("http://127.0.0.1:" + ports[2 * i]);
            peers.add("m" + i + "=http://127.0.0.1:" + ports[2 * i + 1]);
        }
        String initial = String.join(",", peers);
        for (int i = 0; i < size; i++) {
            String peer = "http://127.0.0.1:" + ports[2 * i + 1];
            procs.add(new ProcessBuilder("etcd", "--name", "m" + i, "--data-dir", dataRoot.resolve("m" + i).toString(),
                    "--listen-client-urls", clientUrls.get(i), "--advertise-client-urls", clientUrls.get(i),
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", initial, "--initial-cluster-state", "new",
                    "--initial-cluster-token", dataRoot.getFileName().toString(),
                    "--heartbeat-interval", "50", "--election-timeout", "500")
                    .redirectErrorStream(true)
                    .redirectOutput(logDir.resolve("etcd-m" + i + ".log").toFile()).start());
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (String url : clientUrls) {
            while (!healthy(url)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("etcd " + url + " not healthy in 30 s (see " + logDir + ")");
                }
                Thread.sleep(50);
            }
        }
    }

    List<String> endpoints() {
        return clientUrls;
    }

    String joined() {
        return clientUrls.stream().collect(Collectors.joining(","));
    }

    List<Long> pids() {
        return procs.stream().map(Process::pid).toList();
    }

    private static boolean healthy(String url) {
        try {
            var c = (HttpURLConnection) URI.create(url + "/health").toURL().openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(500);
            try (var in = c.getInputStream()) {
                return c.getResponseCode() == 200 && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"true\"");
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    @Override
    public void close() {
        for (Process p : procs) {
            p.destroyForcibly();
        }
        for (Process p : procs) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var walk = Files.walk(dataRoot)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
