package dev.upfleet.core.event;

import java.util.Map;

/** TEMP stub, replaced by the parser branch. */
public final class EventMatcher {
    private EventMatcher() {}

    public static boolean matches(EventExpr.Match term, Event event, Map<String, String> env, String localNode) {
        if (!term.name().equals(event.name()) || !event.node().equals(localNode)) return false;
        int pos = 0;
        for (String arg : term.args()) {
            int eq = arg.indexOf('=');
            if (eq > 0) {
                boolean neg = arg.charAt(eq - 1) == '!';
                String key = arg.substring(0, neg ? eq - 1 : eq);
                String v = event.get(key);
                if (v == null) return false;
                boolean m = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + arg.substring(eq + 1)).matches(java.nio.file.Path.of(v));
                if (m == neg) return false;
            } else {
                if (pos >= event.env().size()) return false;
                String e = event.env().get(pos);
                String v = e.substring(e.indexOf('=') + 1);
                if (!java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + arg).matches(java.nio.file.Path.of(v))) return false;
            }
            pos++;
        }
        return true;
    }
}
