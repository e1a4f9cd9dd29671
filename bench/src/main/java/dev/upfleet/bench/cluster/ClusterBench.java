package dev.upfleet.bench.cluster;

import dev.upfleet.proto.cluster.v1.ClusterEmitRequest;
import dev.upfleet.proto.cluster.v1.ClusterGrpc;
import dev.upfleet.proto.cluster.v1.ListNodesRequest;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.JobRequest;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;

/**
 * The cluster benchmark (bench/cluster-bench.sh): a 3-member etcd on loopback, real controller and agent processes,
 * simulated agents in this JVM; every upfleet figure is reported beside the raw etcd figure measured in the same run.
 *
 * <ol>
 *   <li>cross-node latency: emit on real agent a (control socket, no_wait) to the relayed event appearing in real
 *       agent b's --event-log; and a's {@code started db} to b's {@code started web} (start on started db NODE=a);
 *       baseline: jetcd put on one client to the watch event on another.</li>
 *   <li>relay throughput: 100 simulated agents publishing batches, each waiting for its Published ack; baseline:
 *       100 concurrent jetcd put loops (and 100 concurrent txn loops of the same batch size).</li>
 *   <li>failover: 2 controllers, simulated agents on the first; kill -9 it; until all are welcomed by the other.</li>
 *   <li>fan-out: one Cluster.Emit(selector "*") to 1,000 simulated agents; baseline: one put to 1,000 jetcd watchers.</li>
 * </ol>
 */
public final class ClusterBench {
    private static final List<Process> STARTED = new CopyOnWriteArrayList<>();

    // Settings (system properties so the script can tune them).
    private static final int PINGS = Integer.getInteger("bench.pings", 200);
    private static final int RESTARTS = Integer.getInteger("bench.restarts", 30);
    private static final int PUBLISHERS = Integer.getInteger("bench.publishers", 100);
    private static final int[] BATCHES = Arrays.stream(System.getProperty("bench.batches", "100,500").split(","))
            .mapToInt(Integer::parseInt).toArray();
    private static final int THROUGHPUT_SECONDS = Integer.getInteger("bench.throughputSeconds", 6);
    private static final int FAILOVER_AGENTS = Integer.getInteger("bench.failoverAgents", 100);
    private static final int FANOUT_AGENTS = Integer.getInteger("bench.fanoutAgents", 1000);
    private static final int FANOUT_EMITS = Integer.getInteger("bench.fanoutEmits", 5);
    /** Which measurements to run: latency, throughput, failover, fanout (all by default). */
    private static final List<String> ONLY = List.of(System.getProperty("bench.only", "latency,throughput,failover,fanout")
            .split(","));

    private final Path root;
    private final Path work;
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private EtcdProcs etcd;

    private ClusterBench(Path root, Path work) {
        this.root = root;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath();
        Path work = Path.of(args[1]).toAbsolutePath();
        Path out = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(work);
        Runtime.getRuntime().addShutdownHook(new Thread(ClusterBench::killAll));
        ClusterBench b = new ClusterBench(root, work);
        int rc = 0;
        try {
            b.run();
        } catch (Throwable t) {
            t.printStackTrace();
            b.notes.add("**run aborted**: " + t);
            rc = 1;
        } finally {
            String table = b.table();
            System.out.println();
            System.out.println(table);
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
            System.err.println("results written to " + out);
            killAll();
            if (b.etcd != null) {
                b.etcd.close();
            }
        }
        System.exit(rc);
    }

    private void run() throws Exception {
        log("starting a 3-member etcd");
        etcd = new EtcdProcs(3, work);
        int[] ports = EtcdProcs.freePorts(2);
        String ctlA = "127.0.0.1:" + ports[0];
        String ctlB = "127.0.0.1:" + ports[1];
        Process controllerA = startController("ctl-a", ctlA);
        try (Client c1 = client(); Client c2 = client()) {
            if (ONLY.contains("latency")) {
                latency(c1, c2, ctlA);
            }
            if (ONLY.contains("throughput")) {
                throughput(c1, ctlA);
            }
            Process controllerB = startController("ctl-b", ctlB);
            if (ONLY.contains("failover")) {
                failover(controllerA, ctlA, ctlB);
            }
            if (ONLY.contains("fanout")) {
                fanout(c1, ctlB);
            }
            stop(controllerB);
        }
    }

    // ---- 1. cross-node latency -------------------------------------------------------------------------------------

    private void latency(Client put, Client watch, String controller) throws Exception {
        log("1. etcd put->watch baseline (" + PINGS + " puts, 20 ms apart)");
        long[] etcdLat = putWatchLatency(put, watch, PINGS);

        log("1. starting real agents a and b");
        Path da = agentDir("a", Map.of("db.conf", "description \"bench db\"\nexec sleep infinity\n"));
        Path db = agentDir("b", Map.of(
                "web.conf", "start on started db NODE=a\nstop on stopping db NODE=a\nexec sleep infinity\n",
                "pinged.conf", "start on ping NODE=a\ntask\nexec true\n"));
        Process agentA = startAgent("a", controller, da);
        Process agentB = startAgent("b", controller, db);
        awaitNodes(controller, List.of("a", "b"));

        ConcurrentHashMap<Long, Long> arrivals = new ConcurrentHashMap<>();
        ConcurrentHashMap<Long, Long> local = new ConcurrentHashMap<>(); // the ping in a's own event log
        LinkedBlockingQueue<long[]> aStarted = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String[]> bEvents = new LinkedBlockingQueue<>();
        try (Tailer ta = new Tailer(da.resolve("events.jsonl"), (line, t) -> {
                 if (line.contains("\"name\":\"started\"") && line.contains("\"JOB=db\"")) {
                     aStarted.add(new long[] {t});
                 } else if (line.contains("\"name\":\"ping\"")) {
                     int i = line.indexOf("SEQ=");
                     local.put(Long.parseLong(line.substring(i + 4, line.indexOf('"', i))), t);
                 }
             });
             Tailer tb = new Tailer(db.resolve("events.jsonl"), (line, t) -> {
                 if (line.contains("\"name\":\"ping\"") && line.contains("\"node\":\"a\"")) {
                     int i = line.indexOf("SEQ=");
                     arrivals.put(Long.parseLong(line.substring(i + 4, line.indexOf('"', i))), t);
                 } else if (line.contains("JOB=web")) {
                     bEvents.add(new String[] {line, Long.toString(t)});
                 }
             })) {
            ManagedChannel ch = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(da.resolve("agent.sock")))
                    .channelType(NioDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
            ControlGrpc.ControlBlockingStub a = ControlGrpc.newBlockingStub(ch);
            // Until b's interest reached a (a publishes only events some node wants): ping until one arrives.
            long seq = 1_000_000;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (arrivals.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no ping from a reached b in 20 s");
                }
                emit(a, "ping", seq++);
                Thread.sleep(100);
            }
            for (int i = 0; i < 30; i++) { // warm-up
                emit(a, "ping", seq++);
                Thread.sleep(20);
            }
            log("1. " + PINGS + " pings a -> b, 20 ms apart");
            long[] sent = new long[PINGS];
            for (int i = 0; i < PINGS; i++) {
                sent[i] = System.nanoTime();
                emit(a, "ping", i);
                Thread.sleep(20);
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && countArrived(arrivals, PINGS) < PINGS) {
                Thread.sleep(10);
            }
            long[] lat = new long[PINGS];
            long[] onA = new long[PINGS];
            long[] aToB = new long[PINGS];
            int got = 0;
            for (int i = 0; i < PINGS; i++) {
                Long t = arrivals.get((long) i);
                Long l = local.get((long) i);
                if (t != null && l != null) {
                    onA[got] = l - sent[i];
                    aToB[got] = t - l;
                    lat[got++] = t - sent[i];
                }
            }
            lat = Arrays.copyOf(lat, got);
            onA = Arrays.copyOf(onA, got);
            aToB = Arrays.copyOf(aToB, got);
            notes.add("1. split of emit->delivery, p50 / p99: emit RPC to a's own event log " + ms(pct(onA, 50)) + " / "
                    + ms(pct(onA, 99)) + "; a's event log to b's event log (publish, controller, etcd txn, watch, "
                    + "delivery, b's engine) " + ms(pct(aToB, 50)) + " / " + ms(pct(aToB, 99)));
            if (got < PINGS) {
                notes.add("pings: only " + got + " of " + PINGS + " arrived at b");
            }
            row("1. cross-node emit->delivery p50 (a's `ping`, no_wait, to b's event log)", ms(pct(lat, 50)),
                    "put->watch p50 " + ms(pct(etcdLat, 50)), ratio(pct(lat, 50), pct(etcdLat, 50)), "≤ 3× etcd",
                    pct(lat, 50) <= 3 * pct(etcdLat, 50));
            row("1. cross-node emit->delivery p99", ms(pct(lat, 99)), "put->watch p99 " + ms(pct(etcdLat, 99)),
                    ratio(pct(lat, 99), pct(etcdLat, 99)), "< 25 ms", pct(lat, 99) < 25_000_000L);
            notes.add("1. emit->delivery over " + got + " pings: min " + ms(pct(lat, 0)) + ", p90 " + ms(pct(lat, 90))
                    + ", max " + ms(pct(lat, 100)) + "; etcd put->watch min " + ms(pct(etcdLat, 0)) + ", max "
                    + ms(pct(etcdLat, 100)));

            log("1. " + RESTARTS + " db starts on a -> web running on b");
            long[] dep = new long[RESTARTS];
            int n = 0;
            for (int i = 0; i < RESTARTS + 3; i++) {
                aStarted.clear();
                bEvents.clear();
                a.withDeadlineAfter(10, TimeUnit.SECONDS).start(JobRequest.newBuilder().setJob("db").build());
                long[] ta0 = aStarted.poll(10, TimeUnit.SECONDS);
                String[] webStarted = await(bEvents, e -> e[0].contains("\"name\":\"started\"") && e[0].contains("\"node\":\"b\""), 10);
                a.withDeadlineAfter(10, TimeUnit.SECONDS).stop(JobRequest.newBuilder().setJob("db").build());
                await(bEvents, e -> e[0].contains("\"name\":\"stopped\"") && e[0].contains("\"node\":\"b\""), 10);
                if (i >= 3 && ta0 != null && webStarted != null) { // first 3: warm-up
                    dep[n++] = Long.parseLong(webStarted[1]) - ta0[0];
                }
                Thread.sleep(50);
            }
            dep = Arrays.copyOf(dep, n);
            row("1. `started db` on a -> `started web` on b (start on started db NODE=a), p50 / p99 over " + n,
                    ms(pct(dep, 50)) + " / " + ms(pct(dep, 99)),
                    "put->watch " + ms(pct(etcdLat, 50)) + " / " + ms(pct(etcdLat, 99)),
                    ratio(pct(dep, 50), pct(etcdLat, 50)) + " / " + ratio(pct(dep, 99), pct(etcdLat, 99)),
                    "p99 < 25 ms", pct(dep, 99) < 25_000_000L);
            ch.shutdownNow();
        }
        stop(agentA);
        stop(agentB);
    }

    private static void emit(ControlGrpc.ControlBlockingStub a, String name, long seq) {
        a.withDeadlineAfter(5, TimeUnit.SECONDS).emit(EmitRequest.newBuilder().setName(name).addEnv("SEQ=" + seq)
                .setNoWait(true).build());
    }

    private static int countArrived(Map<Long, Long> arrivals, int n) {
        int c = 0;
        for (long i = 0; i < n; i++) {
            if (arrivals.containsKey(i)) {
                c++;
            }
        }
        return c;
    }

    private static <T> T await(LinkedBlockingQueue<T> q, Predicate<T> p, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            T t = q.poll(left, TimeUnit.NANOSECONDS);
            if (t != null && p.test(t)) {
                return t;
            }
        }
    }

    private long[] putWatchLatency(Client put, Client watch, int n) throws Exception {
        String prefix = "/bench/lat/";
        ConcurrentHashMap<Integer, Long> seen = new ConcurrentHashMap<>();
        try (Watch.Watcher w = watch.getWatchClient().watch(bytes(prefix),
                WatchOption.builder().isPrefix(true).build(), resp -> {
                    long now = System.nanoTime();
                    resp.getEvents().forEach(e -> seen.put(Integer.parseInt(
                            e.getKeyValue().getKey().toString(StandardCharsets.UTF_8).substring(prefix.length())), now));
                })) {
            Thread.sleep(300);
            KV kv = put.getKVClient();
            ByteSequence value = ByteSequence.from(sampleEvent("bench", 1).toByteArray());
            for (int i = 0; i < 30; i++) { // warm-up
                kv.put(bytes(prefix + (100000 + i)), value).get();
                Thread.sleep(20);
            }
            long[] sent = new long[n];
            for (int i = 0; i < n; i++) {
                sent[i] = System.nanoTime();
                kv.put(bytes(prefix + i), value); // not waiting for the reply: the watch measures
                Thread.sleep(20);
            }
            Thread.sleep(500);
            long[] lat = new long[n];
            int got = 0;
            for (int i = 0; i < n; i++) {
                Long t = seen.get(i);
                if (t != null) {
                    lat[got++] = t - sent[i];
                }
            }
            return Arrays.copyOf(lat, got);
        }
    }

    // ---- 2. relay throughput ---------------------------------------------------------------------------------------

    private void throughput(Client c, String controller) throws Exception {
        log("2. etcd baseline: " + PUBLISHERS + " concurrent put loops");
        double putRate = etcdParallel(c, 1);
        Map<Integer, Double> txnRates = new HashMap<>();
        for (int batch : BATCHES) {
            log("2. etcd baseline: " + PUBLISHERS + " concurrent txn loops of " + Math.min(batch, 128) + " puts");
            txnRates.put(batch, etcdParallel(c, Math.min(batch, 128)));
        }
        log("2. connecting " + PUBLISHERS + " simulated agents");
        List<SimAgent> agents = connectAll(PUBLISHERS, "pub", List.of(controller), List.of(), target -> channel(target), 60);
        for (int batch : BATCHES) {
            log("2. " + PUBLISHERS + " agents publishing batches of " + batch);
            AtomicLong stored = new AtomicLong();
            AtomicInteger errors = new AtomicInteger();
            long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            long end = warmEnd + TimeUnit.SECONDS.toNanos(THROUGHPUT_SECONDS);
            AtomicLong[] window = {new AtomicLong()};
            List<Thread> threads = new ArrayList<>();
            for (SimAgent ag : agents) {
                threads.add(Thread.ofVirtual().start(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            ag.publishBatch(batch, "load");
                            long now = System.nanoTime();
                            if (now > warmEnd && now <= end) {
                                stored.addAndGet(batch);
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            return;
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(THROUGHPUT_SECONDS + 40));
            }
            double rate = stored.get() / (double) THROUGHPUT_SECONDS;
            if (errors.get() > 0) {
                notes.add("2. batch " + batch + ": " + errors.get() + " publishers failed (ack timeout / stream end)");
            }
            row("2. relay throughput, " + PUBLISHERS + " agents, PublishBatch of " + batch + " (events/s stored, acked)",
                    String.format("%,.0f", rate), String.format("%,.0f puts/s (100 put loops)", putRate),
                    String.format("%.2f×", rate / putRate), "≥ etcd put rate", rate >= putRate);
            notes.add(String.format("2. batch %d: etcd's own ceiling for this shape, %d concurrent txns of %d puts: %,.0f "
                    + "events/s (upfleet reached %.0f%% of it)", batch, PUBLISHERS, Math.min(batch, 128),
                    txnRates.get(batch), 100 * rate / txnRates.get(batch)));
            Thread.sleep(1000);
        }
        agents.forEach(SimAgent::close);
        Thread.sleep(2000);
    }

    /** Events per second over 5 s (after 1 s warm-up) of PUBLISHERS loops each doing txns of {@code perTxn} puts. */
    private double etcdParallel(Client c, int perTxn) throws Exception {
        KV kv = c.getKVClient();
        ByteSequence value = ByteSequence.from(sampleEvent("bench", 1).toByteArray());
        AtomicLong done = new AtomicLong();
        long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long end = warmEnd + TimeUnit.SECONDS.toNanos(5);
        List<Thread> threads = new ArrayList<>();
        String run = "/bench/put" + perTxn + "/";
        for (int l = 0; l < PUBLISHERS; l++) {
            int loop = l;
            threads.add(Thread.ofVirtual().start(() -> {
                long i = 0;
                try {
                    while (System.nanoTime() < end) {
                        if (perTxn == 1) {
                            kv.put(bytes(run + loop + "/" + i++), value).get();
                        } else {
                            Op[] ops = new Op[perTxn];
                            for (int k = 0; k < perTxn; k++) {
                                ops[k] = Op.put(bytes(run + loop + "/" + i++), value, PutOption.DEFAULT);
                            }
                            kv.txn().Then(ops).commit().get();
                        }
                        long now = System.nanoTime();
                        if (now > warmEnd && now <= end) {
                            done.addAndGet(perTxn);
                        }
                    }
                } catch (Exception e) {
                    System.err.println("etcd loop: " + e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        // Keep the keyspace small for what follows.
        kv.delete(bytes(run), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get();
        return done.get() / 5.0;
    }

    // ---- 4. failover -----------------------------------------------------------------------------------------------

    private void failover(Process controllerA, String ctlA, String ctlB) throws Exception {
        log("4. connecting " + FAILOVER_AGENTS + " simulated agents listing " + ctlA + "," + ctlB);
        List<SimAgent> agents = connectAll(FAILOVER_AGENTS, "fo", List.of(ctlA, ctlB), List.of(),
                target -> channel(target), 60);
        long onA = agents.stream().filter(x -> ctlA.equals(x.controller)).count();
        Thread.sleep(1000);
        log("4. kill -9 controller " + ctlA + " (" + onA + " agents on it)");
        long t0 = System.nanoTime();
        controllerA.destroyForcibly();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && agents.stream().anyMatch(x -> !ctlB.equals(x.controller))) {
            Thread.sleep(5);
        }
        long[] times = agents.stream().filter(x -> ctlB.equals(x.controller)).mapToLong(x -> x.welcomedAt - t0).toArray();
        long missing = agents.size() - times.length;
        long last = missing > 0 ? Long.MAX_VALUE : pct(times, 100);
        row("4. failover: kill -9 controller, " + agents.size() + " agents: last Welcome from the other",
                missing > 0 ? missing + " agents not back in 30 s" : ms(last) + " (p50 " + ms(pct(times, 50)) + ")",
                "n/a (etcd not involved in detection)", "", "< 3 s", last < 3_000_000_000L);
        agents.forEach(SimAgent::close);
        Thread.sleep(2000);
    }

    // ---- 3. fan-out ------------------------------------------------------------------------------------------------

    private void fanout(Client c, String controller) throws Exception {
        log("3. etcd baseline: one put to " + FANOUT_AGENTS + " watchers");
        long[] etcdFan = etcdFanout(c, FANOUT_EMITS);

        log("3. connecting " + FANOUT_AGENTS + " simulated agents");
        List<ManagedChannel> pool = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pool.add(channel(controller));
        }
        AtomicInteger rr = new AtomicInteger();
        long j0 = System.nanoTime();
        List<SimAgent> agents = connectAll(FANOUT_AGENTS, "fan", List.of(controller), List.of(),
                t -> pool.get(rr.getAndIncrement() % pool.size()), 180);
        long joinAll = System.nanoTime() - j0;
        notes.add("3. " + FANOUT_AGENTS + " simulated agents (20 shared HTTP/2 connections) all welcomed in " + ms(joinAll));
        Thread.sleep(5000); // let the sessions' etcd watches be created
        ManagedChannel ch = channel(controller);
        ClusterGrpc.ClusterBlockingStub stub = ClusterGrpc.newBlockingStub(ch);
        long[] last = new long[FANOUT_EMITS];
        long[] median = new long[FANOUT_EMITS];
        long[] stored = new long[FANOUT_EMITS];
        int[] reached = new int[FANOUT_EMITS];
        for (int k = 0; k < FANOUT_EMITS; k++) {
            String tag = "K=" + k;
            AtomicLongArray at = new AtomicLongArray(agents.size());
            CountDownLatch all = new CountDownLatch(agents.size());
            for (int i = 0; i < agents.size(); i++) {
                int idx = i;
                agents.get(i).onDelivery = (e, t) -> {
                    if (e.getName().equals("fanout") && e.getEnvList().contains(tag) && at.compareAndSet(idx, 0, t)) {
                        all.countDown();
                    }
                };
            }
            long t0 = System.nanoTime();
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).emit(ClusterEmitRequest.newBuilder().setName("fanout")
                    .addEnv(tag).setOriginNode("bench").setSelector("*").build());
            stored[k] = System.nanoTime() - t0;
            all.await(30, TimeUnit.SECONDS);
            long[] lat = new long[agents.size()];
            int n = 0;
            for (int i = 0; i < agents.size(); i++) {
                long t = at.get(i);
                if (t != 0) {
                    lat[n++] = t - t0;
                }
            }
            lat = Arrays.copyOf(lat, n);
            reached[k] = n;
            last[k] = n == agents.size() ? pct(lat, 100) : Long.MAX_VALUE;
            median[k] = pct(lat, 50);
            log(String.format("3. emit %d: reached %d, median %s, last %s (Emit RPC %s)", k, n, ms(median[k]),
                    ms(pct(lat, 100)), ms(stored[k])));
            Thread.sleep(1000);
        }
        long[] sortedLast = last.clone();
        Arrays.sort(sortedLast);
        long medLast = sortedLast[sortedLast.length / 2];
        int minReached = Arrays.stream(reached).min().orElse(0);
        row("3. fan-out: Cluster.Emit(\"*\") to " + FANOUT_AGENTS + " agents, last Delivery (median of " + FANOUT_EMITS
                        + " emits; worst)",
                minReached < FANOUT_AGENTS ? "only " + minReached + " reached in 30 s" : ms(medLast) + "; " + ms(sortedLast[sortedLast.length - 1]),
                "1 put -> " + FANOUT_AGENTS + " watchers: " + ms(pct(etcdFan, 50)) + "; " + ms(pct(etcdFan, 100)),
                ratio(medLast, pct(etcdFan, 50)), "< 1 s", medLast < 1_000_000_000L);
        notes.add("3. per emit (median agent / last agent / Emit RPC): " + describe(median, last, stored));
        agents.forEach(SimAgent::close);
        ch.shutdownNow();
        pool.forEach(ManagedChannel::shutdownNow);
    }

    private static String describe(long[] median, long[] last, long[] stored) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < median.length; i++) {
            sb.append(i == 0 ? "" : "; ").append(ms(median[i])).append(" / ").append(last[i] == Long.MAX_VALUE ? "incomplete" : ms(last[i]))
                    .append(" / ").append(ms(stored[i]));
        }
        return sb.toString();
    }

    private long[] etcdFanout(Client c, int rounds) throws Exception {
        String prefix = "/bench/fan/";
        List<Watch.Watcher> watchers = new ArrayList<>();
        AtomicLongArray[] at = new AtomicLongArray[rounds];
        CountDownLatch[] done = new CountDownLatch[rounds];
        for (int k = 0; k < rounds; k++) {
            at[k] = new AtomicLongArray(FANOUT_AGENTS);
            done[k] = new CountDownLatch(FANOUT_AGENTS);
        }
        try (Client watchClient = client()) {
            for (int i = 0; i < FANOUT_AGENTS; i++) {
                int idx = i;
                watchers.add(watchClient.getWatchClient().watch(bytes(prefix), WatchOption.builder().isPrefix(true).build(),
                        resp -> {
                            long now = System.nanoTime();
                            resp.getEvents().forEach(e -> {
                                int k = Integer.parseInt(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8)
                                        .substring(prefix.length()));
                                if (at[k].compareAndSet(idx, 0, now)) {
                                    done[k].countDown();
                                }
                            });
                        }));
            }
            Thread.sleep(3000);
            long[] last = new long[rounds];
            for (int k = 0; k < rounds; k++) {
                long t0 = System.nanoTime();
                c.getKVClient().put(bytes(prefix + k), bytes("x"));
                if (!done[k].await(30, TimeUnit.SECONDS)) {
                    notes.add("3. etcd baseline round " + k + ": only " + (FANOUT_AGENTS - done[k].getCount()) + " watchers");
                }
                long max = 0;
                for (int i = 0; i < FANOUT_AGENTS; i++) {
                    max = Math.max(max, at[k].get(i) - t0);
                }
                last[k] = max;
                Thread.sleep(300);
            }
            watchers.forEach(Watch.Watcher::close);
            return last;
        }
    }

    // ---- processes -------------------------------------------------------------------------------------------------

    private Process startController(String name, String listen) throws Exception {
        log("starting controller " + name + " on " + listen);
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/upfleet-controller").toString(), "--etcd", etcd.joined(),
                "--listen", listen, "--insecure")
                .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().put("UPFLEET_NO_AOT", "1");
        Process p = start(pb);
        int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                break;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("controller " + name + " did not start: see " + work.resolve(name + ".log"));
                }
                Thread.sleep(50);
            }
        }
        return p;
    }

    private Path agentDir(String node, Map<String, String> jobs) throws IOException {
        Path d = work.resolve("agent-" + node);
        Files.createDirectories(d.resolve("conf"));
        Files.createDirectories(d.resolve("logs"));
        Files.createDirectories(d.resolve("state"));
        Files.deleteIfExists(d.resolve("events.jsonl"));
        for (var e : jobs.entrySet()) {
            Files.writeString(d.resolve("conf").resolve(e.getKey()), e.getValue());
        }
        return d;
    }

    private Process startAgent(String node, String controller, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/upfleet-agent").toString(), "--node", node,
                "--controller", controller, "--insecure", "--confdir", dir.resolve("conf").toString(),
                "--socket", dir.resolve("agent.sock").toString(), "--log-dir", dir.resolve("logs").toString(),
                "--state-dir", dir.resolve("state").toString(), "--event-log", dir.resolve("events.jsonl").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
        pb.environment().put("UPFLEET_NO_AOT", "1");
        return start(pb);
    }

    private void awaitNodes(String controller, List<String> nodes) throws InterruptedException {
        ManagedChannel ch = channel(controller);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (System.nanoTime() < deadline) {
                try {
                    List<String> have = ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .listNodes(ListNodesRequest.getDefaultInstance()).getNodesList().stream()
                            .map(NodeInfo::getNode).toList();
                    if (have.containsAll(nodes)) {
                        return;
                    }
                } catch (RuntimeException e) {
                    // not yet
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("nodes " + nodes + " did not join in 40 s: see " + work);
        } finally {
            ch.shutdownNow();
        }
    }

    private List<SimAgent> connectAll(int n, String prefix, List<String> controllers, List<String> interest,
                                      java.util.function.Function<String, ManagedChannel> channels, int timeoutSeconds)
            throws Exception {
        List<SimAgent> agents = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SimAgent a = new SimAgent(prefix + "-" + i, controllers, interest, channels, timer);
            agents.add(a);
            a.connect();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (SimAgent a : agents) {
            a.welcomed.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        return agents;
    }

    private ManagedChannel channel(String target) {
        return NettyChannelBuilder.forTarget(target).usePlaintext().eventLoopGroup(group)
                .channelType(io.netty.channel.socket.nio.NioSocketChannel.class)
                .keepAliveTime(10, TimeUnit.SECONDS).keepAliveWithoutCalls(true).build();
    }

    private Client client() {
        return Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
    }

    private static Process start(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        STARTED.add(p);
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: a polite stop
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private static void killAll() {
        for (Process p : STARTED) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    // ---- figures ---------------------------------------------------------------------------------------------------

    private static RelayedEvent sampleEvent(String node, long seq) {
        return RelayedEvent.newBuilder().setOriginNode(node).setOriginSeq(seq).setName("load").addEnv("I=" + seq)
                .setEmittedUnixMillis(System.currentTimeMillis()).build();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static long pct(long[] values, double p) {
        if (values.length == 0) {
            return Long.MAX_VALUE;
        }
        long[] v = values.clone();
        Arrays.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, i))];
    }

    static String ms(long nanos) {
        if (nanos == Long.MAX_VALUE) {
            return "n/a";
        }
        return nanos >= 100_000_000L ? String.format("%.0f ms", nanos / 1e6) : String.format("%.2f ms", nanos / 1e6);
    }

    private static String ratio(long a, long b) {
        if (a == Long.MAX_VALUE || b == Long.MAX_VALUE || b == 0) {
            return "n/a";
        }
        return String.format("%.1f×", a / (double) b);
    }

    private void row(String metric, String upfleet, String etcdFigure, String ratio, String goal, boolean met) {
        rows.add(new String[] {metric, upfleet, etcdFigure, ratio, goal, met ? "yes" : "**no**"});
        System.err.println("RESULT | " + String.join(" | ", rows.getLast()));
    }

    private String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("# upfleet cluster benchmark, ").append(LocalDate.now()).append("\n\n");
        sb.append("3-member etcd 3.4 on loopback (tmpfs), real `bin/upfleet-controller`, real agents for 1., simulated ")
                .append("agents (gRPC Session streams in one JVM) for 2.-4.; ").append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs; every etcd figure measured in the same run.\n\n");
        sb.append("| measurement | upfleet | etcd baseline (same run) | ratio | goal | met |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (String[] r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        if (!notes.isEmpty()) {
            sb.append("\nNotes:\n\n");
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    private static void log(String s) {
        System.err.printf("[%tT] %s%n", System.currentTimeMillis(), s);
    }
}
