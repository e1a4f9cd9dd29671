package dev.upfleet.controller.registry;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.control.v1.InstanceStatus;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * {@link Registry} over etcd v3 through jetcd. Thread-safe; every request is bounded by the request timeout and
 * failures surface as {@link RegistryException} (callers retry).
 *
 * <p>Design points:
 *
 * <ul>
 *   <li><b>Idempotent event store.</b> jetcd retries a request whose connection broke, and the first attempt may have
 *       been applied, so every event write is create-if-absent ({@code version == 0}). A batch is first tried as one
 *       transaction guarded by all its compares; etcd compares are all-or-nothing, so when it fails the {@code Else}
 *       branch reads every key back, the existing ones keep their revision and the missing ones are retried as a
 *       smaller batch. Each round removes at least one key, so it ends. Batches above {@value #MAX_TXN_OPS} events
 *       (etcd's default {@code --max-txn-ops}) are stored as several transactions.
 *   <li><b>Leader.</b> A create-if-absent {@code PREFIX + "leader"} key attached to the candidate's lease (not jetcd's
 *       Election, whose keys are {@code leader/LEASE-HEX} and whose server-side campaign cannot be withdrawn when the
 *       caller is interrupted). Waiting candidates watch the key for its deletion; there is no FIFO fairness.
 *   <li><b>Oldest available revision.</b> etcd has no API for the compaction revision. We remember the highest one we
 *       compacted to or learned from a compacted watch, check it with one read at that revision, and, when somebody
 *       else compacted further, binary-search reads ("required revision has been compacted") up to the current
 *       revision.
 * </ul>
 */
public final class EtcdRegistry implements Registry {
    /** etcd's default {@code --max-txn-ops}: the most operations one transaction may hold. */
    static final int MAX_TXN_OPS = 128;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final Client client;
    private final KV kv;
    private final RegistryKeys keys;
    private final Duration timeout;
    private final AtomicLong knownCompaction = new AtomicLong();
    private final Set<EtcdWatch<?>> watches = ConcurrentHashMap.newKeySet();
    private final Set<EtcdLease> leases = ConcurrentHashMap.newKeySet();
    private final Timer requests;
    private final Counter errors;

    /**
     * @param endpoints etcd client URLs, e.g. {@code http://10.0.0.1:2379}
     * @param prefix key prefix ending in '/', {@code /upfleet/} by default
     * @param requestTimeout bound of every request (campaign waits are not bounded: they wait for the leader to go)
     * @param meters where the latency and failures of etcd requests are recorded
     */
    public EtcdRegistry(List<String> endpoints, String prefix, Duration requestTimeout, MeterRegistry meters) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoints");
        }
        this.keys = new RegistryKeys(prefix);
        this.timeout = requestTimeout;
        this.client = Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(requestTimeout)
                .build();
        this.kv = client.getKVClient();
        this.requests = Timer.builder("upfleet_etcd_request").description("etcd requests, answered or failed")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(requestTimeout).register(meters);
        this.errors = Counter.builder("upfleet_etcd_errors").description("Failed etcd requests").register(meters);
    }

    /** Without metrics. */
    public EtcdRegistry(List<String> endpoints, String prefix, Duration requestTimeout) {
        this(endpoints, prefix, requestTimeout, new CompositeMeterRegistry());
    }

    /** With the default prefix and a {@link #DEFAULT_TIMEOUT} request timeout, without metrics. */
    public EtcdRegistry(List<String> endpoints) {
        this(endpoints, RegistryKeys.DEFAULT_PREFIX, DEFAULT_TIMEOUT);
    }

    @Override
    public long currentRevision() {
        return await("read revision", kv.get(bytes(keys.membership()), countOnly()))
                .getHeader()
                .getRevision();
    }

    // ---- leases ------------------------------------------------------------------------------------------------

    @Override
    public Lease grantLease(Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        long id = await("grant lease", client.getLeaseClient().grant(seconds)).getID();
        var holder = new EtcdLease[1];
        EtcdLease lease = new EtcdLease(
                id, client.getLeaseClient(), f -> await("revoke lease", f), () -> leases.remove(holder[0]));
        holder[0] = lease;
        leases.add(lease);
        return lease;
    }

    @Override
    public Lease grantExpiringLease(Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        long id = await("grant lease", client.getLeaseClient().grant(seconds)).getID();
        // Not tracked for abandon-on-close: nothing keeps it alive, it simply expires.
        return new EtcdLease(id, client.getLeaseClient(), f -> await("revoke lease", f), () -> {}, false);
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    @Override
    public long putNode(NodeInfo node, Lease lease) {
        return await("put node " + node.getNode(),
                        kv.put(bytes(keys.node(node.getNode())), ByteSequence.from(node.toByteArray()), onLease(lease)))
                .getHeader()
                .getRevision();
    }

    @Override
    public List<NodeInfo> nodes() {
        return list(keys.nodes(), EtcdRegistry::parseNode);
    }

    @Override
    public Watch watchNodes(long afterRevision, Listener<NodeChange> listener) {
        return watch(keys.nodes(), afterRevision, true, listener, event -> {
            KeyValue kv = event.getKeyValue();
            String name = RegistryKeys.nameIn(keys.nodes(), string(kv.getKey()));
            return Optional.of(switch (event.getEventType()) {
                case PUT -> new NodeChange(kv.getModRevision(), name, Optional.of(parseNode(kv)), kv.getVersion() == 1);
                case DELETE, UNRECOGNIZED -> new NodeChange(kv.getModRevision(), name, Optional.empty(), false);
            });
        });
    }

    // ---- relayed events ------------------------------------------------------------------------------------------

    @Override
    public List<Long> storeEvents(List<RelayedEvent> events, Lease retention) {
        // The same key twice in one txn is refused by etcd; a repeated event is a retry of the first one anyway.
        Map<String, RelayedEvent> byKey = new LinkedHashMap<>();
        for (RelayedEvent e : events) {
            byKey.putIfAbsent(keys.event(e.getOriginNode(), e.getOriginSeq()), e.toBuilder().clearRevision().build());
        }
        List<String> unique = new ArrayList<>(byKey.keySet());
        Map<String, Long> revisions = new ConcurrentHashMap<>();
        for (int from = 0; from < unique.size(); from += MAX_TXN_OPS) {
            storeChunk(unique.subList(from, Math.min(unique.size(), from + MAX_TXN_OPS)), byKey, retention, revisions);
        }
        List<Long> result = new ArrayList<>(events.size());
        for (RelayedEvent e : events) {
            result.add(revisions.get(keys.event(e.getOriginNode(), e.getOriginSeq())));
        }
        return result;
    }

    private void storeChunk(
            List<String> chunk, Map<String, RelayedEvent> byKey, Lease retention, Map<String, Long> revisions) {
        List<String> pending = chunk;
        while (!pending.isEmpty()) {
            Cmp[] absent = pending.stream().map(k -> absent(k)).toArray(Cmp[]::new);
            Op[] puts = pending.stream()
                    .map(k -> Op.put(bytes(k), ByteSequence.from(byKey.get(k).toByteArray()), onLease(retention)))
                    .toArray(Op[]::new);
            Op[] reads = pending.stream().map(k -> Op.get(bytes(k), GetOption.DEFAULT)).toArray(Op[]::new);
            TxnResponse r = await("store " + pending.size() + " events",
                    kv.txn().If(absent).Then(puts).Else(reads).commit());
            if (r.isSucceeded()) {
                pending.forEach(k -> revisions.put(k, r.getHeader().getRevision()));
                return;
            }
            List<String> missing = new ArrayList<>();
            List<GetResponse> got = r.getGetResponses();
            for (int i = 0; i < pending.size(); i++) {
                List<KeyValue> kvs = got.get(i).getKvs();
                if (kvs.isEmpty()) {
                    missing.add(pending.get(i));
                } else {
                    revisions.put(pending.get(i), kvs.getFirst().getModRevision());
                }
            }
            if (missing.size() == pending.size()) {
                throw new RegistryException("store events: compare failed but no key exists (concurrent expiry?)");
            }
            pending = missing;
        }
    }

    @Override
    public boolean storeMembershipEvent(RelayedEvent event, Lease retention, long expectedCursor, long newCursor) {
        if (event == null) {
            return moveMembershipCursor(expectedCursor, newCursor);
        }
        ByteSequence cursor = bytes(keys.membership());
        ByteSequence eventKey = bytes(keys.event(event.getOriginNode(), event.getOriginSeq()));
        ByteSequence eventValue = ByteSequence.from(event.toBuilder().clearRevision().build().toByteArray());
        Cmp guard = expectedCursor == 0
                ? new Cmp(cursor, Cmp.Op.EQUAL, CmpTarget.version(0))
                : new Cmp(cursor, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(expectedCursor))));
        TxnResponse r = await("store membership event",
                kv.txn().If(guard)
                        .Then(Op.put(cursor, bytes(Long.toString(newCursor)), PutOption.DEFAULT),
                                Op.put(eventKey, eventValue, onLease(retention)))
                        .Else(Op.get(cursor, GetOption.DEFAULT), Op.get(eventKey, GetOption.DEFAULT))
                        .commit());
        if (r.isSucceeded()) {
            return true;
        }
        // Our own earlier attempt may have been applied before jetcd retried it: then the cursor and the event were
        // written by one txn (same mod revision) with exactly our values.
        List<KeyValue> c = r.getGetResponses().get(0).getKvs();
        List<KeyValue> e = r.getGetResponses().get(1).getKvs();
        return !c.isEmpty() && !e.isEmpty()
                && string(c.getFirst().getValue()).equals(Long.toString(newCursor))
                && e.getFirst().getValue().equals(eventValue)
                && c.getFirst().getModRevision() == e.getFirst().getModRevision();
    }

    private boolean moveMembershipCursor(long expectedCursor, long newCursor) {
        ByteSequence cursor = bytes(keys.membership());
        Cmp guard = expectedCursor == 0
                ? new Cmp(cursor, Cmp.Op.EQUAL, CmpTarget.version(0))
                : new Cmp(cursor, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(expectedCursor))));
        TxnResponse r = await("move membership cursor",
                kv.txn().If(guard).Then(Op.put(cursor, bytes(Long.toString(newCursor)), PutOption.DEFAULT))
                        .Else(Op.get(cursor, GetOption.DEFAULT)).commit());
        if (r.isSucceeded()) {
            return true;
        }
        List<KeyValue> c = r.getGetResponses().get(0).getKvs();
        return !c.isEmpty() && string(c.getFirst().getValue()).equals(Long.toString(newCursor));
    }

    @Override
    public long membershipCursor() {
        List<KeyValue> kvs = await("read membership cursor", kv.get(bytes(keys.membership()))).getKvs();
        return kvs.isEmpty() ? 0 : Long.parseLong(string(kvs.getFirst().getValue()));
    }

    @Override
    public Watch watchEvents(long afterRevision, Listener<StoredEvent> listener) {
        return watch(keys.events(), afterRevision, false, listener, event -> {
            if (event.getEventType() != WatchEvent.EventType.PUT) {
                return Optional.empty();
            }
            KeyValue kv = event.getKeyValue();
            RelayedEvent stored = parse(kv, RelayedEvent.parser()::parseFrom);
            return Optional.of(new StoredEvent(
                    kv.getModRevision(), stored.toBuilder().setRevision(kv.getModRevision()).build()));
        });
    }

    @Override
    public void compact(long revision) {
        try {
            await("compact", kv.compact(revision));
        } catch (RegistryException e) {
            // Compacting to a revision at or below the current compaction is a no-op for us, not an error.
            if (!String.valueOf(e.getMessage()).contains("compacted")) {
                throw e;
            }
        }
        knownCompaction.accumulateAndGet(revision, Math::max);
    }

    @Override
    public long oldestAvailableRevision() {
        long known = knownCompaction.get();
        if (readableAt(Math.max(1, known))) {
            return known + 1; // readable at C and compacted at >= C by what we know: C is the compaction
        }
        long lo = known + 1; // unreadable at known: the compaction is above it
        long hi = currentRevision(); // the current revision is always readable
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (readableAt(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        knownCompaction.accumulateAndGet(lo, Math::max);
        return lo + 1;
    }

    private boolean readableAt(long revision) {
        try {
            await("probe revision " + revision,
                    kv.get(bytes(keys.membership()), GetOption.builder().withRevision(revision).withCountOnly(true).build()));
            return true;
        } catch (RegistryException e) {
            if (String.valueOf(e.getMessage()).contains("compacted")) {
                return false;
            }
            throw e;
        }
    }

    // ---- replicated jobs ---------------------------------------------------------------------------------------

    @Override
    public long putJob(JobDefinition job) {
        return await("put job " + job.getName(),
                        kv.put(bytes(keys.job(job.getName())), ByteSequence.from(job.toBuilder().clearRevision().build().toByteArray())))
                .getHeader()
                .getRevision();
    }

    @Override
    public boolean deleteJob(String name) {
        return await("delete job " + name, kv.delete(bytes(keys.job(name)))).getDeleted() > 0;
    }

    @Override
    public List<JobDefinition> jobs() {
        return list(keys.jobs(), EtcdRegistry::parseJob);
    }

    @Override
    public Watch watchJobs(long afterRevision, Listener<JobChange> listener) {
        return watch(keys.jobs(), afterRevision, true, listener, event -> {
            KeyValue kv = event.getKeyValue();
            String name = RegistryKeys.nameIn(keys.jobs(), string(kv.getKey()));
            return Optional.of(switch (event.getEventType()) {
                case PUT -> new JobChange(kv.getModRevision(), name, Optional.of(parseJob(kv)));
                case DELETE, UNRECOGNIZED -> new JobChange(kv.getModRevision(), name, Optional.empty());
            });
        });
    }

    // ---- job states -----------------------------------------------------------------------------------------------

    @Override
    public void writeStates(String node, List<InstanceStatus> put, List<InstanceStatus> delete, Lease lease) {
        List<Op> ops = new ArrayList<>(put.size() + delete.size());
        for (InstanceStatus s : put) {
            ops.add(Op.put(bytes(keys.state(node, s.getJob(), s.getInstance())), ByteSequence.from(s.toByteArray()),
                    onLease(lease)));
        }
        for (InstanceStatus s : delete) {
            ops.add(Op.delete(bytes(keys.state(node, s.getJob(), s.getInstance())), DeleteOption.DEFAULT));
        }
        // Plain puts and deletes: a retried transaction writes the same values again, which is harmless.
        for (int from = 0; from < ops.size(); from += MAX_TXN_OPS) {
            List<Op> chunk = ops.subList(from, Math.min(ops.size(), from + MAX_TXN_OPS));
            await("write " + chunk.size() + " job states of " + node, kv.txn().Then(chunk.toArray(Op[]::new)).commit());
        }
    }

    @Override
    public List<InstanceStatus> states(String node) {
        return list(keys.states(node), EtcdRegistry::parseState);
    }

    @Override
    public List<NodeInstanceStatus> allStates() {
        return list(keys.allStates(), kv -> NodeInstanceStatus.newBuilder()
                .setNode(RegistryKeys.firstNameIn(keys.allStates(), string(kv.getKey())))
                .setStatus(parseState(kv)).build());
    }

    // ---- commands for other nodes --------------------------------------------------------------------------------

    @Override
    public void putCommand(String node, NodeCommand command, Lease lease) {
        await("put command for " + node, kv.put(bytes(keys.command(node, command.getId())),
                ByteSequence.from(command.toByteArray()), onLease(lease)));
    }

    @Override
    public boolean takeCommand(String node, String id) {
        return await("take command " + id, kv.delete(bytes(keys.command(node, id)))).getDeleted() > 0;
    }

    @Override
    public Watch watchCommands(long afterRevision, Listener<PendingCommand> listener) {
        return watch(keys.commands(), afterRevision, false, listener, event -> {
            if (event.getEventType() != WatchEvent.EventType.PUT) {
                return Optional.empty();
            }
            KeyValue kv = event.getKeyValue();
            return Optional.of(new PendingCommand(kv.getModRevision(),
                    RegistryKeys.firstNameIn(keys.commands(), string(kv.getKey())),
                    parse(kv, NodeCommand.parser()::parseFrom)));
        });
    }

    @Override
    public void putResult(CommandResult result, Lease lease) {
        await("put result " + result.getId(),
                kv.put(bytes(keys.result(result.getId())), ByteSequence.from(result.toByteArray()), onLease(lease)));
    }

    @Override
    public Watch watchResult(String id, long afterRevision, Listener<CommandResult> listener) {
        return watch(keys.result(id), afterRevision, false, listener, event -> event.getEventType() == WatchEvent.EventType.PUT
                && string(event.getKeyValue().getKey()).equals(keys.result(id))
                ? Optional.of(parse(event.getKeyValue(), CommandResult.parser()::parseFrom))
                : Optional.empty());
    }

    @Override
    public void deleteResult(String id) {
        await("delete result " + id, kv.delete(bytes(keys.result(id))));
    }

    // ---- leadership --------------------------------------------------------------------------------------------

    @Override
    public void campaign(String candidate, Lease lease) throws InterruptedException {
        ByteSequence key = bytes(keys.leader());
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException("campaign of " + candidate);
            }
            TxnResponse r = awaitInterruptibly("campaign",
                    kv.txn().If(absent(keys.leader()))
                            .Then(Op.put(key, bytes(candidate), onLease(lease)))
                            .Else(Op.get(key, GetOption.DEFAULT))
                            .commit());
            if (r.isSucceeded()) {
                return;
            }
            List<KeyValue> holder = r.getGetResponses().getFirst().getKvs();
            if (!holder.isEmpty() && holder.getFirst().getLease() == lease.id()) {
                return; // an earlier attempt of ours was applied (retried txn), or we already lead on this lease
            }
            awaitChange(key, r.getHeader().getRevision());
        }
    }

    /** Blocks until {@code key} is deleted after {@code revision}, or the watch ends (then the caller re-checks). */
    private void awaitChange(ByteSequence key, long revision) throws InterruptedException {
        CompletableFuture<Void> gone = new CompletableFuture<>();
        io.etcd.jetcd.Watch.Watcher watcher = client.getWatchClient().watch(key,
                WatchOption.builder().withRevision(revision + 1).withNoPut(true).build(),
                io.etcd.jetcd.Watch.listener(response -> gone.complete(null), error -> {}, () -> gone.complete(null)));
        try {
            gone.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        } finally {
            watcher.close();
        }
    }

    @Override
    public Optional<String> leader() {
        List<KeyValue> kvs = await("read leader", kv.get(bytes(keys.leader()))).getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(string(kvs.getFirst().getValue()));
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    /** Ends watches, stops keep-alives (leases are not revoked: they expire after their TTL), closes the client. */
    @Override
    public void close() {
        List.copyOf(watches).forEach(EtcdWatch::close);
        List.copyOf(leases).forEach(EtcdLease::abandon);
        leases.clear();
        client.close();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private <T> Watch watch(
            String prefix,
            long afterRevision,
            boolean withDeletes,
            Listener<T> listener,
            Function<WatchEvent, Optional<T>> decoder) {
        EtcdWatch<T> watch = EtcdWatch.start(client, prefix, afterRevision, withDeletes, decoder, listener,
                rev -> knownCompaction.accumulateAndGet(rev, Math::max), watches::remove);
        watches.add(watch);
        return watch;
    }

    private <T> List<T> list(String prefix, Function<KeyValue, T> decode) {
        GetResponse r = await("list " + prefix,
                kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
        return r.getKvs().stream().map(decode).toList();
    }

    private interface BytesParser<T> {
        T parseFrom(byte[] bytes) throws InvalidProtocolBufferException;
    }

    private static <T> T parse(KeyValue kv, BytesParser<T> parser) {
        try {
            return parser.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new RegistryException("corrupt value at " + string(kv.getKey()), e);
        }
    }

    private static NodeInfo parseNode(KeyValue kv) {
        return parse(kv, NodeInfo.parser()::parseFrom);
    }

    private static InstanceStatus parseState(KeyValue kv) {
        return parse(kv, InstanceStatus.parser()::parseFrom);
    }

    private static JobDefinition parseJob(KeyValue kv) {
        return parse(kv, JobDefinition.parser()::parseFrom).toBuilder().setRevision(kv.getModRevision()).build();
    }

    private static Cmp absent(String key) {
        return new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0));
    }

    private static PutOption onLease(Lease lease) {
        return PutOption.builder().withLeaseId(lease.id()).build();
    }

    private static GetOption countOnly() {
        return GetOption.builder().withCountOnly(true).build();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static String string(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    private <T> T await(String what, CompletableFuture<T> request) {
        try {
            return awaitInterruptibly(what, request);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(what + ": interrupted", e);
        }
    }

    private <T> T awaitInterruptibly(String what, CompletableFuture<T> request) throws InterruptedException {
        long start = System.nanoTime();
        try {
            return request.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            request.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            // jetcd may still retry it in the background; every write here is idempotent for that reason.
            request.cancel(true);
            errors.increment();
            throw new RegistryException(what + ": no answer from etcd within " + timeout, e);
        } catch (ExecutionException e) {
            errors.increment();
            Throwable cause = e.getCause();
            throw new RegistryException(what + ": " + cause.getMessage(), cause);
        } finally {
            requests.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}
