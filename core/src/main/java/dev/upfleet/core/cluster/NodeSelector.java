package dev.upfleet.core.cluster;

import dev.upfleet.core.event.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which nodes a replicated job or a cluster emit is for: terms such as {@code *}, a node-name glob ({@code db-*}) or
 * {@code LABEL=VALUE} (the value a glob too). A node is selected when it has every {@code LABEL=VALUE} term and, if
 * there are name terms, its name fits at least one. No terms selects every node. Immutable.
 */
public record NodeSelector(List<String> nameGlobs, List<String> labelTerms) {
    /** Node names are DNS-label-like, so they are safe in etcd keys, file names and log lines. */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public static final NodeSelector ALL = new NodeSelector(List.of(), List.of());

    public NodeSelector {
        nameGlobs = List.copyOf(nameGlobs);
        labelTerms = List.copyOf(labelTerms);
    }

    /** Parses terms separated by spaces or commas, e.g. {@code "role=db zone=a"} or {@code "web-*,api-1"}. */
    public static NodeSelector parse(String text) {
        return of(List.of(text.trim().split("[\\s,]+")));
    }

    public static NodeSelector of(List<String> terms) {
        List<String> names = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (String term : terms) {
            if (term.isEmpty() || term.equals("*")) {
                continue;
            }
            (term.indexOf('=') > 0 ? labels : names).add(term);
        }
        return new NodeSelector(names, labels);
    }

    public boolean matches(String node, Map<String, String> labels) {
        for (String term : labelTerms) {
            int eq = term.indexOf('=');
            String value = labels.get(term.substring(0, eq));
            if (value == null || !Glob.matches(term.substring(eq + 1), value)) {
                return false;
            }
        }
        if (nameGlobs.isEmpty()) {
            return true;
        }
        for (String glob : nameGlobs) {
            if (Glob.matches(glob, node)) {
                return true;
            }
        }
        return false;
    }

    public static boolean validNodeName(String name) {
        return name != null && NODE_NAME.matcher(name).matches();
    }

    @Override
    public String toString() {
        List<String> all = new ArrayList<>(nameGlobs);
        all.addAll(labelTerms);
        return all.isEmpty() ? "*" : String.join(" ", all);
    }
}
