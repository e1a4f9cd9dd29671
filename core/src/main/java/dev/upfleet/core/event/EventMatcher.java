package dev.upfleet.core.event;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether one event term of an expression matches one event (spec §4.3), plus upfleet's node rule: a term without a
 * {@code NODE} argument matches only events of the local node; {@code NODE=glob} / {@code NODE!=glob} match events of
 * any node whose name fits (or does not). NODE arguments are taken out before Upstart's positional-cursor logic runs,
 * since NODE travels beside the event's environment, never in it. Pure.
 */
public final class EventMatcher {
    private static final String NODE = "NODE";

    private EventMatcher() {}

    public static boolean matches(EventExpr.Match term, Event event, Map<String, String> expansionEnv, String localNode) {
        if (!term.name().equals(event.name())) {
            return false;
        }
        String eventNode = event.node() == null ? localNode : event.node();
        List<String> args = new ArrayList<>(term.args().size());
        boolean namesNode = false;
        for (String arg : term.args()) {
            if (NODE.equals(key(arg))) {
                namesNode = true;
                if (!valueMatches(arg, eventNode, expansionEnv)) {
                    return false;
                }
            } else {
                args.add(arg);
            }
        }
        if (!namesNode && !java.util.Objects.equals(eventNode, localNode)) {
            return false;
        }
        return argsMatch(args, event.env(), expansionEnv);
    }

    /** Upstart's {@code event_operator_match} over the (NODE-free) arguments. */
    static boolean argsMatch(List<String> args, List<String> env, Map<String, String> expansionEnv) {
        int cursor = 0;
        for (String arg : args) {
            String key = key(arg);
            if (key != null) {
                cursor = indexOfKey(env, key);
                if (cursor < 0) {
                    return false; // a missing KEY fails both = and != (§14.3)
                }
            } else if (cursor >= env.size()) {
                return false;
            }
            if (!valueMatches(arg, valueOf(env.get(cursor)), expansionEnv)) {
                return false;
            }
            cursor++;
        }
        return true;
    }

    /** KEY of a {@code KEY=VALUE} or {@code KEY!=VALUE} argument, null for a positional one. */
    static String key(String arg) {
        int op = operatorIndex(arg);
        return op < 0 ? null : arg.substring(0, op);
    }

    /** Where {@code !=} (searched first, as Upstart does) or else {@code =} starts; -1 for a positional argument. */
    private static int operatorIndex(String arg) {
        int ne = arg.indexOf("!=");
        return ne >= 0 ? ne : arg.indexOf('=');
    }

    private static boolean valueMatches(String arg, String actual, Map<String, String> expansionEnv) {
        int op = operatorIndex(arg);
        boolean negate = op >= 0 && arg.charAt(op) == '!';
        String pattern = op < 0 ? arg : arg.substring(op + (negate ? 2 : 1));
        String expanded = Expander.expandOrNull(pattern, expansionEnv);
        if (expanded == null) {
            return false;
        }
        return Glob.matches(expanded, actual) != negate;
    }

    private static int indexOfKey(List<String> env, String key) {
        for (int i = 0; i < env.size(); i++) {
            String entry = env.get(i);
            if (entry.length() > key.length() && entry.charAt(key.length()) == '=' && entry.startsWith(key)) {
                return i;
            }
        }
        return -1;
    }

    private static String valueOf(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(eq + 1);
    }
}
