package dev.upfleet.controller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.controller.registry.Registry.JobChange;
import dev.upfleet.controller.registry.Registry.Lease;
import dev.upfleet.controller.registry.Registry.NodeChange;
import dev.upfleet.controller.registry.Registry.StoredEvent;
import dev.upfleet.controller.registry.Registry.PendingCommand;
import dev.upfleet.proto.cluster.v1.CommandFailure;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.cluster.v1.Verb;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.JobRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Registry} must do, run against the in-memory fake and against a real etcd cluster. Revisions
 * are compared relative to {@code base} (the revision when the test began), since the etcd store is shared.
 */
public abstract class RegistryContract {
    protected static final Duration LONG_TTL = Duration.ofSeconds(30);

    protected Registry registry;
    protected long base;
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** A registry on an empty (or empty-prefixed) store. */
    protected abstract Registry newRegistry();

    /** Another client of {@code registry}'s store (the fake: the same instance). */
    protected abstract Registry sameStore(Registry registry);

    /** Stops {@code lease}'s keep-alives without revoking it and lets time pass so it expires. */
    protected abstract void expire(Registry registry, Lease lease);

    /** The shortest TTL the implementation grants (etcd rounds up to whole seconds, and has a minimum). */
    protected abstract Duration shortTtl();

    @BeforeEach
    void openRegistry() {
        registry = track(newRegistry());
        base = registry.currentRevision();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }

    protected <C extends AutoCloseable> C track(C closeable) {
        opened.add(closeable);
        return closeable;
    }

    protected static NodeInfo node(String name, String version) {
        return NodeInfo.newBuilder().setNode(name).setVersion(version).putLabels("role", "test").build();
    }

    protected static RelayedEvent event(String origin, long seq) {
        return RelayedEvent.newBuilder().setOriginNode(origin).setOriginSeq(seq).setName("ev" + seq)
                .addEnv("SEQ=" + seq).build();
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    @Test
    void putAndListNodes() {
        Lease lease = track(registry.grantLease(LONG_TTL));
        long r1 = registry.putNode(node("a", "1"), lease);
        long r2 = registry.putNode(node("b", "1"), lease);
        assertThat(r1).isGreaterThan(base);
        assertThat(r2).isGreaterThan(r1);
        assertThat(registry.nodes()).containsExactly(node("a", "1"), node("b", "1"));
        assertThat(registry.currentRevision()).isGreaterThanOrEqualTo(r2);
    }

    @Test
    void nodeWatchSaysCreatedOnFirstPutOnlyAndSeesRevocation() throws Exception {
        Lease lease = track(registry.grantLease(LONG_TTL));
        var seen = new Recorder<NodeChange>();
        track(registry.watchNodes(base, seen));
        long joined = registry.putNode(node("a", "1"), lease);
        long refreshed = registry.putNode(node("a", "2"), lease);
        lease.close();
        assertThat(lease.alive()).isFalse();

        List<NodeChange> changes = seen.take(3);
        assertThat(changes.get(0)).isEqualTo(new NodeChange(joined, "a", Optional.of(node("a", "1")), true));
        assertThat(changes.get(1)).isEqualTo(new NodeChange(refreshed, "a", Optional.of(node("a", "2")), false));
        assertThat(changes.get(2).info()).isEmpty();
        assertThat(changes.get(2).node()).isEqualTo("a");
        assertThat(changes.get(2).revision()).isGreaterThan(refreshed);
        assertThat(registry.nodes()).isEmpty();
    }

    @Test
    void leaseExpiresOnceKeepAlivesStop() throws Exception {
        Lease session = track(registry.grantLease(shortTtl()));
        Lease other = track(registry.grantLease(LONG_TTL));
        var seen = new Recorder<NodeChange>();
        track(registry.watchNodes(base, seen));
        registry.putNode(node("crashed", "1"), session);
        registry.putNode(node("alive", "1"), other);
        assertThat(session.alive()).isTrue();

        expire(registry, session);

        assertThat(session.alive()).isFalse();
        List<NodeChange> changes = seen.take(3);
        assertThat(changes.get(2)).satisfies(c -> {
            assertThat(c.node()).isEqualTo("crashed");
            assertThat(c.info()).isEmpty();
        });
        assertThat(registry.nodes()).containsExactly(node("alive", "1"));
        assertThat(other.alive()).isTrue();
    }

    @Test
    void writesOnARevokedLeaseFail() {
        Lease lease = registry.grantLease(LONG_TTL);
        lease.close();
        assertThatThrownBy(() -> registry.putNode(node("a", "1"), lease)).isInstanceOf(RegistryException.class);
        assertThatThrownBy(() -> registry.storeEvents(List.of(event("a", 1)), lease))
                .isInstanceOf(RegistryException.class);
    }

    // ---- events --------------------------------------------------------------------------------------------------

    @Test
    void storeEventsIsIdempotent() throws Exception {
        Lease retention = track(registry.grantLease(LONG_TTL));
        var seen = new Recorder<StoredEvent>();
        track(registry.watchEvents(base, seen));
        List<RelayedEvent> batch = List.of(event("a", 1), event("a", 2), event("b", 1));

        List<Long> first = registry.storeEvents(batch, retention);
        List<Long> retried = registry.storeEvents(batch, retention);

        assertThat(first).hasSize(3).allSatisfy(r -> assertThat(r).isGreaterThan(base));
        assertThat(retried).isEqualTo(first);
        // A retry that overlaps a new event: the old ones keep their revisions, the new one is stored after them.
        List<Long> mixed = registry.storeEvents(List.of(event("a", 2), event("a", 3), event("a", 3)), retention);
        assertThat(mixed.get(0)).isEqualTo(first.get(1));
        assertThat(mixed.get(1)).isGreaterThan(first.get(2)).isEqualTo(mixed.get(2));
        registry.storeEvents(List.of(event("end", 1)), retention); // sentinel: nothing may arrive before it twice

        List<StoredEvent> stored = seen.take(5);
        assertThat(stored).extracting(s -> s.event().getOriginNode() + "/" + s.event().getOriginSeq())
                .containsExactly("a/1", "a/2", "b/1", "a/3", "end/1");
        assertThat(stored.get(0).event()).isEqualTo(batch.get(0).toBuilder().setRevision(first.get(0)).build());
        assertThat(stored).extracting(StoredEvent::revision)
                .containsExactly(first.get(0), first.get(1), first.get(2), mixed.get(1), stored.get(4).revision());
        assertThat(seen.drain()).isEmpty();
    }

    @Test
    void watchFromARevisionReplaysExactlyWhatWasMissed() throws Exception {
        Lease retention = track(registry.grantLease(LONG_TTL));
        List<Long> revisions = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            revisions.addAll(registry.storeEvents(List.of(event("a", i)), retention));
        }
        long resumeAfter = revisions.get(2); // applied up to event 3

        var seen = new Recorder<StoredEvent>();
        track(registry.watchEvents(resumeAfter, seen));
        registry.storeEvents(List.of(event("a", 7)), retention);

        assertThat(seen.take(4)).extracting(s -> s.event().getOriginSeq()).containsExactly(4L, 5L, 6L, 7L);
        assertThat(seen.drain()).isEmpty();
    }

    @Test
    void compactionEndsAWatchFromBeforeIt() throws Exception {
        Lease retention = track(registry.grantLease(LONG_TTL));
        registry.storeEvents(List.of(event("a", 1)), retention);
        registry.storeEvents(List.of(event("a", 2)), retention);
        long compactAt = registry.storeEvents(List.of(event("a", 3)), retention).getFirst();

        registry.compact(compactAt);
        registry.compact(compactAt); // again: a no-op, not an error

        assertThat(registry.oldestAvailableRevision()).isEqualTo(compactAt + 1);
        assertThat(track(sameStore(registry)).oldestAvailableRevision()).isEqualTo(compactAt + 1);
        var stale = new Recorder<StoredEvent>();
        track(registry.watchEvents(base, stale));
        assertThat(stale.compacted.get(Recorder.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(compactAt);
        assertThat(stale.drain()).isEmpty();
        assertThat(stale.failed).isNotDone();

        var fresh = new Recorder<StoredEvent>();
        track(registry.watchEvents(compactAt, fresh));
        registry.storeEvents(List.of(event("a", 4)), retention);
        assertThat(fresh.next().event().getOriginSeq()).isEqualTo(4);
    }

    @Test
    void membershipCursorAdvancesExactlyOnceUnderConcurrentLeaders() throws Exception {
        Registry other = registry == sameStore(registry) ? registry : track(sameStore(registry));
        Lease mine = track(registry.grantLease(LONG_TTL));
        Lease theirs = track(other.grantLease(LONG_TTL));
        assertThat(registry.membershipCursor()).isZero();

        long cursor = 0;
        for (int round = 1; round <= 5; round++) {
            long expected = cursor;
            long next = base + 100 * round;
            var go = new CountDownLatch(1);
            RelayedEvent a = event("up-" + round, 1);
            RelayedEvent b = event("up-" + round, 2);
            var first = CompletableFuture.supplyAsync(() -> awaitThen(go, () -> registry.storeMembershipEvent(a, mine, expected, next)));
            var second = CompletableFuture.supplyAsync(() -> awaitThen(go, () -> other.storeMembershipEvent(b, theirs, expected, next)));
            go.countDown();
            assertThat(List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS)))
                    .containsExactlyInAnyOrder(true, false);
            assertThat(registry.membershipCursor()).isEqualTo(next);
            // A late leader that still believes the old cursor is refused.
            assertThat(other.storeMembershipEvent(event("up-" + round, 3), theirs, expected, next + 1)).isFalse();
            cursor = next;
        }
        var seen = new Recorder<StoredEvent>();
        track(registry.watchEvents(base, seen));
        registry.storeEvents(List.of(event("end", 1)), mine);
        List<StoredEvent> stored = seen.take(6);
        assertThat(stored).extracting(s -> s.event().getOriginNode())
                .containsExactly("up-1", "up-2", "up-3", "up-4", "up-5", "end");
    }

    private static <T> T awaitThen(CountDownLatch go, java.util.function.Supplier<T> action) {
        try {
            go.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return action.get();
    }

    // ---- jobs ----------------------------------------------------------------------------------------------------

    @Test
    void jobsPutDeleteAndWatch() throws Exception {
        var seen = new Recorder<JobChange>();
        track(registry.watchJobs(base, seen));
        JobDefinition web = JobDefinition.newBuilder().setName("web").setText("exec web\n").build();
        JobDefinition db = JobDefinition.newBuilder().setName("db").setText("exec db\n").build();

        long rWeb = registry.putJob(web);
        long rDb = registry.putJob(db);
        assertThat(registry.jobs()).containsExactly(
                db.toBuilder().setRevision(rDb).build(), web.toBuilder().setRevision(rWeb).build());
        assertThat(registry.deleteJob("web")).isTrue();
        assertThat(registry.deleteJob("web")).isFalse();

        List<JobChange> changes = seen.take(3);
        assertThat(changes.get(0)).isEqualTo(new JobChange(rWeb, "web", Optional.of(web.toBuilder().setRevision(rWeb).build())));
        assertThat(changes.get(1)).isEqualTo(new JobChange(rDb, "db", Optional.of(db.toBuilder().setRevision(rDb).build())));
        assertThat(changes.get(2).name()).isEqualTo("web");
        assertThat(changes.get(2).job()).isEmpty();
        assertThat(registry.jobs()).extracting(JobDefinition::getName).containsExactly("db");
    }

    // ---- job states ----------------------------------------------------------------------------------------------

    private static InstanceStatus state(String job, String instance, String goal, String state) {
        return InstanceStatus.newBuilder().setJob(job).setInstance(instance).setGoal(goal).setState(state).build();
    }

    @Test
    void statesAreWrittenInManyTransactionsDeletedAndGoWithTheLease() {
        Lease a = track(registry.grantLease(LONG_TTL));
        Lease b = track(registry.grantLease(LONG_TTL));
        // More than one etcd transaction's worth, and names with '/' and '%' that must not break the key layout.
        List<InstanceStatus> many = IntStream.range(0, 300)
                .mapToObj(i -> state("job" + i, i % 2 == 0 ? "" : "in/st%" + i, "start", "running")).toList();
        registry.writeStates("a", many, List.of(), a);
        registry.writeStates("b", List.of(state("net/web", "", "stop", "waiting")), List.of(), b);
        assertThat(registry.states("a")).containsExactlyInAnyOrderElementsOf(many);
        assertThat(registry.states("b")).containsExactly(state("net/web", "", "stop", "waiting"));

        registry.writeStates("a", List.of(state("job1", "in/st%1", "stop", "stopping")), many.subList(2, 300), a);
        assertThat(registry.states("a")).containsExactlyInAnyOrder(
                state("job0", "", "start", "running"), state("job1", "in/st%1", "stop", "stopping"));
        assertThat(registry.allStates()).extracting(NodeInstanceStatus::getNode).containsExactly("a", "a", "b");

        a.close();
        assertThat(registry.states("a")).isEmpty();
        assertThat(registry.allStates()).extracting(NodeInstanceStatus::getNode).containsExactly("b");
    }

    // ---- commands for other nodes ----------------------------------------------------------------------------------

    @Test
    void aCommandIsTakenOnceAndItsResultIsSeenByTheAsker() throws Exception {
        Lease lease = track(registry.grantLease(LONG_TTL));
        var commands = new Recorder<PendingCommand>();
        track(registry.watchCommands(base, commands));
        NodeCommand start = NodeCommand.newBuilder().setId("c0ffee").setVerb(Verb.START)
                .setRequest(JobRequest.newBuilder().setJob("web")).build();
        var results = new Recorder<CommandResult>();
        track(registry.watchResult("c0ffee", registry.currentRevision(), results));
        track(registry.watchResult("c0ffee2", registry.currentRevision(), new Recorder<>()));

        registry.putCommand("b", start, lease);
        PendingCommand pending = commands.take(1).getFirst();
        assertThat(pending.node()).isEqualTo("b");
        assertThat(pending.command()).isEqualTo(start);
        Registry other = sameStore(registry);
        assertThat(registry.takeCommand("b", "c0ffee")).isTrue();
        assertThat(other.takeCommand("b", "c0ffee")).isFalse();

        CommandResult refused = CommandResult.newBuilder().setId("c0ffee")
                .setFailure(CommandFailure.newBuilder().setCode(9).setMessage("Unknown job: web")).build();
        registry.putResult(CommandResult.newBuilder().setId("c0ffee2").build(), lease); // another command's
        registry.putResult(refused, lease);
        assertThat(results.take(1)).containsExactly(refused);
        registry.deleteResult("c0ffee");
        assertThat(commands.drain()).isEmpty(); // a taken (deleted) command is not a new one
    }

    // ---- leadership ----------------------------------------------------------------------------------------------

    @Test
    void secondCandidateLeadsOnlyAfterTheFirstLeaseIsRevoked() throws Exception {
        Registry other = registry == sameStore(registry) ? registry : track(sameStore(registry));
        Lease first = track(registry.grantLease(LONG_TTL));
        Lease second = track(other.grantLease(LONG_TTL));
        assertThat(registry.leader()).isEmpty();

        registry.campaign("c1", first);
        registry.campaign("c1", first); // already leading: returns at once
        assertThat(registry.leader()).contains("c1");

        var elected = new CompletableFuture<Void>();
        Thread waiting = Thread.ofVirtual().start(() -> {
            try {
                other.campaign("c2", second);
                elected.complete(null);
            } catch (Throwable t) {
                elected.completeExceptionally(t);
            }
        });
        // Negative check: give the candidate a moment to (wrongly) win; it must still be waiting.
        assertThat(waitBriefly(elected)).isFalse();
        assertThat(other.leader()).contains("c1");

        first.close();
        elected.get(Recorder.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(registry.leader()).contains("c2");
        waiting.join();
    }

    @Test
    void campaignIsInterruptible() throws Exception {
        Lease first = track(registry.grantLease(LONG_TTL));
        Lease second = track(registry.grantLease(LONG_TTL));
        registry.campaign("c1", first);
        var outcome = new CompletableFuture<Throwable>();
        Thread waiting = Thread.ofPlatform().start(() -> {
            try {
                registry.campaign("c2", second);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        assertThat(waitBriefly(outcome)).isFalse();
        waiting.interrupt();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        first.close();
        assertThat(registry.leader()).isEmpty(); // the interrupted candidate left nothing behind
    }

    private static boolean waitBriefly(CompletableFuture<?> f) throws Exception {
        try {
            f.get(300, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    // ---- helpers for subclasses ----------------------------------------------------------------------------------

    protected static List<RelayedEvent> events(String origin, int from, int count) {
        return IntStream.range(from, from + count).mapToObj(i -> event(origin, i)).toList();
    }
}
