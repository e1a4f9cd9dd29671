package dev.upfleet.functional.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code bin/upfleet-controller} process on a free loopback port. Like {@link AgentProcess} it carries a
 * marker variable so {@link #close()} can kill whatever it left behind; {@link #kill9()} crashes it (its agents'
 * leases then expire in etcd by themselves).
 */
public final class ControllerProcess implements AutoCloseable {
    private static final String MARKER_VAR = "UPFLEET_FT_MARKER";

    private final String name;
    private final Path dir;
    private final List<String> args;
    private final String marker = UUID.randomUUID().toString();
    private final String host;
    private final int port;
    private final List<Path> stderrFiles = new ArrayList<>();
    private Process process;

    private ControllerProcess(String name, Path dir, String host, int port, List<String> args) {
        this.name = name;
        this.host = host;
        this.dir = dir;
        this.port = port;
        this.args = args;
    }

    /**
     * Starts a controller on 127.0.0.1 with these flags besides {@code --listen} (e.g. {@code --etcd URLS --prefix P
     * --insecure}) and waits until it says it is serving.
     */
    public static ControllerProcess start(String name, List<String> args) {
        return start(name, args, "127.0.0.1");
    }

    /** As {@link #start(String, List)}, listening on {@code host} (an address of this machine) instead. */
    public static ControllerProcess start(String name, List<String> args, String host) {
        ControllerProcess c;
        try {
            c = new ControllerProcess(name, Files.createTempDirectory("upfleet-ctl"), host, freePort(host),
                    List.copyOf(args));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            c.launch();
            return c;
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    public void launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("controller already running");
        }
        List<String> cmd = new ArrayList<>(List.of(Project.bin("upfleet-controller").toString(),
                "--listen", address()));
        cmd.addAll(args);
        Path stderr = dir.resolve("controller-" + (stderrFiles.size() + 1) + ".err");
        stderrFiles.add(stderr);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false)
                .redirectOutput(dir.resolve("controller.out").toFile()).redirectError(stderr.toFile());
        pb.environment().put(MARKER_VAR, marker);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Poll.until("controller " + name + " to serve on " + address(), AgentProcess.START_LIMIT, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("controller exited with " + process.exitValue() + ": " + stderr());
            }
            return stderr().contains("serving on");
        });
    }

    public String name() {
        return name;
    }

    /** {@code HOST:PORT} ({@code 127.0.0.1} unless started on another host address), for {@code --controller}. */
    public String address() {
        return host + ":" + port;
    }

    public Process process() {
        return process;
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public String stderr() {
        StringBuilder all = new StringBuilder();
        for (Path p : stderrFiles) {
            try {
                all.append(Files.readString(p, StandardCharsets.UTF_8));
            } catch (IOException e) {
                all.append("<").append(p).append(": ").append(e).append(">\n");
            }
        }
        return all.toString();
    }

    /** SIGKILLs the controller, as a crash would. */
    public void kill9() {
        for (long pid : Procs.withEnv(MARKER_VAR + "=" + marker)) {
            Procs.signal(pid, "KILL");
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (long pid : Procs.withEnv(MARKER_VAR + "=" + marker)) {
            Procs.signal(pid, "KILL");
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    public static int freePort() {
        return freePort("127.0.0.1");
    }

    static int freePort(String host) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
