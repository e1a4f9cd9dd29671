package dev.upfleet.functional.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * A Linux network namespace joined to this host by a veth pair on a private /30: the host's end has
 * {@link #hostAddress()}, the namespace's end {@link #nsAddress()}. A process started under {@link #exec()} has only that link (and its own
 * loopback), so {@link #cut()} partitions it from everything on the host, {@link #heal()} joins it again. Names and
 * the subnet are random, so concurrent runs do not collide. {@link #close()} deletes the link and the namespace (also
 * from a shutdown hook, should the test JVM stop first); close the processes inside it before.
 *
 * <p>Needs root and {@code ip} from iproute2: {@link #create()} skips the calling test (a JUnit assumption) when it
 * cannot make a namespace here.
 */
public final class NetNs implements AutoCloseable {
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(30);

    private final String name;
    private final String hostIf;
    private final String nsIf;
    private final String hostAddress;
    private final String nsAddress;
    private final Thread shutdownHook;
    private boolean closed;

    private NetNs(String id, int subnet) {
        this.name = "upft-" + id;
        this.hostIf = "upfh" + id; // interface names: at most 15 bytes
        this.nsIf = "upfn" + id;
        int base = subnet * 4; // a /30 in 10.213.0.0/16: .1 the host, .2 the namespace
        this.hostAddress = "10.213." + (base >> 8) + "." + ((base & 0xff) + 1);
        this.nsAddress = "10.213." + (base >> 8) + "." + ((base & 0xff) + 2);
        this.shutdownHook = Thread.ofPlatform().unstarted(this::removeQuietly);
    }

    /** A fresh namespace with its link up; skips the test when {@code ip netns} is not usable here. */
    public static NetNs create() {
        NetNs ns = new NetNs(UUID.randomUUID().toString().replace("-", "").substring(0, 8),
                ThreadLocalRandom.current().nextInt(1, 16384));
        Initctl probe;
        try {
            probe = run("ip", "netns", "add", ns.name);
        } catch (RuntimeException e) {
            probe = new Initctl(-1, "", e.toString());
        }
        if (probe.rc() != 0) {
            String message = "network namespaces are not usable here (needs root and iproute2's `ip netns`): "
                    + probe.err().strip() + ": partition test SKIPPED";
            System.err.println("\n!!!!!!!!!! " + message + " !!!!!!!!!!\n");
            Assumptions.abort(message);
        }
        Runtime.getRuntime().addShutdownHook(ns.shutdownHook);
        try {
            ns.must("ip", "link", "add", ns.hostIf, "type", "veth", "peer", "name", ns.nsIf);
            ns.must("ip", "link", "set", ns.nsIf, "netns", ns.name);
            ns.must("ip", "addr", "add", ns.hostAddress + "/30", "dev", ns.hostIf);
            ns.must("ip", "link", "set", ns.hostIf, "up");
            ns.must(ns.inside("ip", "addr", "add", ns.nsAddress + "/30", "dev", ns.nsIf));
            ns.must(ns.inside("ip", "link", "set", ns.nsIf, "up"));
            ns.must(ns.inside("ip", "link", "set", "lo", "up"));
            return ns;
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** The host's end of the link: listen here to be reachable from inside. */
    public String hostAddress() {
        return hostAddress;
    }

    public String nsAddress() {
        return nsAddress;
    }

    /** The command prefix that runs a program inside the namespace ({@code ip netns exec NAME}, which execs it). */
    public List<String> exec() {
        return List.of("ip", "netns", "exec", name);
    }

    /** Takes the host's end of the link down: nothing passes between the namespace and the host until {@link #heal}. */
    public void cut() {
        must("ip", "link", "set", hostIf, "down");
    }

    public void heal() {
        must("ip", "link", "set", hostIf, "up");
    }

    private List<String> inside(String... command) {
        List<String> all = new ArrayList<>(exec());
        all.addAll(List.of(command));
        return all;
    }

    private void must(String... command) {
        must(List.of(command));
    }

    private void must(List<String> command) {
        Initctl r = Project.run(command, Map.of(), COMMAND_LIMIT);
        if (r.rc() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.rc() + "): " + r.err().strip());
        }
    }

    private static Initctl run(String... command) {
        return Project.run(List.of(command), Map.of(), COMMAND_LIMIT);
    }

    /** Deletes the link (both ends) and the namespace; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        removeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        Initctl left = run("ip", "netns", "list");
        if (left.out().lines().anyMatch(l -> l.split(" ")[0].equals(name))) {
            throw new AssertionError("network namespace " + name + " left behind: " + left.out());
        }
    }

    private void removeQuietly() {
        // Deleting either end of a veth pair deletes both; the namespace's end goes with the namespace too.
        run("ip", "link", "del", hostIf);
        run("ip", "netns", "del", name);
    }

    @Override
    public String toString() {
        return name + " (" + hostIf + " " + hostAddress + " <-> " + nsIf + " " + nsAddress + ")";
    }
}
