package dev.upfleet.controller.registry;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.control.v1.InstanceStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A complete in-memory {@link Registry} with etcd's semantics: one global revision (1 when empty, +1 per write
 * transaction), per-key create revision / mod revision / version, MVCC history so watches from an old revision
 * replay it, compaction (a watch starting below the compaction revision gets {@code compacted}), create-if-absent
 * writes, and leases whose revocation or expiry deletes their keys in one revision.
 *
 * <p>Time is injected: a lease whose keep-alive was stopped ({@link #stopKeepAlive}) expires once the clock passes
 * its TTL <em>and</em> {@link #expireLeases()} runs; nothing expires on its own, so tests are deterministic.
 *
 * <p>Every watch callback, of every watch, runs on one internal thread ({@code in-memory-registry}) in the order
 * the changes were made; callbacks may call back into the registry. Thread-safe.
 */
public final class InMemoryRegistry implements Registry {
    private record Entry(byte[] value, long createRevision, long modRevision, long version, long lease) {}

    /** One key's change at one revision; {@code entry} null for a deletion. */
    private record Change(long revision, String key, Entry entry) {}

    private final RegistryKeys keys;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TreeMap<String, Entry> store = new TreeMap<>();
    private final List<Change> history = new ArrayList<>();
    private final Map<Long, MemLease> leases = new HashMap<>();
    private final List<MemWatch<?>> watches = new ArrayList<>();
    private final ExecutorService dispatcher =
            Executors.newSingleThreadExecutor(Thread.ofPlatform().name("in-memory-registry").daemon().factory());
    private long revision = 1;
    private long compactRevision;
    private long nextLeaseId = 0x1000;
    private boolean closed;

    public InMemoryRegistry(InstantSource clock) {
        this(clock, RegistryKeys.DEFAULT_PREFIX);
    }

    public InMemoryRegistry(InstantSource clock, String prefix) {
        this.clock = clock;
        this.keys = new RegistryKeys(prefix);
    }

    /** A registry on the system clock (leases still only expire through {@link #expireLeases()}). */
    public InMemoryRegistry() {
        this(InstantSource.system());
    }

    @Override
    public long currentRevision() {
        lock.lock();
        try {
            return revision;
        } finally {
            lock.unlock();
        }
    }

    // ---- leases ------------------------------------------------------------------------------------------------

    @Override
    public Lease grantLease(Duration ttl) {
        return grant(ttl, true);
    }

    @Override
    public Lease grantExpiringLease(Duration ttl) {
        return grant(ttl, false);
    }

    /** A lease kept alive until closed, or one that expires {@code ttl} from now (by the clock). */
    private Lease grant(Duration ttl, boolean keptAlive) {
        lock.lock();
        try {
            ensureOpen();
            var lease = new MemLease(nextLeaseId++, ttl);
            if (!keptAlive) {
                lease.keepAlive = false;
                lease.deadline = clock.instant().plus(ttl);
            }
            leases.put(lease.id, lease);
            return lease;
        } finally {
            lock.unlock();
        }
    }

    /** Stops keep-alives of {@code lease} as if its holder crashed: it expires {@code ttl} from now (clock). */
    public void stopKeepAlive(Lease lease) {
        lock.lock();
        try {
            MemLease l = leases.get(lease.id());
            if (l != null && l.keepAlive) {
                l.keepAlive = false;
                l.deadline = clock.instant().plus(l.ttl);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Revokes every lease whose keep-alive stopped and whose deadline has passed; returns how many. */
    public int expireLeases() {
        lock.lock();
        try {
            Instant now = clock.instant();
            List<MemLease> due = leases.values().stream()
                    .filter(l -> !l.keepAlive && !now.isBefore(l.deadline))
                    .toList();
            due.forEach(this::revoke);
            return due.size();
        } finally {
            lock.unlock();
        }
    }

    /** Ends every open watch with {@link Listener#failed} (as a lost etcd connection would). */
    public void failWatches(Throwable cause) {
        lock.lock();
        try {
            for (MemWatch<?> w : List.copyOf(watches)) {
                w.end(() -> w.listener.failed(cause));
            }
        } finally {
            lock.unlock();
        }
    }

    private void revoke(MemLease lease) {
        leases.remove(lease.id);
        lease.revoked = true;
        List<String> attached = store.entrySet().stream()
                .filter(e -> e.getValue().lease() == lease.id)
                .map(Map.Entry::getKey)
                .toList();
        if (!attached.isEmpty()) {
            long rev = ++revision;
            attached.forEach(k -> record(new Change(rev, k, null)));
        }
        changed.signalAll();
    }

    private final class MemLease implements Lease {
        final long id;
        final Duration ttl;
        boolean keepAlive = true;
        boolean revoked;
        Instant deadline = Instant.MAX;

        MemLease(long id, Duration ttl) {
            this.id = id;
            this.ttl = ttl;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public boolean alive() {
            lock.lock();
            try {
                return !revoked && keepAlive;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!revoked) {
                    revoke(this);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void abandon() {
            stopKeepAlive(this);
        }
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    @Override
    public long putNode(NodeInfo node, Lease lease) {
        return write(Map.of(keys.node(node.getNode()), node.toByteArray()), lease.id());
    }

    @Override
    public List<NodeInfo> nodes() {
        return list(keys.nodes(), (key, e) -> parse(NodeInfo.parser()::parseFrom, e));
    }

    @Override
    public Watch watchNodes(long afterRevision, Listener<NodeChange> listener) {
        return watch(keys.nodes(), afterRevision, listener, c -> {
            String name = RegistryKeys.nameIn(keys.nodes(), c.key());
            return c.entry() == null
                    ? Optional.of(new NodeChange(c.revision(), name, Optional.empty(), false))
                    : Optional.of(new NodeChange(c.revision(), name,
                            Optional.of(parse(NodeInfo.parser()::parseFrom, c.entry())), c.entry().version() == 1));
        });
    }

    // ---- relayed events ------------------------------------------------------------------------------------------

    @Override
    public List<Long> storeEvents(List<RelayedEvent> events, Lease retention) {
        lock.lock();
        try {
            ensureLease(retention.id());
            Map<String, byte[]> missing = new LinkedHashMap<>();
            for (RelayedEvent e : events) {
                String key = keys.event(e.getOriginNode(), e.getOriginSeq());
                if (!store.containsKey(key)) {
                    missing.putIfAbsent(key, e.toBuilder().clearRevision().build().toByteArray());
                }
            }
            if (!missing.isEmpty()) {
                write(missing, retention.id());
            }
            return events.stream()
                    .map(e -> store.get(keys.event(e.getOriginNode(), e.getOriginSeq())).modRevision())
                    .toList();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean storeMembershipEvent(RelayedEvent event, Lease retention, long expectedCursor, long newCursor) {
        lock.lock();
        try {
            ensureLease(retention.id());
            // As the etcd txn: expecting 0 means the cursor key must be absent, otherwise its value must match.
            Entry cursor = store.get(keys.membership());
            boolean matches = expectedCursor == 0
                    ? cursor == null
                    : cursor != null && new String(cursor.value(), StandardCharsets.UTF_8).equals(Long.toString(expectedCursor));
            if (!matches) {
                return false;
            }
            if (event == null) {
                write(List.of(new Put(keys.membership(), bytes(Long.toString(newCursor)), 0)));
                return true;
            }
            // One revision for both, as etcd's single txn.
            write(List.of(
                    new Put(keys.membership(), bytes(Long.toString(newCursor)), 0),
                    new Put(keys.event(event.getOriginNode(), event.getOriginSeq()),
                            event.toBuilder().clearRevision().build().toByteArray(), retention.id())));
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long membershipCursor() {
        lock.lock();
        try {
            Entry e = store.get(keys.membership());
            return e == null ? 0 : Long.parseLong(new String(e.value(), StandardCharsets.UTF_8));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Watch watchEvents(long afterRevision, Listener<StoredEvent> listener) {
        return watch(keys.events(), afterRevision, listener, c -> c.entry() == null
                ? Optional.empty()
                : Optional.of(new StoredEvent(c.revision(), parse(RelayedEvent.parser()::parseFrom, c.entry())
                        .toBuilder().setRevision(c.revision()).build())));
    }

    /** As etcd: history before {@code revision} is dropped; a watch may still start at {@code revision} itself. */
    @Override
    public void compact(long revision) {
        lock.lock();
        try {
            if (revision > this.revision) {
                throw new RegistryException("etcdserver: mvcc: required revision is a future revision");
            }
            if (revision > compactRevision) {
                compactRevision = revision;
                history.removeIf(c -> c.revision() < revision);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long oldestAvailableRevision() {
        lock.lock();
        try {
            return compactRevision + 1;
        } finally {
            lock.unlock();
        }
    }

    // ---- replicated jobs ---------------------------------------------------------------------------------------

    @Override
    public long putJob(JobDefinition job) {
        return write(Map.of(keys.job(job.getName()), job.toBuilder().clearRevision().build().toByteArray()), 0);
    }

    @Override
    public boolean deleteJob(String name) {
        return delete(keys.job(name));
    }

    @Override
    public List<JobDefinition> jobs() {
        return list(keys.jobs(), (key, e) -> parseJob(e));
    }

    @Override
    public Watch watchJobs(long afterRevision, Listener<JobChange> listener) {
        return watch(keys.jobs(), afterRevision, listener, c -> Optional.of(new JobChange(c.revision(),
                RegistryKeys.nameIn(keys.jobs(), c.key()),
                Optional.ofNullable(c.entry()).map(InMemoryRegistry::parseJob))));
    }

    // ---- job states -----------------------------------------------------------------------------------------------

    @Override
    public void writeStates(String node, List<InstanceStatus> put, List<InstanceStatus> delete, Lease lease) {
        lock.lock();
        try {
            ensureLease(lease.id());
            List<Put> puts = put.stream()
                    .map(s -> new Put(keys.state(node, s.getJob(), s.getInstance()), s.toByteArray(), lease.id()))
                    .toList();
            List<String> deletes = delete.stream()
                    .map(s -> keys.state(node, s.getJob(), s.getInstance()))
                    .filter(store::containsKey)
                    .toList();
            if (!puts.isEmpty() || !deletes.isEmpty()) {
                write(puts, deletes);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<InstanceStatus> states(String node) {
        return list(keys.states(node), (key, e) -> parseState(e));
    }

    @Override
    public List<NodeInstanceStatus> allStates() {
        return list(keys.allStates(), (key, e) -> NodeInstanceStatus.newBuilder()
                .setNode(RegistryKeys.firstNameIn(keys.allStates(), key))
                .setStatus(parseState(e)).build());
    }

    // ---- commands for other nodes --------------------------------------------------------------------------------

    @Override
    public void putCommand(String node, NodeCommand command, Lease lease) {
        write(Map.of(keys.command(node, command.getId()), command.toByteArray()), lease.id());
    }

    @Override
    public boolean takeCommand(String node, String id) {
        return delete(keys.command(node, id));
    }

    @Override
    public Watch watchCommands(long afterRevision, Listener<PendingCommand> listener) {
        return watch(keys.commands(), afterRevision, listener, c -> c.entry() == null
                ? Optional.empty()
                : Optional.of(new PendingCommand(c.revision(), RegistryKeys.firstNameIn(keys.commands(), c.key()),
                        parse(NodeCommand.parser()::parseFrom, c.entry()))));
    }

    @Override
    public void putResult(CommandResult result, Lease lease) {
        write(Map.of(keys.result(result.getId()), result.toByteArray()), lease.id());
    }

    @Override
    public Watch watchResult(String id, long afterRevision, Listener<CommandResult> listener) {
        String key = keys.result(id);
        return watch(key, afterRevision, listener, c -> c.entry() == null || !c.key().equals(key)
                ? Optional.empty()
                : Optional.of(parse(CommandResult.parser()::parseFrom, c.entry())));
    }

    @Override
    public void deleteResult(String id) {
        delete(keys.result(id));
    }

    // ---- leadership --------------------------------------------------------------------------------------------

    @Override
    public void campaign(String candidate, Lease lease) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                ensureOpen();
                Entry holder = store.get(keys.leader());
                if (holder == null) {
                    write(Map.of(keys.leader(), bytes(candidate)), lease.id());
                    return;
                }
                if (holder.lease() == lease.id()) {
                    return;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<String> leader() {
        lock.lock();
        try {
            return Optional.ofNullable(store.get(keys.leader()))
                    .map(e -> new String(e.value(), StandardCharsets.UTF_8));
        } finally {
            lock.unlock();
        }
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    /** Ends all watches without callbacks, wakes campaigners (they fail), and stops the callback thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            List.copyOf(watches).forEach(MemWatch::close);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        dispatcher.shutdown();
        try {
            if (!dispatcher.awaitTermination(5, TimeUnit.SECONDS)) {
                dispatcher.shutdownNow();
            }
        } catch (InterruptedException e) {
            dispatcher.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- the store -----------------------------------------------------------------------------------------------

    private record Put(String key, byte[] value, long lease) {}

    /** Puts all of {@code values} at one new revision, attached to {@code leaseId} (0: none). Returns it. */
    private long write(Map<String, byte[]> values, long leaseId) {
        return write(values.entrySet().stream().map(e -> new Put(e.getKey(), e.getValue(), leaseId)).toList());
    }

    private long write(List<Put> puts) {
        return write(puts, List.of());
    }

    /** Deletes {@code key} at a new revision; false (and no revision) when it does not exist. */
    private boolean delete(String key) {
        lock.lock();
        try {
            ensureOpen();
            if (!store.containsKey(key)) {
                return false;
            }
            write(List.of(), List.of(key));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies {@code puts} and deletes the existing keys of {@code deletes} at one new revision (an etcd txn); fails
     * whole if a lease is unknown.
     */
    private long write(List<Put> puts, List<String> deletes) {
        lock.lock();
        try {
            ensureOpen();
            puts.stream().filter(p -> p.lease() != 0).forEach(p -> ensureLease(p.lease()));
            long rev = ++revision;
            for (Put p : puts) {
                Entry old = store.get(p.key());
                Entry entry = old == null
                        ? new Entry(p.value().clone(), rev, rev, 1, p.lease())
                        : new Entry(p.value().clone(), old.createRevision(), rev, old.version() + 1, p.lease());
                record(new Change(rev, p.key(), entry));
            }
            for (String key : deletes) {
                if (store.containsKey(key)) {
                    record(new Change(rev, key, null));
                }
            }
            changed.signalAll();
            return rev;
        } finally {
            lock.unlock();
        }
    }

    /** Applies one change to the store and the history, and queues it for matching watches. Lock held. */
    private void record(Change change) {
        if (change.entry() == null) {
            store.remove(change.key());
        } else {
            store.put(change.key(), change.entry());
        }
        history.add(change);
        for (MemWatch<?> w : watches) {
            w.offer(change);
        }
    }

    private void ensureLease(long id) {
        ensureOpen();
        if (!leases.containsKey(id)) {
            throw new RegistryException("etcdserver: requested lease not found: " + Long.toHexString(id));
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new RegistryException("registry closed");
        }
    }

    private <T> List<T> list(String prefix, java.util.function.BiFunction<String, Entry, T> decode) {
        lock.lock();
        try {
            ensureOpen();
            return store.subMap(prefix, prefix + Character.MAX_VALUE).entrySet().stream()
                    .map(e -> decode.apply(e.getKey(), e.getValue()))
                    .toList();
        } finally {
            lock.unlock();
        }
    }

    private <T> Watch watch(String prefix, long afterRevision, Listener<T> listener, Function<Change, Optional<T>> decode) {
        lock.lock();
        try {
            ensureOpen();
            var w = new MemWatch<>(prefix, listener, decode);
            long start = afterRevision + 1;
            if (start < compactRevision) {
                long compacted = compactRevision;
                dispatcher.execute(() -> listener.compacted(compacted));
                w.ended = true;
                return w;
            }
            history.stream().filter(c -> c.revision() >= start).forEach(w::offer);
            watches.add(w);
            return w;
        } finally {
            lock.unlock();
        }
    }

    private final class MemWatch<T> implements Watch {
        final String prefix;
        final Listener<T> listener;
        final Function<Change, Optional<T>> decode;
        volatile boolean ended;

        MemWatch(String prefix, Listener<T> listener, Function<Change, Optional<T>> decode) {
            this.prefix = prefix;
            this.listener = listener;
            this.decode = decode;
        }

        /** Lock held: queues the change in global order if it is under this watch's prefix. */
        void offer(Change change) {
            if (!ended && change.key().startsWith(prefix)) {
                decode.apply(change).ifPresent(item -> dispatcher.execute(() -> {
                    if (!ended) {
                        listener.onNext(item);
                    }
                }));
            }
        }

        /** Lock held. */
        void end(Runnable terminal) {
            if (watches.remove(this)) {
                dispatcher.execute(() -> {
                    if (!ended) {
                        ended = true;
                        terminal.run();
                    }
                });
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                ended = true;
                watches.remove(this);
            } finally {
                lock.unlock();
            }
        }
    }

    // ---- decoding ------------------------------------------------------------------------------------------------

    private interface BytesParser<T> {
        T parseFrom(byte[] bytes) throws InvalidProtocolBufferException;
    }

    private static <T> T parse(BytesParser<T> parser, Entry e) {
        try {
            return parser.parseFrom(e.value());
        } catch (InvalidProtocolBufferException ex) {
            throw new RegistryException("corrupt value", ex);
        }
    }

    private static InstanceStatus parseState(Entry e) {
        return parse(InstanceStatus.parser()::parseFrom, e);
    }

    private static JobDefinition parseJob(Entry e) {
        return parse(JobDefinition.parser()::parseFrom, e).toBuilder().setRevision(e.modRevision()).build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "InMemoryRegistry" + Arrays.asList(keys.prefix(), revision);
    }
}
