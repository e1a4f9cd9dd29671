package dev.upfleet.functional.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Cluster;
import dev.upfleet.functional.harness.ControllerProcess;
import dev.upfleet.functional.harness.LoggedEvent;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Ticks;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An agent away past a compaction of etcd's history, against a real etcd: when it comes back it must get an explicit
 * {@code cluster-resync} (COMPACTED_REVISION, RESUME_REVISION) before anything else, then every event stored after
 * the resume point exactly once and in order. The test compacts etcd itself at its current revision (as {@code
 * etcdctl compact} would), standing for the leader's compaction past the retention window, which takes minutes.
 */
class ClusterResyncIT extends RealEtcd {
    static final Duration LIMIT = Duration.ofSeconds(60);

    /** The ticks of {@code origin} stored in etcd, by number, with the revision each was stored at. */
    static Map<Integer, Long> storedTicks(Client client, String prefix, String origin) {
        ByteSequence folder = ByteSequence.from(prefix + "events/" + origin + "/", StandardCharsets.UTF_8);
        Map<Integer, Long> ticks = new TreeMap<>();
        try {
            for (KeyValue kv : client.getKVClient().get(folder, GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs()) {
                RelayedEvent e = RelayedEvent.parseFrom(kv.getValue().getBytes());
                if (e.getName().equals(Ticks.EVENT)) {
                    LoggedEvent logged = new LoggedEvent(origin, e.getName(), e.getEnvList());
                    ticks.put(Integer.parseInt(logged.get("N")), kv.getModRevision());
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a stored event", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + folder, e);
        }
        return ticks;
    }

    static Map<Integer, Long> awaitStored(Client client, Cluster cl, int first, int last) {
        return Poll.value("ticks " + first + ".." + last + " stored in etcd", LIMIT,
                () -> storedTicks(client, cl.prefix(), "a"),
                t -> t.keySet().containsAll(Ticks.range(first, last)));
    }

    /** Compacts etcd's history at its current revision, as {@code etcdctl compact REV} does; returns REV. */
    static long compactNow(Client client) throws Exception {
        long revision = client.getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS).getHeader().getRevision();
        client.getKVClient().compact(revision).get(30, TimeUnit.SECONDS);
        return revision;
    }

    /** b's log of the ticks from a and its cluster-resync events, in the order b applied them. */
    static List<LoggedEvent> ticksAndResyncs(AgentProcess b) {
        List<LoggedEvent> seen = new ArrayList<>();
        for (String line : b.events()) {
            if (!line.endsWith("}")) {
                continue;
            }
            LoggedEvent e = LoggedEvent.parse(line);
            if ((e.node().equals("a") && e.name().equals(Ticks.EVENT) && !"0".equals(e.get("N")))
                    || e.name().equals("cluster-resync")) {
                seen.add(e);
            }
        }
        return seen;
    }

    static String describe(LoggedEvent e) {
        return e.name().equals("cluster-resync")
                ? "resync " + e.get("COMPACTED_REVISION") + "/" + e.get("RESUME_REVISION")
                : e.get("N");
    }

    /**
     * b was told {@code resync} after seeing ticks 1..{@code before}: its log must show those, the resync, then every
     * tick stored after the resume point (which is the compaction: nothing still stored is skipped) once, in order.
     */
    static void assertResumedRightAfterTheCompaction(AgentProcess b, LoggedEvent resync, Map<Integer, Long> revisions,
                                                     int before, int last) {
        long compacted = Long.parseLong(resync.get("COMPACTED_REVISION"));
        long resumeAt = Long.parseLong(resync.get("RESUME_REVISION"));
        assertThat(resumeAt).as("b resumes right after the compaction: nothing still stored is skipped")
                .isEqualTo(compacted);
        List<String> expected = new ArrayList<>(Ticks.range(1, before).stream().map(String::valueOf).toList());
        expected.add("resync " + compacted + "/" + resumeAt);
        revisions.forEach((n, revision) -> {
            if (n > before && revision > resumeAt) {
                expected.add(String.valueOf(n));
            }
        });
        Poll.until("b to have seen tick " + last, LIMIT, () -> Ticks.received(b, "a").contains(last));
        assertThat(ticksAndResyncs(b).stream().map(ClusterResyncIT::describe).toList())
                .as("b's ticks from a and resyncs, in order").containsExactlyElementsOf(expected);
    }

    @Test
    void agentAwayPastACompactionIsToldSoThenGetsEverythingAfterItOnce() throws Exception {
        long t0 = System.nanoTime();
        try (Cluster cl = new Cluster(etcd);
             Client client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            ControllerProcess c1 = cl.controller("c1");
            List<AgentProcess> ab = Ticks.pair(cl, List.of(c1), LIMIT);
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            Ticks.emitRange(a, 1, 20, LIMIT);
            Ticks.await(b, "a", 20, LIMIT);

            b.kill9();
            // Stored while b is away (the others keep publishing what b wanted for the retention window)...
            Ticks.emitRange(a, 21, 60, LIMIT);
            awaitStored(client, cl, 1, 60);
            // ...then compacted away, as the leader does past the retention window.
            long compacted = compactNow(client);
            // Stored after the compaction, still before b is back: these are within reach and must not be lost.
            Ticks.emitRange(a, 61, 80, LIMIT);
            Map<Integer, Long> revisions = awaitStored(client, cl, 61, 80);
            assertThat(revisions.get(60)).isLessThanOrEqualTo(compacted);
            assertThat(revisions.get(61)).isGreaterThan(compacted);

            long back = System.nanoTime();
            b.launch();
            LoggedEvent resync = Poll.value("b's cluster-resync", LIMIT, () -> LoggedEvent.of(b, "b", "cluster-resync"),
                    l -> !l.isEmpty()).getFirst();
            System.out.printf("cluster: b back after a compaction at %d -> cluster-resync %s after %d ms%n", compacted,
                    resync.env(), (System.nanoTime() - back) / 1_000_000);
            Ticks.emitRange(a, 81, 120, LIMIT);
            revisions = awaitStored(client, cl, 1, 120);

            assertThat(Long.parseLong(resync.get("COMPACTED_REVISION"))).as("the compaction b is told of")
                    .isEqualTo(compacted);
            assertResumedRightAfterTheCompaction(b, resync, revisions, 20, 120);
            assertThat(Ticks.received(b, "a")).as("ticks 61-80 were stored after the compaction").contains(61, 80)
                    .doesNotContain(60);
        }
        System.out.printf("cluster: resync test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The same through the controller's own compaction: with a 1 s retention window the leader compacts etcd's
     * history up to a revision it saw at least that long ago (it looks every 30 s, so this takes a minute or two).
     */
    @Test
    void agentAwayLongerThanTheRetentionWindow() throws Exception {
        long t0 = System.nanoTime();
        try (Cluster cl = new Cluster(etcd);
             Client client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            List<String> args = new ArrayList<>(cl.insecureControllerArgs());
            args.addAll(List.of("--retention", "1s"));
            ControllerProcess c1 = cl.controller("c1", args);
            List<AgentProcess> ab = Ticks.pair(cl, List.of(c1), LIMIT);
            AgentProcess a = ab.get(0);
            AgentProcess b = ab.get(1);
            Ticks.emitRange(a, 1, 10, LIMIT);
            Ticks.await(b, "a", 10, LIMIT);

            b.kill9();
            Ticks.emitRange(a, 11, 30, LIMIT);
            // Stored events expire with their retention lease (a minute or so): note their revisions now.
            Map<Integer, Long> revisions = new TreeMap<>(awaitStored(client, cl, 1, 30));
            long last = revisions.get(30);
            long compacted = Poll.value("the leader to compact past tick 30 (revision " + last + ")",
                    Duration.ofSeconds(180), () -> compactions(c1).stream().filter(r -> r >= last).findFirst()
                            .orElse(null), r -> true);
            Ticks.emitRange(a, 31, 40, LIMIT);
            revisions.putAll(awaitStored(client, cl, 31, 40));

            long back = System.nanoTime();
            b.launch();
            LoggedEvent resync = Poll.value("b's cluster-resync", LIMIT, () -> LoggedEvent.of(b, "b", "cluster-resync"),
                    l -> !l.isEmpty()).getFirst();
            System.out.printf("cluster: b back after the leader compacted at %d -> cluster-resync %s after %d ms%n",
                    compacted, resync.env(), (System.nanoTime() - back) / 1_000_000);
            Ticks.emitRange(a, 41, 60, LIMIT);
            revisions.putAll(awaitStored(client, cl, 41, 60));
            assertThat(Long.parseLong(resync.get("COMPACTED_REVISION"))).as("at least the compaction past tick 30")
                    .isGreaterThanOrEqualTo(last);
            assertResumedRightAfterTheCompaction(b, resync, revisions, 10, 60);
            assertThat(Ticks.received(b, "a")).as("lost to the compaction").doesNotContain(30);
        }
        System.out.printf("cluster: retention resync test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** The revisions the controller logged compacting etcd's history to, in order. */
    static List<Long> compactions(ControllerProcess c) {
        String marker = "compacted etcd history up to revision ";
        return c.stderr().lines().filter(l -> l.contains(marker))
                .map(l -> Long.parseLong(l.substring(l.indexOf(marker) + marker.length()).trim())).toList();
    }
}
