package dev.upfleet.core.event;

import java.util.List;

/**
 * A {@code start on}/{@code stop on} expression: {@code and}/{@code or} nodes over event terms. Immutable; runtime
 * match state lives in the agent. {@link #toString()} is Upstart's canonical rendering (§4.2).
 */
public sealed interface EventExpr {

    /** An event term: event name plus its stored (dequoted) arguments: positional values, {@code K=V} or {@code K!=V}. */
    record Match(String name, List<String> args) implements EventExpr {
        public Match {
            args = List.copyOf(args);
        }

        @Override
        public String toString() {
            return args.isEmpty() ? name : name + " " + String.join(" ", args);
        }
    }

    record Op(Operator operator, EventExpr left, EventExpr right) implements EventExpr {
        @Override
        public String toString() {
            return "(" + left + " " + operator.wireName() + " " + right + ")";
        }
    }

    enum Operator {
        AND, OR;

        public String wireName() {
            return this == AND ? "and" : "or";
        }
    }

    /** Leaves from left to right. */
    default List<Match> leaves() {
        var out = new java.util.ArrayList<Match>();
        collect(this, out);
        return out;
    }

    private static void collect(EventExpr e, List<Match> out) {
        switch (e) {
            case Match m -> out.add(m);
            case Op op -> {
                collect(op.left(), out);
                collect(op.right(), out);
            }
        }
    }
}
