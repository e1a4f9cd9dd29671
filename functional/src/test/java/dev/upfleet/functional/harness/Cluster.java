package dev.upfleet.functional.harness;

import dev.upfleet.controller.registry.EtcdCluster;
import dev.upfleet.proto.cluster.v1.ListNodesRequest;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * One test's cluster on a shared real etcd: its own key prefix (so tests of a class share the etcd but nothing
 * else), controllers and agents as separate processes. {@link #close()} stops every agent and controller it started,
 * each even if another fails, and kills whatever they left.
 */
public final class Cluster implements AutoCloseable {
    public static final Duration JOIN_LIMIT = Duration.ofSeconds(60);

    private final EtcdCluster etcd;
    private final String prefix;
    private final List<ControllerProcess> controllers = Collections.synchronizedList(new ArrayList<>());
    private final List<AgentProcess> agents = Collections.synchronizedList(new ArrayList<>());

    public Cluster(EtcdCluster etcd) {
        this.etcd = etcd;
        this.prefix = "/ft-" + UUID.randomUUID().toString().substring(0, 8) + "/";
    }

    public String prefix() {
        return prefix;
    }

    public EtcdCluster etcd() {
        return etcd;
    }

    /** The flags of a controller on this cluster's etcd and prefix, plaintext, 5 s session TTL. */
    public List<String> controllerArgs() {
        return List.of("--etcd", String.join(",", etcd.endpoints()), "--prefix", prefix, "--session-ttl", "5s");
    }

    public ControllerProcess controller(String name) {
        return controller(name, insecureControllerArgs());
    }

    public ControllerProcess controller(String name, List<String> args) {
        return controller(name, args, "127.0.0.1");
    }

    /** A controller with {@code args} listening on {@code host}, an address of this machine. */
    public ControllerProcess controller(String name, List<String> args, String host) {
        ControllerProcess c = ControllerProcess.start(name, args, host);
        controllers.add(c);
        return c;
    }

    /** The flags of {@link #controller(String)}: this cluster's etcd and prefix, plaintext. */
    public List<String> insecureControllerArgs() {
        List<String> args = new ArrayList<>(controllerArgs());
        args.add("--insecure");
        return args;
    }

    /** Options of an insecure agent {@code node} joining through {@code controllers} with {@code labels}. */
    public static AgentProcess.Options agentOptions(String node, List<ControllerProcess> controllers,
                                                    Map<String, String> labels) {
        AgentProcess.Options o = AgentProcess.Options.quiet().withNode(node).withArgs("--controller",
                controllers.stream().map(ControllerProcess::address).collect(Collectors.joining(",")), "--insecure");
        for (var l : labels.entrySet()) {
            o = o.withArgs("--label", l.getKey() + "=" + l.getValue());
        }
        return o;
    }

    public AgentProcess agent(AgentProcess.Options options, AgentProcess.JobFiles jobs) {
        AgentProcess a = AgentProcess.start(options, jobs);
        agents.add(a);
        return a;
    }

    public AgentProcess agent(String node, ControllerProcess controller, AgentProcess.JobFiles jobs) {
        return agent(agentOptions(node, List.of(controller), Map.of()), jobs);
    }

    /** Starts several processes at once (JVM start-up dominates on a busy machine); fails if any fails. */
    @SafeVarargs
    public static <T> List<T> parallel(Callable<T>... starts) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> s : starts) {
                futures.add(pool.submit(s));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return out;
        }
    }

    /** The nodes the cluster lists, asked through {@code via}'s socket. */
    public static List<NodeInfo> nodes(AgentProcess via) {
        return via.cluster().listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
    }

    /** Waits until ListNodes (through {@code via}) shows every one of {@code names}. */
    public static void awaitNodes(AgentProcess via, String... names) {
        Set<String> want = new TreeSet<>(List.of(names));
        Poll.value("nodes " + want + " listed through " + via.node(), JOIN_LIMIT,
                () -> nodes(via).stream().map(NodeInfo::getNode).collect(Collectors.toCollection(TreeSet::new)),
                have -> have.containsAll(want));
    }

    @Override
    public void close() {
        List<Throwable> errors = new ArrayList<>();
        List<AgentProcess> as;
        synchronized (agents) {
            as = List.copyOf(agents);
        }
        for (AgentProcess a : as) {
            try {
                if (a.process() != null && a.process().isAlive()) {
                    a.signal("CONT"); // a test may have stopped it
                }
                a.close();
            } catch (Throwable t) {
                errors.add(t);
            }
        }
        List<ControllerProcess> cs;
        synchronized (controllers) {
            cs = List.copyOf(controllers);
        }
        for (ControllerProcess c : cs) {
            try {
                c.close();
            } catch (Throwable t) {
                errors.add(t);
            }
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("cluster teardown failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }
}
