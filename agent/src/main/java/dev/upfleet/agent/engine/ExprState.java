package dev.upfleet.agent.engine;

import dev.upfleet.core.event.EventExpr;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runtime state of a {@code start on}/{@code stop on} expression (Upstart's EventOperator tree): a leaf, once
 * matched, stays true and holds (blocks) the event that matched it until the tree is reset. Confined to the engine
 * thread.
 */
final class ExprState {

    private sealed interface Node permits Leaf, OpNode {
        boolean value();
    }

    private static final class Leaf implements Node {
        final EventExpr.Match term;
        EventRecord matched;

        Leaf(EventExpr.Match term) {
            this.term = term;
        }

        @Override
        public boolean value() {
            return matched != null;
        }
    }

    private static final class OpNode implements Node {
        final EventExpr.Operator operator;
        final Node left;
        final Node right;
        boolean value;

        OpNode(EventExpr.Operator operator, Node left, Node right) {
            this.operator = operator;
            this.left = left;
            this.right = right;
        }

        @Override
        public boolean value() {
            return value;
        }
    }

    private final EventExpr expr;
    private final Node root;
    private final Set<String> eventNames;
    private final boolean expands;

    ExprState(EventExpr expr) {
        this.expr = expr;
        this.root = build(expr);
        List<EventExpr.Match> leaves = expr.leaves();
        this.eventNames = Set.copyOf(leaves.stream().map(EventExpr.Match::name).toList());
        this.expands = leaves.stream().anyMatch(m -> m.args().stream().anyMatch(a -> a.indexOf('$') >= 0));
    }

    EventExpr expr() {
        return expr;
    }

    /** Cheap pre-check: only events with a name that appears in the expression can change it. */
    boolean mentions(String eventName) {
        return eventNames.contains(eventName);
    }

    boolean value() {
        return root.value();
    }

    /**
     * Whether a term refers to a variable ({@code $VAR}), i.e. needs an expansion environment: building one per job
     * for every event offered to its {@code stop on} was a tenth of the engine's time when 1000 jobs stop.
     */
    boolean expands() {
        return expands;
    }

    /**
     * Offers an event to every leaf that is not yet true; matching leaves hold it. Returns whether any leaf matched.
     */
    boolean handle(EventRecord event, Map<String, String> env, TermMatcher matcher) {
        if (!mentions(event.name())) {
            return false;
        }
        return handle(root, event, env, matcher);
    }

    private static boolean handle(Node node, EventRecord event, Map<String, String> env, TermMatcher matcher) {
        return switch (node) {
            case Leaf leaf -> {
                if (leaf.matched == null && matcher.matches(leaf.term, event.event, env)) {
                    leaf.matched = event;
                    event.block();
                    yield true;
                }
                yield false;
            }
            case OpNode op -> {
                boolean l = handle(op.left, event, env, matcher);
                boolean r = handle(op.right, event, env, matcher);
                op.value = op.operator == EventExpr.Operator.AND
                        ? op.left.value() && op.right.value()
                        : op.left.value() || op.right.value();
                yield l || r;
            }
        };
    }

    /** The events held by true leaves whose whole path to the root is true, left to right. */
    void contributing(List<EventRecord> out) {
        contributing(root, out);
    }

    private static void contributing(Node node, List<EventRecord> out) {
        if (!node.value()) {
            return;
        }
        switch (node) {
            case Leaf leaf -> out.add(leaf.matched);
            case OpNode op -> {
                contributing(op.left, out);
                contributing(op.right, out);
            }
        }
    }

    /** Clears every leaf, releasing the events they held. */
    void reset() {
        reset(root);
    }

    private static void reset(Node node) {
        switch (node) {
            case Leaf leaf -> {
                if (leaf.matched != null) {
                    leaf.matched.unblock();
                    leaf.matched = null;
                }
            }
            case OpNode op -> {
                reset(op.left);
                reset(op.right);
                op.value = false;
            }
        }
    }

    private static Node build(EventExpr expr) {
        // Recursive: long and/or chains make deep left trees, so the engine thread runs with a large stack.
        return switch (expr) {
            case EventExpr.Match m -> new Leaf(m);
            case EventExpr.Op op -> new OpNode(op.operator(), build(op.left()), build(op.right()));
        };
    }
}
