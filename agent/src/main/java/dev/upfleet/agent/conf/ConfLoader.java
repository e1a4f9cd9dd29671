package dev.upfleet.agent.conf;

import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.ConfProblem;
import dev.upfleet.core.parse.JobDefaults;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
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

    /**
     * A job's files as last read, those of the directories below included: a rescan re-reads the job when any of this
     * differs.
     */
    public record Stamp(Path conf, FileTime confTime, long confSize, Optional<Path> override, FileTime overrideTime,
                         long overrideSize, Optional<Stamp> fallback) {}

    private final List<Path> dirs;
    private final JobDefaults defaults;
    private final Sink sink;
    private final Map<String, Stamp> loaded = new HashMap<>();

    public ConfLoader(List<Path> dirs, Sink sink) {
        this(dirs, JobDefaults.STANDARD, sink);
    }

    /** {@code defaults}: what a job without the stanzas gets (init's {@code --default-console}, a session's umask). */
    public ConfLoader(List<Path> dirs, JobDefaults defaults, Sink sink) {
        this.dirs = List.copyOf(dirs);
        this.defaults = defaults;
        this.sink = sink;
    }

    public List<Path> dirs() {
        return dirs;
    }

    /** Re-reads changed files; {@code force} re-reads everything (reload-configuration). */
    public void rescan(boolean force) {
        apply(scan(dirs, defaults, loaded, force));
    }

    /**
     * Every job file of {@code dirs}, read and parsed, for the boot's first {@link #apply}. Touches no loader: the
     * agent runs it on a thread of its own while the engine is still being built (parsing 1000 files is a fifth of a
     * cold start).
     */
    public static Scan scanAll(List<Path> dirs, JobDefaults defaults) {
        return scan(dirs, defaults, Map.of(), true);
    }

    /** What a scan found: the jobs whose files changed, parsed, and the jobs whose files are gone. */
    public record Scan(List<Change> changes, List<String> gone) {}

    /**
     * One job's files as they are now and what they parse to: the first directory's definition that parses, after the
     * problems of those above it that do not (Upstart reports each and selects the first class it has).
     */
    public record Change(String name, Stamp stamp, List<ConfProblem> passedOver, ParseResult result) {}

    private static Scan scan(List<Path> dirs, JobDefaults defaults, Map<String, Stamp> loaded, boolean force) {
        Map<String, ConfScanner.Sources> found = ConfScanner.scan(dirs);
        List<String> gone = new ArrayList<>();
        for (String name : loaded.keySet()) {
            if (!found.containsKey(name)) {
                gone.add(name);
            }
        }
        List<Change> changes = new ArrayList<>();
        for (ConfScanner.Sources sources : found.values()) {
            Stamp stamp = stamp(sources);
            if (force || !Objects.equals(loaded.get(sources.name()), stamp)) {
                changes.add(change(sources, stamp, defaults));
            }
        }
        return new Scan(changes, gone);
    }

    /** Applies a scan of this loader's directories: loads what parses, drops what was deleted or no longer parses. */
    public void apply(Scan scan) {
        for (String name : scan.gone()) {
            loaded.remove(name);
            sink.remove(name);
        }
        for (Change change : scan.changes()) {
            loaded.put(change.name(), change.stamp());
            change.passedOver().forEach(sink::problem);
            switch (change.result()) {
                case ParseResult.Parsed parsed -> {
                    parsed.overrideProblem().ifPresent(sink::problem);
                    sink.load(parsed.job());
                }
                case ParseResult.Failed failed -> {
                    sink.problem(failed.problem());
                    sink.remove(change.name());
                }
            }
        }
    }

    private static Change change(ConfScanner.Sources sources, Stamp stamp, JobDefaults defaults) {
        List<ConfProblem> passedOver = new ArrayList<>();
        ConfScanner.Sources candidate = sources;
        ParseResult result = parse(candidate, defaults);
        while (result instanceof ParseResult.Failed failed && candidate.fallback().isPresent()) {
            passedOver.add(failed.problem());
            candidate = candidate.fallback().get();
            result = parse(candidate, defaults);
        }
        return new Change(sources.name(), stamp, List.copyOf(passedOver), result);
    }

    private static ParseResult parse(ConfScanner.Sources sources, JobDefaults defaults) {
        return JobParser.parseFiles(sources.name(), sources.conf(), sources.override(), defaults);
    }

    private static Stamp stamp(ConfScanner.Sources s) {
        return new Stamp(s.conf(), time(s.conf()), size(s.conf()), s.override(),
                s.override().map(ConfLoader::time).orElse(null), s.override().map(ConfLoader::size).orElse(-1L),
                s.fallback().map(ConfLoader::stamp));
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
