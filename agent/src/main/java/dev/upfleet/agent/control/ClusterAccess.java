package dev.upfleet.agent.control;

import io.grpc.Channel;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What the control socket needs of the agent's cluster link to serve initctl's cluster verbs. */
public interface ClusterAccess {
    /** The node this agent is. */
    String node();

    /** A channel to the current controller, or null while none is connected. */
    Channel controller();

    /** Publishes a cluster emit from this node; completes with the etcd revision once stored. */
    CompletableFuture<Long> emitCluster(String name, List<String> env, String selector);
}
