package dev.upfleet.functional.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One line of an agent's {@code --event-log}: {@code {"id":N,"node":"..","name":"..","env":["K=V",..]}}. */
public record LoggedEvent(String node, String name, List<String> env) {
    private static final Pattern LINE =
            Pattern.compile("\"node\":\"((?:[^\"\\\\]|\\\\.)*)\",\"name\":\"((?:[^\"\\\\]|\\\\.)*)\",\"env\":\\[(.*)\\]");
    private static final Pattern ITEM = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    public static LoggedEvent parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            throw new IllegalArgumentException("not an event-log line: " + line);
        }
        List<String> env = new ArrayList<>();
        Matcher item = ITEM.matcher(m.group(3));
        while (item.find()) {
            env.add(item.group(1));
        }
        return new LoggedEvent(m.group(1), m.group(2), List.copyOf(env));
    }

    /** The events of {@code agent}'s log (complete lines only) named {@code name} that happened on {@code node}. */
    public static List<LoggedEvent> of(AgentProcess agent, String node, String name) {
        List<String> lines = agent.events();
        List<LoggedEvent> found = new ArrayList<>();
        for (String line : lines) {
            if (!line.endsWith("}")) {
                continue; // a line being written
            }
            LoggedEvent e = parse(line);
            if (e.node().equals(node) && e.name().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    /** The value of {@code key} in the environment, or null. */
    public String get(String key) {
        for (String kv : env) {
            if (kv.startsWith(key + "=")) {
                return kv.substring(key.length() + 1);
            }
        }
        return null;
    }
}
