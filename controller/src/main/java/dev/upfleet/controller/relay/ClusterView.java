package dev.upfleet.controller.relay;

import dev.upfleet.core.cluster.NodeSelector;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import dev.upfleet.controller.registry.Registry;
import dev.upfleet.proto.cluster.v1.JobDefinition;
import dev.upfleet.proto.cluster.v1.NodeInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one controller knows of the cluster, kept current by watches: the nodes (and so the union of their
 * interests, which tells every agent which of its events to publish) and the replicated jobs (and so which jobs each
 * node must run). Pushes changes to this controller's agent sessions. Level-triggered: each change recomputes what a
 * session should have and sends it only when it differs from what was sent.
 */
public final class ClusterView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterView.class);

    private record Job(JobDefinition definition, NodeSelector selector) {}

    /** What the view needs of an agent session (an {@link AgentSession}; tests give their own). */
    interface Member {
        String node();

        Set<String> interest();

        void publishInterestChanged(Set<String> names);

        void jobsChanged();
    }

    /** A node that left: what it was interested in, and until when that still counts. */
    private record Departed(Set<String> interest, long untilMillis) {}

    private final Registry registry;
    private final java.time.Duration retention;
    private final java.time.InstantSource clock;
    /**
     * Nodes that left keep their interest for the retention window: a node that restarts or was cut off must find
     * the events it missed stored when it comes back (DESIGN.md), so the others keep publishing them meanwhile.
     */
    private final Map<String, Departed> departed = new ConcurrentHashMap<>();
    private final Map<String, NodeInfo> nodes = new ConcurrentHashMap<>();
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final List<Member> sessions = new CopyOnWriteArrayList<>();
    private volatile Set<String> interest = Set.of();
    private Registry.Watch nodesWatch;
    private Registry.Watch jobsWatch;

    public ClusterView(Registry registry, java.time.Duration retention, java.time.InstantSource clock) {
        this.registry = registry;
        this.retention = retention;
        this.clock = clock;
    }

    /** Loads nodes and jobs, then follows their changes. */
    public synchronized void start() {
        long revision = registry.currentRevision();
        for (NodeInfo n : registry.nodes()) {
            nodes.put(n.getNode(), n);
        }
        for (JobDefinition j : registry.jobs()) {
            jobs.put(j.getName(), parse(j));
        }
        recomputeInterest();
        nodesWatch = registry.watchNodes(revision, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.NodeChange change) {
                change.info().ifPresentOrElse(n -> {
                    nodes.put(change.node(), n);
                    departed.remove(change.node());
                }, () -> {
                    NodeInfo gone = nodes.remove(change.node());
                    if (gone != null) {
                        departed.put(change.node(), new Departed(Set.copyOf(gone.getInterestList()),
                                clock.millis() + retention.toMillis()));
                    }
                });
                recomputeInterest();
            }

            @Override
            public void failed(Throwable cause) {
                LOG.warn("node watch ended: {}", cause.toString());
            }
        });
        jobsWatch = registry.watchJobs(revision, new Registry.Listener<>() {
            @Override
            public void onNext(Registry.JobChange change) {
                change.job().ifPresentOrElse(j -> jobs.put(change.name(), parse(j)), () -> jobs.remove(change.name()));
                sessions.forEach(Member::jobsChanged);
            }

            @Override
            public void failed(Throwable cause) {
                LOG.warn("job watch ended: {}", cause.toString());
            }
        });
    }

    private static Job parse(JobDefinition definition) {
        NodeSelector selector = switch (JobParser.parse(definition.getName(), definition.getName() + ".conf",
                definition.getText())) {
            case ParseResult.Parsed p -> NodeSelector.of(p.job().nodes());
            // Validated at submit; a definition that no longer parses (a newer parser) runs nowhere.
            case ParseResult.Failed f -> new NodeSelector(List.of("\0none"), List.of());
        };
        return new Job(definition, selector);
    }

    /**
     * Synchronized, the publication included: the watch thread and session threads recompute concurrently, and an
     * unsynchronized check-then-publish let a stale union (computed before a node rejoined) be published last, after
     * the current one. Agents then stopped publishing events a node was waiting for, until the next change. Returns
     * whether the union changed, and so was published to every session.
     */
    private synchronized boolean recomputeInterest() {
        Set<String> union = new TreeSet<>();
        for (NodeInfo n : nodes.values()) {
            union.addAll(n.getInterestList());
        }
        for (Member s : sessions) {
            union.addAll(s.interest());
        }
        long now = clock.millis();
        departed.values().removeIf(d -> d.untilMillis() < now);
        for (Departed d : departed.values()) {
            union.addAll(d.interest());
        }
        if (!union.equals(interest)) {
            interest = java.util.Collections.unmodifiableSortedSet((TreeSet<String>) union);
            sessions.forEach(s -> s.publishInterestChanged(interest));
            return true;
        }
        return false;
    }

    /** The event names some node wants to hear about from the others. */
    public Set<String> interest() {
        return interest;
    }

    /** Adds a joined session and tells it the interest, in order with every later change. */
    public synchronized void register(Member session) {
        sessions.add(session);
        if (!recomputeInterest()) {
            session.publishInterestChanged(interest); // unchanged, so not published to it yet
        }
    }

    public void unregister(Member session) {
        sessions.remove(session);
    }

    public void interestChanged() {
        recomputeInterest();
    }

    /** Whether {@code node} is a member now (its record exists), whichever controller serves it. */
    public boolean hasNode(String node) {
        return nodes.containsKey(node);
    }

    /** The session of {@code node} if this controller serves it (the latest, should the node have reconnected). */
    public java.util.Optional<AgentSession> session(String node) {
        AgentSession found = null;
        for (Member s : sessions) {
            if (s instanceof AgentSession session && node.equals(session.node())) {
                found = session;
            }
        }
        return java.util.Optional.ofNullable(found);
    }

    /** The replicated jobs a node must run, by name. */
    public List<JobDefinition> jobsFor(String node, Map<String, String> labels) {
        Map<String, JobDefinition> selected = new TreeMap<>();
        for (Job j : jobs.values()) {
            if (j.selector().matches(node, labels)) {
                selected.put(j.definition().getName(), j.definition());
            }
        }
        return new ArrayList<>(selected.values());
    }


    @Override
    public synchronized void close() {
        if (nodesWatch != null) {
            nodesWatch.close();
        }
        if (jobsWatch != null) {
            jobsWatch.close();
        }
    }
}
