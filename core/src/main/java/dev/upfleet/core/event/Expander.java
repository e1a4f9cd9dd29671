package dev.upfleet.core.event;

import java.util.Map;

/** TEMP stub, replaced by the parser branch. */
public final class Expander {
    private Expander() {}

    public static String expand(String template, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '$' && i + 1 < template.length() && (Character.isLetter(template.charAt(i + 1)) || template.charAt(i + 1) == '_')) {
                int j = i + 1;
                while (j < template.length() && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) j++;
                String name = template.substring(i + 1, j);
                String v = env.get(name);
                if (v == null) throw new IllegalArgumentException("Unknown parameter: " + name);
                out.append(v);
                i = j - 1;
            } else out.append(c);
        }
        return out.toString();
    }
}
