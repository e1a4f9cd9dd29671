package dev.upfleet.core.event;

import java.util.Map;

/**
 * Upstart's variable expansion ({@code environ_expand}, spec §4.5): {@code $NAME}, {@code ${NAME}},
 * {@code ${NAME:-default}}, {@code ${NAME-default}}, {@code ${NAME:+alt}}, {@code ${NAME+alt}}, {@code ${}} for a
 * literal {@code $}. Operands are expanded before the operator is applied, so an unknown name inside an unused
 * default is still an error. Pure; errors are values carrying Upstart's message.
 */
public final class Expander {
    /** The outcome of an expansion. */
    public sealed interface Result {
        record Expanded(String value) implements Result {}

        record Failed(String message) implements Result {}
    }

    private static final class ExpansionError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ExpansionError(String message) {
            super(message, null, false, false);
        }
    }

    private final String text;
    private final Map<String, String> env;
    private int pos;

    private Expander(String text, Map<String, String> env) {
        this.text = text;
        this.env = env;
    }

    public static Result expand(String text, Map<String, String> env) {
        if (text.indexOf('$') < 0) {
            return new Result.Expanded(text);
        }
        Expander e = new Expander(text, env);
        try {
            return new Result.Expanded(e.until(false));
        } catch (ExpansionError err) {
            return new Result.Failed(err.getMessage());
        } catch (StackOverflowError err) {
            return new Result.Failed("Mismatched braces");
        }
    }

    /** Convenience: the expanded text, or null on an error. */
    public static String expandOrNull(String text, Map<String, String> env) {
        return expand(text, env) instanceof Result.Expanded ok ? ok.value() : null;
    }

    /** Expands up to the end of text, or (inside braces) up to the matching '}' which it consumes. */
    private String until(boolean inBraces) {
        StringBuilder out = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (inBraces && c == '}') {
                pos++;
                return out.toString();
            }
            if (c != '$') {
                out.append(c);
                pos++;
                continue;
            }
            pos++;
            if (pos < text.length() && text.charAt(pos) == '{') {
                pos++;
                out.append(braced());
            } else if (pos < text.length() && isNameStart(text.charAt(pos))) {
                String name = name();
                out.append(lookup(name));
            } else {
                out.append('$');
            }
        }
        if (inBraces) {
            throw new ExpansionError("Mismatched braces");
        }
        return out.toString();
    }

    private String braced() {
        String name = name();
        if (pos >= text.length()) {
            throw new ExpansionError("Mismatched braces");
        }
        char c = text.charAt(pos);
        if (c == '}') {
            pos++;
            return name.isEmpty() ? "$" : lookup(name);
        }
        boolean colon = false;
        if (c == ':') {
            colon = true;
            pos++;
            if (pos >= text.length()) {
                throw new ExpansionError("Mismatched braces");
            }
            c = text.charAt(pos);
        }
        if (c != '-' && c != '+') {
            throw new ExpansionError("Expected operator");
        }
        pos++;
        String operand = until(true);
        String value = env.get(name);
        boolean set = value != null && !(colon && value.isEmpty());
        if (c == '-') {
            return set ? value : operand;
        }
        return set ? operand : "";
    }

    private String lookup(String name) {
        String value = env.get(name);
        if (value == null) {
            throw new ExpansionError("Unknown parameter: " + name);
        }
        return value;
    }

    private String name() {
        int start = pos;
        if (pos < text.length() && isNameStart(text.charAt(pos))) {
            pos++;
            while (pos < text.length() && isNameChar(text.charAt(pos))) {
                pos++;
            }
        }
        return text.substring(start, pos);
    }

    private static boolean isNameStart(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }

    private static boolean isNameChar(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
