package dev.upfleet.controller.relay;

import dev.upfleet.controller.registry.Registry;
import java.time.Duration;
import java.util.concurrent.Executor;

/** What an agent session needs from its controller. */
public interface RelayContext {
    /** This controller's name (host:port), recorded in node records. */
    String name();

    Registry registry();

    /** The controller's shared feed of stored events. */
    EventFeed feed();

    ClusterView view();

    /** Job control on other nodes, through etcd. */
    NodeCommands commands();

    RelayMetrics metrics();

    /** Runs blocking registry calls (virtual threads). */
    Executor executor();

    /** TTL of a node's session lease: how long a node survives its controller's death before node-down. */
    Duration sessionTtl();

    /** The lease relayed events are stored on; they expire with it after the retention window. */
    Registry.Lease retentionLease();

    /** True while the controller stops: sessions then abandon their leases instead of revoking them. */
    boolean shuttingDown();
}
