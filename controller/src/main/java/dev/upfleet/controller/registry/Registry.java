package dev.upfleet.controller.registry;

import dev.upfleet.proto.cluster.v1.CommandResult;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.NodeCommand;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import dev.upfleet.proto.cluster.v1.NodeInstanceStatus;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import dev.upfleet.proto.control.v1.InstanceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The cluster's memory, and the only way the controller reaches etcd. Keys live under a configurable prefix (default
 * {@code /upfleet/}): {@code nodes/NODE}, {@code jobs/NAME}, {@code events/ORIGIN/SEQ}, {@code membership},
 * {@code leader}, {@code state/NODE/JOB/INSTANCE}, {@code commands/NODE/ID}, {@code results/ID}. Every write is one etcd transaction, so it is either fully applied or not at all, and every stored
 * change has an etcd revision that orders it against every other.
 *
 * <p>Implementations: {@code EtcdRegistry} (jetcd) and {@code InMemoryRegistry} (a complete fake with the same
 * revision, lease, watch and compaction semantics, for unit tests). Methods block until etcd answered and throw
 * {@link RegistryException} when it cannot (unavailable, timeout); callers retry. Watch callbacks arrive on an
 * implementation thread, in revision order, never concurrently for one watch.
 */
public interface Registry extends AutoCloseable {

    /** The current revision of the store. */
    long currentRevision();

    // ---- leases ------------------------------------------------------------------------------------------------

    /** Grants a lease that the registry keeps alive until {@link Lease#close()} (which revokes it). */
    Lease grantLease(Duration ttl);

    /**
     * Grants a lease that is never kept alive: it and its keys vanish {@code ttl} after the grant (retention of
     * relayed events).
     */
    Lease grantExpiringLease(Duration ttl);

    /** A lease whose keys vanish when it is revoked or expires (keep-alives stopped). */
    interface Lease extends AutoCloseable {
        long id();

        /** Whether keep-alives are still succeeding. */
        boolean alive();

        /** Revokes the lease: its keys are deleted at once. */
        @Override
        void close();

        /**
         * Stops keeping the lease alive without revoking it: its keys vanish when the TTL runs out, unless someone
         * re-attaches them meanwhile (an agent that fails over to another controller within the TTL keeps its node
         * record without a node-down).
         */
        void abandon();
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    /** Stores {@code nodes/NODE}, attached to the node's session lease. Returns the revision. */
    long putNode(NodeInfo node, Lease lease);

    List<NodeInfo> nodes();

    /** Node records and deletions after {@code afterRevision}, in order. */
    Watch watchNodes(long afterRevision, Listener<NodeChange> listener);

    /**
     * A change of {@code nodes/NODE}: {@code info} empty when the key was deleted (lease revoked or expired);
     * {@code created} true when the key did not exist before this change (a node joined, not a refresh).
     */
    record NodeChange(long revision, String node, Optional<NodeInfo> info, boolean created) {}

    // ---- relayed events ------------------------------------------------------------------------------------------

    /**
     * Stores each event under {@code events/ORIGIN/SEQ} unless that key already exists (a retried publish), attached
     * to {@code retention}. Returns, per event in order, the revision it is stored at (the existing one for a retry).
     */
    List<Long> storeEvents(List<RelayedEvent> events, Lease retention);

    /**
     * Stores a synthesised membership event exactly once: only if the membership cursor still equals
     * {@code expectedCursor} (no other leader recorded this change) is the event stored and the cursor set to
     * {@code newCursor}, atomically. {@code event} may be null: then only the cursor moves (a change that announces
     * nothing). Returns whether the transaction applied.
     */
    boolean storeMembershipEvent(RelayedEvent event, Lease retention, long expectedCursor, long newCursor);

    /** The node revision up to which membership changes have been turned into events (0 when never). */
    long membershipCursor();

    /** Stored events after {@code afterRevision}, in revision order; deletions (expiry) are not reported. */
    Watch watchEvents(long afterRevision, Listener<StoredEvent> listener);

    /** An event as read back, with the revision it was stored at. */
    record StoredEvent(long revision, RelayedEvent event) {}

    /** Forgets history up to {@code revision}: watches from before it fail with {@link Listener#compacted}. */
    void compact(long revision);

    /** The oldest revision still available to watches (the last compaction revision + 1; 1 when never). */
    long oldestAvailableRevision();

    // ---- replicated jobs ---------------------------------------------------------------------------------------

    /** Stores {@code jobs/NAME}; returns the revision. */
    long putJob(JobDefinition job);

    /** Deletes {@code jobs/NAME}; returns whether it existed. */
    boolean deleteJob(String name);

    List<JobDefinition> jobs();

    /** Job puts (with revision) and deletions (text empty) after {@code afterRevision}. */
    Watch watchJobs(long afterRevision, Listener<JobChange> listener);

    record JobChange(long revision, String name, Optional<JobDefinition> job) {}

    // ---- job states -----------------------------------------------------------------------------------------------

    /**
     * Writes what a node reported: {@code put} stored under {@code state/NODE/JOB/INSTANCE} on {@code lease} (the
     * node's session lease, so a node's states vanish with it), and the instances of {@code delete} removed.
     * Large updates are split into several transactions.
     */
    void writeStates(String node, List<InstanceStatus> put, List<InstanceStatus> delete, Lease lease);

    /** The states stored for {@code node} (any order). */
    List<InstanceStatus> states(String node);

    /** Every node's stored states, by node name (each node's in key order). */
    List<NodeInstanceStatus> allStates();

    // ---- commands for other nodes --------------------------------------------------------------------------------

    /** Stores {@code commands/NODE/ID} until the controller holding the node's session takes it. */
    void putCommand(String node, NodeCommand command, Lease lease);

    /** Deletes {@code commands/NODE/ID}; true for the one caller that deleted it (the command is its to run). */
    boolean takeCommand(String node, String id);

    /** Commands stored after {@code afterRevision}, in order. */
    Watch watchCommands(long afterRevision, Listener<PendingCommand> listener);

    record PendingCommand(long revision, String node, NodeCommand command) {}

    /** Stores {@code results/ID}, the answer to the command with that id. */
    void putResult(CommandResult result, Lease lease);

    /** The result of command {@code id} when it is stored after {@code afterRevision}. */
    Watch watchResult(String id, long afterRevision, Listener<CommandResult> listener);

    void deleteResult(String id);

    // ---- leadership --------------------------------------------------------------------------------------------

    /**
     * Campaigns for the {@code leader} key with {@code candidate} as its value, attached to {@code lease}: returns
     * once this candidate leads (blocking, interruptible). Leadership ends when the lease ends.
     */
    void campaign(String candidate, Lease lease) throws InterruptedException;

    /** The current leader's value, if any. */
    Optional<String> leader();

    // ---- watches -------------------------------------------------------------------------------------------------

    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    interface Listener<T> {
        void onNext(T item);

        /** The watch started before the oldest available revision: history up to {@code compactRevision} is gone. */
        default void compacted(long compactRevision) {}

        /** The watch ended (store unreachable for good, or closed on error); the caller decides to re-watch. */
        default void failed(Throwable cause) {}
    }

    @Override
    void close();
}
