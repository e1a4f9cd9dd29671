package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Project;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The shipped examples/ jobs, booted as the demo runs them: runlevel 2 starts testjob and nodetest. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExamplesIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);
    private static final int NODE_PORT = 8888;
    private static AgentProcess agent;
    private static Path demo;

    @BeforeAll
    static void startAgent() throws IOException {
        assumeTrue(portFree(), "port " + NODE_PORT + " is in use (is ./demo running?): nodetest could not bind it");
        demo = Files.createTempDirectory("upfleet-ft-demo");
        Path examples = Project.root().resolve("examples");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(examples, "*.{conf,js}")) {
            for (Path f : files) {
                Files.copy(f, demo.resolve(f.getFileName()));
            }
        }
        agent = AgentProcess.start(AgentProcess.Options.booting().withEnv("UPFLEET_DEMO", demo.toString()), a -> {
            try (DirectoryStream<Path> confs = Files.newDirectoryStream(demo, "*.conf")) {
                for (Path f : confs) {
                    String name = f.getFileName().toString();
                    a.writeJob(name.substring(0, name.length() - ".conf".length()), Files.readString(f));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @AfterAll
    static void stopAgent() throws IOException {
        try {
            if (agent != null) {
                agent.close();
            }
        } finally {
            if (demo != null) {
                try (var all = Files.walk(demo)) {
                    all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static boolean portFree() {
        try (ServerSocket s = new ServerSocket(NODE_PORT, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean nodeInstalled() {
        try {
            return Project.run(List.of("node", "--version"), Map.of(), Duration.ofSeconds(20)).rc() == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    @Order(1)
    void testjobRunsAtRunlevel2() {
        Poll.until("testjob.log to have a line", LIMIT, () -> read(demo.resolve("testjob.log")).contains("Test Job ran at"));
        assertThat(read(demo.resolve("testjob.log"))).containsPattern("(?m)^Test Job ran at .+$");
    }

    @Test
    @Order(2)
    void nodetestAnswersHelloWorld() throws Exception {
        assumeTrue(nodeInstalled(), "node is not installed (./demo installs it)");
        agent.awaitRunning("nodetest", LIMIT);
        assertThat(read(demo.resolve("nodetest.sys.log"))).containsPattern("(?m)^\\[[-0-9T:Z]+\\] \\(sys\\) Starting$");
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            String body = Poll.value("Hello World on port " + NODE_PORT, LIMIT, () -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE_PORT + "/"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // not listening yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }, b -> b.contains("Hello World"));
            assertThat(body).contains("Hello World");
        }
        // greeter starts on "started nodetest".
        Poll.until("greeter.log", LIMIT, () -> read(demo.resolve("greeter.log")).contains("nodetest is up"));
    }

    @Test
    @Order(3)
    void stoppingNodetestRunsItsPreStop() {
        assumeTrue(nodeInstalled(), "node is not installed (./demo installs it)");
        long pid = agent.awaitRunning("nodetest", LIMIT);
        Initctl stop = agent.initctl("stop", "nodetest");
        assertThat(stop.rc()).as("%s", stop).isZero();
        assertThat(stop.out()).isEqualTo("nodetest stop/waiting\n");
        assertThat(read(demo.resolve("nodetest.sys.log"))).containsPattern("(?m)^\\[[-0-9T:Z]+\\] \\(sys\\) Stopping$");
        assertThat(dev.upfleet.functional.harness.Procs.alive(pid)).isFalse();
        assertThat(demo.resolve("run/nodetest.pid")).doesNotExist();
    }
}
