package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.lean.ControlMessages.ClassInfo;
import dev.upfleet.cli.initctl.lean.ControlMessages.Leaf;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code show-config} and {@code check-config} output, computed client-side from the agent's {@link ClassInfo}s the
 * way Upstart's initctl computes it from the D-Bus properties (initctl.c {@code job_class_parse_events},
 * {@code check_condition}). Pure functions from class infos to lines.
 */
final class ConfigReport {
    private static final Set<String> JOB_EVENTS = Set.of("starting", "started", "stopping", "stopped");
    private static final Set<String> INIT_EVENTS = Set.of("startup", "starting", "started", "stopping", "stopped",
            "control-alt-delete", "keyboard-request", "power-status-changed");

    private ConfigReport() {}

    /** An event expression rebuilt from its canonical text and its leaves. */
    sealed interface Expr {
        record Event(Leaf leaf) implements Expr {}

        record Op(boolean and, Expr left, Expr right) implements Expr {}
    }

    static List<String> showConfig(List<ClassInfo> classes, boolean enumerate) {
        List<String> out = new ArrayList<>();
        for (ClassInfo c : classes) {
            out.add(c.job());
            c.emits().forEach(e -> out.add("  emits " + e));
            if (enumerate) {
                c.startOnLeaves().forEach(l -> out.add(enumerated("start on", l)));
                c.stopOnLeaves().forEach(l -> out.add(enumerated("stop on", l)));
            } else {
                if (c.startOn() != null) {
                    out.add("  start on " + c.startOn());
                }
                if (c.stopOn() != null) {
                    out.add("  stop on " + c.stopOn());
                }
            }
        }
        return out;
    }

    /** {@code   start on EVENT (job:[ NAME], env:[ ARG]...)}. */
    static String enumerated(String stanza, Leaf leaf) {
        String job = jobName(leaf);
        StringBuilder env = new StringBuilder();
        boolean nameTaken = false;
        for (int i = 0; i < leaf.args().size(); i++) {
            if (job != null && !nameTaken && isJobNameArg(i, leaf.args().get(i))) {
                nameTaken = true;
                continue;
            }
            env.append(' ').append(leaf.args().get(i));
        }
        return "  " + stanza + " " + leaf.name() + " (job:" + (job == null ? "" : " " + job) + ", env:" + env + ")";
    }

    /**
     * Lines of check-config: for each class (or only {@code only}) whose start on / stop on has an operator sub-tree
     * (or root) that is false, the class name once and the unknown events and jobs of the first such sub-tree.
     */
    static List<String> checkConfig(List<ClassInfo> classes, String only, Set<String> ignoredEvents, boolean warn,
                                    boolean userMode) {
        Set<String> jobs = new HashSet<>();
        List<Pattern> emits = new ArrayList<>();
        for (ClassInfo c : classes) {
            jobs.add(c.job());
            c.emits().forEach(e -> emits.add(glob(e)));
        }
        Checker checker = new Checker(jobs, emits, ignoredEvents, warn, userMode);
        List<String> out = new ArrayList<>();
        for (ClassInfo c : classes) {
            if (only != null && !only.equals(c.job())) {
                continue;
            }
            List<String> errors = new ArrayList<>();
            if (c.startOn() != null) {
                checker.check("start on", parse(c.startOn(), c.startOnLeaves()), errors);
            }
            if (c.stopOn() != null) {
                checker.check("stop on", parse(c.stopOn(), c.stopOnLeaves()), errors);
            }
            if (!errors.isEmpty()) {
                out.add(c.job());
                out.addAll(errors);
            }
        }
        return out;
    }

    private record Checker(Set<String> jobs, List<Pattern> emits, Set<String> ignored, boolean warn, boolean user) {
        boolean value(Expr e) {
            return switch (e) {
                case Expr.Event ev -> eventKnown(ev.leaf().name()) && jobKnown(jobName(ev.leaf()));
                case Expr.Op op -> op.and() || warn
                        ? value(op.left()) && value(op.right())
                        : value(op.left()) || value(op.right());
            };
        }

        /** Upstart stores the right operand as the left child: walks, and so listings, go right operand first. */
        void check(String stanza, Expr root, List<String> errors) {
            Expr bad = firstFalse(root, true);
            if (bad != null) {
                report(stanza, bad, errors);
            }
        }

        private Expr firstFalse(Expr e, boolean isRoot) {
            if (e instanceof Expr.Op op) {
                if (!value(op)) {
                    return op;
                }
                Expr r = firstFalse(op.right(), false);
                return r != null ? r : firstFalse(op.left(), false);
            }
            return isRoot && !value(e) ? e : null;
        }

        private void report(String stanza, Expr e, List<String> errors) {
            switch (e) {
                case Expr.Op op -> {
                    report(stanza, op.right(), errors);
                    report(stanza, op.left(), errors);
                }
                case Expr.Event ev -> {
                    String name = ev.leaf().name();
                    String job = jobName(ev.leaf());
                    if (!eventKnown(name)) {
                        errors.add("  " + stanza + ": unknown event " + name);
                    }
                    if (!jobKnown(job)) {
                        errors.add("  " + stanza + ": unknown job " + job);
                    }
                }
            }
        }

        private boolean eventKnown(String name) {
            if (INIT_EVENTS.contains(name) || ignored.contains(name) || (user && name.equals("session-end"))) {
                return true;
            }
            return emits.stream().anyMatch(p -> p.matcher(name).matches());
        }

        private boolean jobKnown(String job) {
            return job == null || job.startsWith("$") || jobs.contains(job);
        }
    }

    /** The job a job event refers to: its first argument if positional, else its first {@code JOB=} argument. */
    static String jobName(Leaf leaf) {
        if (!JOB_EVENTS.contains(leaf.name())) {
            return null;
        }
        for (int i = 0; i < leaf.args().size(); i++) {
            String a = leaf.args().get(i);
            if (isJobNameArg(i, a)) {
                return a.startsWith("JOB=") ? a.substring(4) : a;
            }
        }
        return null;
    }

    private static boolean isJobNameArg(int i, String arg) {
        return (i == 0 && arg.indexOf('=') < 0) || arg.startsWith("JOB=");
    }

    /**
     * Rebuilds the tree from the canonical text ({@code (L and R)}, leaves as {@code NAME ARG...}) by consuming the
     * known leaves in order, so arguments holding spaces, parentheses or the words and/or cannot mislead it. A text
     * that does not fit (an agent with another rendering) degrades to all leaves joined by {@code and}.
     */
    static Expr parse(String canonical, List<Leaf> leaves) {
        int[] pos = {0};
        int[] next = {0};
        try {
            Expr e = parseAt(canonical, leaves, pos, next);
            if (pos[0] == canonical.length() && next[0] == leaves.size()) {
                return e;
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // fall through to the conservative tree
        }
        Expr e = null;
        for (Leaf l : leaves) {
            e = e == null ? new Expr.Event(l) : new Expr.Op(true, e, new Expr.Event(l));
        }
        return e == null ? new Expr.Event(new Leaf(canonical, List.of())) : e;
    }

    private static Expr parseAt(String s, List<Leaf> leaves, int[] pos, int[] next) {
        if (s.charAt(pos[0]) == '(') {
            pos[0]++;
            Expr left = parseAt(s, leaves, pos, next);
            boolean and;
            if (s.startsWith(" and ", pos[0])) {
                and = true;
                pos[0] += 5;
            } else if (s.startsWith(" or ", pos[0])) {
                and = false;
                pos[0] += 4;
            } else {
                throw new IllegalArgumentException("operator expected");
            }
            Expr right = parseAt(s, leaves, pos, next);
            if (s.charAt(pos[0]) != ')') {
                throw new IllegalArgumentException(") expected");
            }
            pos[0]++;
            return new Expr.Op(and, left, right);
        }
        Leaf leaf = leaves.get(next[0]++);
        StringBuilder text = new StringBuilder(leaf.name());
        leaf.args().forEach(a -> text.append(' ').append(a));
        if (!s.startsWith(text.toString(), pos[0])) {
            throw new IllegalArgumentException("leaf mismatch");
        }
        pos[0] += text.length();
        return new Expr.Event(leaf);
    }

    /** fnmatch(3) without flags: {@code *}, {@code ?}, bracket expressions and backslash escapes. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '\\' -> {
                    if (i + 1 < glob.length()) {
                        re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                    } else {
                        re.append("\\\\");
                    }
                }
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        re.append("\\[");
                    } else {
                        String body = glob.substring(i + 1, end);
                        if (body.startsWith("!")) {
                            body = "^" + body.substring(1);
                        }
                        re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                        i = end;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
