package dev.upfleet.core.check;

import dev.upfleet.core.event.EventExpr;
import dev.upfleet.core.job.JobClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code initctl show-config [-e] [CONF]} output (spec §8.6) for job classes given in listing order. Pure: the caller
 * chooses the classes and prints the text.
 */
public final class ShowConfig {
    static final Set<String> JOB_EVENTS = Set.of("starting", "started", "stopping", "stopped");

    private ShowConfig() {}

    /** The whole output for these classes, each line ending in LF. */
    public static String render(List<JobClass> jobs, boolean enumerate) {
        StringBuilder out = new StringBuilder();
        for (JobClass job : jobs) {
            out.append(render(job, enumerate));
        }
        return out.toString();
    }

    public static String render(JobClass job, boolean enumerate) {
        StringBuilder out = new StringBuilder();
        out.append(job.name()).append('\n');
        for (String e : job.emits()) {
            out.append("  emits ").append(e).append('\n');
        }
        condition(out, "start on", job.startOn(), enumerate);
        condition(out, "stop on", job.stopOn(), enumerate);
        return out.toString();
    }

    private static void condition(StringBuilder out, String stanza, Optional<EventExpr> expr, boolean enumerate) {
        if (expr.isEmpty()) {
            return;
        }
        if (!enumerate) {
            out.append("  ").append(stanza).append(' ').append(expr.get()).append('\n');
            return;
        }
        for (EventExpr.Match leaf : expr.get().leaves()) {
            Leaf l = Leaf.of(leaf);
            out.append("  ").append(stanza).append(' ').append(leaf.name())
                    .append(" (job:").append(l.job().isEmpty() ? "" : " " + l.job())
                    .append(", env:").append(l.env().isEmpty() ? "" : " " + String.join(" ", l.env()))
                    .append(")\n");
        }
    }

    /**
     * A leaf split as show-config -e shows it: for job events the job it names (first positional argument, else a
     * {@code JOB=} argument) and the remaining arguments; for other events no job and all arguments.
     */
    record Leaf(String job, List<String> env) {
        static Leaf of(EventExpr.Match m) {
            List<String> env = new ArrayList<>(m.args());
            if (!JOB_EVENTS.contains(m.name()) || env.isEmpty()) {
                return new Leaf("", env);
            }
            if (env.getFirst().indexOf('=') < 0) {
                return new Leaf(env.removeFirst(), env);
            }
            for (int i = 0; i < env.size(); i++) {
                if (env.get(i).startsWith("JOB=")) {
                    return new Leaf(env.remove(i).substring(4), env);
                }
            }
            return new Leaf("", env);
        }
    }
}
