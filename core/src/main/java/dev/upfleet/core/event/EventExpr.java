package dev.upfleet.core.event;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A {@code start on}/{@code stop on} expression: {@code and}/{@code or} nodes over event terms. Immutable; runtime
 * match state lives in the agent. {@link #toString()} is Upstart's canonical rendering (§4.2).
 *
 * <p>Trees can be very deep (a long {@code a or b or c ...} line nests to the left), so {@link #toString()} and
 * {@link #leaves()} walk them iteratively.
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
            return render(this);
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
        if (this instanceof Match m) {
            return List.of(m); // most job files: "start on startup", "stop on runlevel [!2345]"
        }
        List<Match> out = new ArrayList<>();
        Deque<EventExpr> todo = new ArrayDeque<>();
        todo.push(this);
        while (!todo.isEmpty()) {
            switch (todo.pop()) {
                case Match m -> out.add(m);
                case Op op -> {
                    todo.push(op.right());
                    todo.push(op.left());
                }
            }
        }
        return out;
    }

    /** Canonical rendering: every operator node as {@code (L op R)}, a lone event without parentheses. */
    static String render(EventExpr root) {
        StringBuilder sb = new StringBuilder();
        // Items are either expressions still to render or literal strings to append.
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            switch (todo.pop()) {
                case String s -> sb.append(s);
                case Match m -> sb.append(m);
                case Op op -> {
                    todo.push(")");
                    todo.push(op.right());
                    todo.push(" " + op.operator().wireName() + " ");
                    todo.push(op.left());
                    sb.append('(');
                }
                default -> throw new IllegalStateException();
            }
        }
        return sb.toString();
    }
}
