package dev.upfleet.agent.events;

import dev.upfleet.agent.engine.EngineObserver;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * {@code --event-log FILE}: one JSON object per event as it is emitted,
 * {@code {"id":N,"node":"...","name":"...","env":["K=V",...]}}, flushed line by line so readers see whole lines.
 */
public final class EventLog implements EngineObserver, AutoCloseable {
    private final BufferedWriter out;

    public EventLog(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    @Override
    public void eventEmitted(long id, String node, String name, List<String> env) {
        try {
            out.write(line(id, node, name, env));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String line(long id, String node, String name, List<String> env) {
        StringBuilder sb = new StringBuilder(64);
        sb.append("{\"id\":").append(id).append(",\"node\":");
        Json.string(sb, node);
        sb.append(",\"name\":");
        Json.string(sb, name);
        sb.append(",\"env\":[");
        for (int i = 0; i < env.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            Json.string(sb, env.get(i));
        }
        return sb.append("]}").toString();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
