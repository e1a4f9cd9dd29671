package dev.upfleet.agent.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Ordered {@code KEY=VALUE} environment lists, as Upstart's {@code environ_*} functions build them: a later entry for
 * a key replaces the earlier one in its position.
 */
public final class Environ {
    private Environ() {}

    public static String key(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    /**
     * Whether every entry has the form {@code KEY=VALUE} where KEY is a variable name ({@code [A-Za-z_][A-Za-z0-9_]*}),
     * as Upstart's {@code environ_all_valid} checks the pairs of commands and emitted events.
     */
    public static boolean allValid(List<String> env) {
        for (String entry : env) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || !validName(entry, eq)) {
                return false;
            }
        }
        return true;
    }

    private static boolean validName(String entry, int length) {
        for (int i = 0; i < length; i++) {
            char c = entry.charAt(i);
            boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
            if (!letter && (i == 0 || c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Sets {@code KEY=VALUE}, replacing an existing entry in place. */
    public static void set(List<String> env, String entry) {
        String key = key(entry);
        for (int i = 0; i < env.size(); i++) {
            if (hasKey(env.get(i), key)) {
                env.set(i, entry);
                return;
            }
        }
        env.add(entry);
    }

    /**
     * Adds an {@code env} stanza value: {@code KEY=VALUE} is set; a bare {@code KEY} copies the value from
     * {@code outer} (init's own environment), and removes the key when {@code outer} has none (quirk §14.18).
     */
    public static void addStanza(List<String> env, String stanza, Function<String, String> outer) {
        if (stanza.indexOf('=') >= 0) {
            set(env, stanza);
            return;
        }
        String value = outer.apply(stanza);
        if (value != null) {
            set(env, stanza + "=" + value);
        } else {
            remove(env, stanza);
        }
    }

    public static void appendAll(List<String> env, List<String> entries) {
        for (String entry : entries) {
            set(env, entry);
        }
    }

    public static String get(List<String> env, String key) {
        for (String entry : env) {
            int eq = entry.indexOf('=');
            if (eq == key.length() && entry.startsWith(key)) {
                return entry.substring(eq + 1);
            }
        }
        return null;
    }

    public static boolean remove(List<String> env, String key) {
        return env.removeIf(e -> hasKey(e, key));
    }

    /**
     * Whether {@code entry}'s key is {@code key}: as {@code key(entry).equals(key)}, without cutting the key out of
     * every entry compared (setting a job's environment compares each entry with every other).
     */
    static boolean hasKey(String entry, String key) {
        return entry.startsWith(key) && (entry.length() == key.length() || entry.charAt(key.length()) == '=')
                && key.indexOf('=') < 0;
    }

    public static Map<String, String> toMap(List<String> env) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : env) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                map.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return map;
    }

    public static List<String> copy(List<String> env) {
        return new ArrayList<>(env);
    }
}
