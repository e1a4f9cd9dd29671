package dev.upfleet.core.event;

import java.util.Map;

/**
 * Upstart's variable expansion ({@code environ_expand}, spec §4.5): {@code $NAME}, {@code ${NAME}},
 * {@code ${NAME:-default}}, {@code ${NAME-default}}, {@code ${NAME:+alt}}, {@code ${NAME+alt}}, {@code ${}} for a
 * literal {@code $}; a port of Upstart's in-place {@code environ_expand}. Operands are expanded before the operator is applied, so an unknown name inside an unused
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

    private final StringBuilder str;
    private final Map<String, String> env;
    private int pos;

    private Expander(String text, Map<String, String> env) {
        this.str = new StringBuilder(text);
        this.env = env;
    }

    public static Result expand(String text, Map<String, String> env) {
        if (text.indexOf('$') < 0) {
            return new Result.Expanded(text);
        }
        Expander e = new Expander(text, env);
        try {
            e.until("");
            return new Result.Expanded(e.str.toString());
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

    /** The character at {@code i}, NUL past the end (the C string's terminator). */
    private char at(int i) {
        return i < str.length() ? str.charAt(i) : '\0';
    }

    /**
     * Upstart's {@code environ_expand_until}: expands references in place from {@link #pos} until a character of
     * {@code until} or the end; the end counts as a member of every {@code until} set, as with C's strchr.
     */
    private void until(String until) {
        while (true) {
            while (at(pos) != '$' && at(pos) != '\0' && until.indexOf(at(pos)) < 0) {
                pos++;
            }
            if (at(pos) != '$') {
                return;
            }
            int start = pos++;
            int end;
            String value;
            if (isNameStart(at(pos))) {
                int nameStart = pos++;
                while (isNameStart(at(pos)) || (at(pos) >= '0' && at(pos) <= '9')) {
                    pos++;
                }
                end = pos;
                value = lookup(str.substring(nameStart, end));
            } else if (at(pos) == '{' && at(pos + 1) == '}') {
                pos += 2;
                end = pos;
                value = "$";
            } else if (at(pos) == '{') {
                int nameStart = ++pos;
                until("}:-+");
                String name = str.substring(nameStart, pos);
                if (!isValidName(name)) {
                    throw new ExpansionError("Illegal parameter: " + name);
                }
                char op = 'v';
                boolean ignoreEmpty = false;
                if (at(pos) == ':' && (at(pos + 1) == '-' || at(pos + 1) == '+')) {
                    op = at(pos + 1);
                    ignoreEmpty = true;
                    pos += 2;
                } else if (at(pos) == '-' || at(pos) == '+') {
                    op = at(pos);
                    pos++;
                } else if (at(pos) != '}' && at(pos) != '\0') {
                    throw new ExpansionError("Expected operator");
                }
                int argStart = pos;
                until("}");
                String arg = str.substring(argStart, pos);
                if (at(pos) != '}') {
                    throw new ExpansionError("Mismatched braces");
                }
                end = ++pos;
                String current = env.get(name);
                boolean unset = current == null || (ignoreEmpty && current.isEmpty());
                value = switch (op) {
                    case '-' -> unset ? arg : current;
                    case '+' -> unset ? "" : arg;
                    default -> lookup(name);
                };
            } else {
                continue; // a lone '$' stays literal
            }
            str.replace(start, end, value);
            pos = start + value.length();
        }
    }

    private String lookup(String name) {
        String value = env.get(name);
        if (value == null) {
            throw new ExpansionError("Unknown parameter: " + name);
        }
        return value;
    }

    private static boolean isValidName(String name) {
        if (name.isEmpty() || !isNameStart(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isNameStart(c) && !(c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNameStart(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }
}
