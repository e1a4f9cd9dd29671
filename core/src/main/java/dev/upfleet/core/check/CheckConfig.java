package dev.upfleet.core.check;

import dev.upfleet.core.event.EventExpr;
import dev.upfleet.core.event.Glob;
import dev.upfleet.core.job.JobClass;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code initctl check-config [-i E1,E2] [-w] [CONF]} (spec §8.6): reports conditions that can never become true
 * because they name events nobody emits or jobs that do not exist. Pure over a list of classes in listing order.
 */
public final class CheckConfig {
    /** initctl's {@code IS_INIT_EVENT} list; {@code session-end} is added in a User Session. */
    static final List<String> INIT_EVENTS = List.of(
            "startup", "debug", "starting", "started", "stopping", "stopped",
            "control-alt-delete", "keyboard-request", "power-status-changed");

    /**
     * @param ignoredEvents events to treat as known ({@code --ignore-events})
     * @param warn          {@code --warn}: an {@code or} needs both sides to be satisfiable
     * @param userSession   whether init runs as a User Session ({@code session-end} is then known)
     */
    public record Options(Set<String> ignoredEvents, boolean warn, boolean userSession) {
        public static final Options DEFAULT = new Options(Set.of(), false, false);

        public Options {
            ignoredEvents = Set.copyOf(ignoredEvents);
        }
    }

    /** The text to print and the exit status (1 when anything was reported). */
    public record Result(String output, int exitStatus) {}

    private CheckConfig() {}

    /** Checks {@code only} (one class by name) or every class; an unknown name is {@code Invalid job class: NAME}. */
    public static Result check(List<JobClass> jobs, Optional<String> only, Options options) {
        Set<String> jobNames = new HashSet<>();
        Set<String> emitted = new LinkedHashSet<>(INIT_EVENTS);
        if (options.userSession()) {
            emitted.add("session-end");
        }
        for (JobClass job : jobs) {
            jobNames.add(job.name());
            emitted.addAll(job.emits());
        }
        emitted.addAll(options.ignoredEvents());
        Known known = new Known(jobNames, List.copyOf(emitted), options.warn());

        if (only.isPresent() && !jobNames.contains(only.get())) {
            return new Result("Invalid job class: " + only.get() + "\n", 1);
        }
        StringBuilder out = new StringBuilder();
        for (JobClass job : jobs) {
            if (only.isPresent() && !only.get().equals(job.name())) {
                continue;
            }
            List<String> lines = new ArrayList<>();
            job.startOn().ifPresent(e -> known.problems(e).forEach(p -> lines.add("  start on: " + p)));
            job.stopOn().ifPresent(e -> known.problems(e).forEach(p -> lines.add("  stop on: " + p)));
            if (!lines.isEmpty()) {
                out.append(job.name()).append('\n');
                lines.forEach(l -> out.append(l).append('\n'));
            }
        }
        return new Result(out.toString(), out.isEmpty() ? 0 : 1);
    }

    private record Known(Set<String> jobs, List<String> events, boolean warn) {
        /** Problems of a leaf: unknown event, or (for job events) unknown job; empty when satisfiable. */
        List<String> leafProblems(EventExpr.Match m) {
            List<String> out = new ArrayList<>();
            boolean eventKnown = events.stream().anyMatch(pattern -> Glob.matches(pattern, m.name()));
            if (!eventKnown) {
                out.add("unknown event " + m.name());
            } else if (ShowConfig.JOB_EVENTS.contains(m.name())) {
                String job = ShowConfig.Leaf.of(m).job();
                if (!job.isEmpty() && !job.startsWith("$") && !jobs.contains(job)) {
                    out.add("unknown job " + job);
                }
            }
            return out;
        }

        /**
         * initctl's check: every node gets a truth value (a leaf is true when it has no problem; {@code and}, and
         * with {@code --warn} also {@code or}, need both sides). Then, walking root and operator nodes in pre-order,
         * the first false one has the problems of all its leaves reported, in post-order. initctl rebuilds the tree
         * from reverse Polish notation with the two operands swapped, so both walks visit the right side first.
         * Iterative: expression trees can be deep.
         */
        List<String> problems(EventExpr root) {
            Map<EventExpr, Boolean> value = new IdentityHashMap<>();
            for (EventExpr node : postOrder(root)) {
                value.put(node, switch (node) {
                    case EventExpr.Match m -> leafProblems(m).isEmpty();
                    case EventExpr.Op op -> op.operator() == EventExpr.Operator.AND || warn
                            ? value.get(op.left()) && value.get(op.right())
                            : value.get(op.left()) || value.get(op.right());
                });
            }
            Deque<EventExpr> todo = new ArrayDeque<>();
            todo.push(root);
            while (!todo.isEmpty()) {
                EventExpr node = todo.pop();
                if (node != root && node instanceof EventExpr.Match) {
                    continue; // initctl's tree filter: only operators and the root
                }
                if (!value.get(node)) {
                    List<String> out = new ArrayList<>();
                    for (EventExpr n : postOrder(node)) {
                        if (n instanceof EventExpr.Match m) {
                            out.addAll(leafProblems(m));
                        }
                    }
                    return out;
                }
                if (node instanceof EventExpr.Op op) {
                    todo.push(op.left()); // popped after the right side
                    todo.push(op.right());
                }
            }
            return List.of();
        }

        /** Right subtree, left subtree, node: initctl's post-order over its mirrored tree. */
        private static List<EventExpr> postOrder(EventExpr root) {
            List<EventExpr> out = new ArrayList<>();
            Deque<EventExpr> todo = new ArrayDeque<>();
            todo.push(root);
            while (!todo.isEmpty()) {
                EventExpr node = todo.pop();
                out.add(node);
                if (node instanceof EventExpr.Op op) {
                    todo.push(op.right());
                    todo.push(op.left());
                }
            }
            // out is node, left..., right... (mirrored pre-order reversed = mirrored post-order)
            java.util.Collections.reverse(out);
            return out;
        }
    }
}
