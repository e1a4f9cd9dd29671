package dev.upfleet.controller.relay;

import dev.upfleet.core.cluster.NodeSelector;
import dev.upfleet.proto.cluster.v1.RelayedEvent;
import java.util.Map;
import java.util.Set;

/** Whether a stored event is for a node (DESIGN.md "Events across nodes"). Pure. */
public final class Relevance {
    private Relevance() {}

    /**
     * A cluster emit ({@code target} set) goes to every node its selector picks, the emitter included; a node's own
     * event goes to the other nodes whose jobs name it with a {@code NODE=} term (their interest).
     */
    public static boolean forNode(RelayedEvent event, String node, Map<String, String> labels, Set<String> interest) {
        if (!event.getTarget().isEmpty()) {
            return NodeSelector.parse(event.getTarget()).matches(node, labels);
        }
        return !event.getOriginNode().equals(node) && interest.contains(event.getName());
    }
}
