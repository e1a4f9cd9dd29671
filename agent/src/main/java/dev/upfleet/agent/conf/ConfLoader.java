package dev.upfleet.agent.conf;

import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.ConfProblem;
import dev.upfleet.core.parse.ErrorCode;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the engine's classes in step with the configuration directories: a rescan re-parses only the jobs whose
 * files changed, loads what parses, and drops what was deleted or no longer parses (§1.4). Runs on the engine thread.
 */
public final class ConfLoader {

    /** Where loaded and removed classes and problems go (the engine and the log). */
    public interface Sink {
        void load(JobClass job);

        void remove(String name);

        void problem(ConfProblem problem);
    }

    private record Stamp(Path conf, FileTime confTime, long confSize, Optional<Path> override, FileTime overrideTime,
                         long overrideSize) {}

    private final List<Path> dirs;
    private final Sink sink;
    private final Map<String, Stamp> loaded = new HashMap<>();

    public ConfLoader(List<Path> dirs, Sink sink) {
        this.dirs = List.copyOf(dirs);
        this.sink = sink;
    }

    public List<Path> dirs() {
        return dirs;
    }

    /** Re-reads changed files; {@code force} re-reads everything (reload-configuration). */
    public void rescan(boolean force) {
        Map<String, ConfScanner.Sources> found = ConfScanner.scan(dirs);
        for (String name : List.copyOf(loaded.keySet())) {
            if (!found.containsKey(name)) {
                loaded.remove(name);
                sink.remove(name);
            }
        }
        for (ConfScanner.Sources sources : found.values()) {
            Stamp stamp = stamp(sources);
            if (!force && Objects.equals(loaded.get(sources.name()), stamp)) {
                continue;
            }
            loaded.put(sources.name(), stamp);
            switch (parse(sources)) {
                case ParseResult.Parsed parsed -> sink.load(parsed.job());
                case ParseResult.Failed failed -> {
                    sink.problem(failed.problem());
                    sink.remove(sources.name());
                }
            }
        }
    }

    private static ParseResult parse(ConfScanner.Sources sources) {
        String confLabel = sources.conf().toString();
        try {
            String conf = JobParser.decode(Files.readAllBytes(sources.conf()));
            String overrideLabel = sources.override().map(Path::toString).orElse(null);
            String override = null;
            if (sources.override().isPresent()) {
                override = JobParser.decode(Files.readAllBytes(sources.override().get()));
            }
            return JobParser.parse(sources.name(), confLabel, conf, overrideLabel, override);
        } catch (IOException | OutOfMemoryError e) {
            return new ParseResult.Failed(new ConfProblem(confLabel, 0, 0, ErrorCode.UNREADABLE,
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    private static Stamp stamp(ConfScanner.Sources s) {
        return new Stamp(s.conf(), time(s.conf()), size(s.conf()), s.override(),
                s.override().map(ConfLoader::time).orElse(null), s.override().map(ConfLoader::size).orElse(-1L));
    }

    private static FileTime time(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return null;
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
