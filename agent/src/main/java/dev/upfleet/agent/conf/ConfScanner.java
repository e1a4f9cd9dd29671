package dev.upfleet.agent.conf;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds the job files of the configuration directories (§1.1–§1.3): {@code .conf} files define jobs named by their
 * path below the directory, the first directory that defines a name owns it, and an {@code .override} applies from
 * the owning directory or an earlier one. Sub-directories are searched, except the ones libnih ignores; files are
 * chosen by their extension only.
 */
public final class ConfScanner {

    /**
     * One job's sources: its {@code .conf} in the first directory that has one, the override that applies to it, and
     * the same job in the next directory down, which Upstart selects instead while this {@code .conf} does not parse
     * ({@code conf_select_job} takes the first directory whose file produced a class).
     */
    public record Sources(String name, Path conf, Optional<Path> override, Optional<Sources> fallback) {
        public Sources(String name, Path conf, Optional<Path> override) {
            this(name, conf, override, Optional.empty());
        }
    }

    private ConfScanner() {}

    /** Every job of the directories, in load order (directory order, then path order within a directory). */
    public static Map<String, Sources> scan(List<Path> dirs) {
        Map<String, List<Found>> confs = new LinkedHashMap<>(); // each name's .conf files, in directory order
        Map<String, Found> overrides = new HashMap<>(); // each name's first .override
        for (int i = 0; i < dirs.size(); i++) {
            for (Map.Entry<String, Path> e : files(dirs.get(i)).entrySet()) {
                String rel = e.getKey();
                Found found = new Found(i, e.getValue());
                if (rel.endsWith(".conf")) {
                    confs.computeIfAbsent(rel.substring(0, rel.length() - ".conf".length()), n -> new ArrayList<>())
                            .add(found);
                } else if (rel.endsWith(".override")) {
                    overrides.putIfAbsent(rel.substring(0, rel.length() - ".override".length()), found);
                }
            }
        }
        Map<String, Sources> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Found>> e : confs.entrySet()) {
            String name = e.getKey();
            List<Found> files = e.getValue();
            Found override = overrides.get(name);
            Optional<Sources> next = Optional.empty();
            // Built from the last directory up, so each directory's Sources falls back on the next one's.
            for (int k = files.size() - 1; k >= 0; k--) {
                Found conf = files.get(k);
                Optional<Path> applies = override != null && override.dir() <= conf.dir()
                        ? Optional.of(override.path()) : Optional.empty();
                next = Optional.of(new Sources(name, conf.path(), applies, next));
            }
            out.put(name, next.orElseThrow());
        }
        return out;
    }

    /** A job file and the index of the directory it was found in. */
    private record Found(int dir, Path path) {}

    /** Relative path → file, in libnih's walk order, for the regular files of one directory tree. */
    private static Map<String, Path> files(Path dir) {
        Map<String, Path> found = new TreeMap<>(ConfScanner::walkOrder);
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return d.equals(dir) || !ignored(d.getFileName().toString())
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // Upstart's conf_dir_filter applies nih_file_ignore to directories only: a file is taken on its
                    // extension alone, so ".hidden.conf" and "#x.conf" define jobs.
                    String base = file.getFileName().toString();
                    if (isConfFile(base) && (attrs.isRegularFile() || linkedConf(file, attrs, base))) {
                        found.put(dir.relativize(file).toString(), file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // An unreadable directory defines no jobs; the rest still load.
        }
        return found;
    }

    /**
     * libnih's {@code nih_dir_walk} order: the entries of each directory sorted by name, a sub-directory's files
     * visited where its name sorts (depth first). So {@code a/b.conf} comes before {@code a-b.conf} and
     * {@code a.conf}, although a plain string sort puts it last ({@code '/'} sorts after {@code '-'} and {@code '.'}).
     */
    static int walkOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (true) {
            int ai = a.indexOf('/', i);
            int bj = b.indexOf('/', j);
            String ca = ai < 0 ? a.substring(i) : a.substring(i, ai);
            String cb = bj < 0 ? b.substring(j) : b.substring(j, bj);
            int c = ca.compareTo(cb);
            if (c != 0 || ai < 0 || bj < 0) {
                // Equal names at one level are a directory and a file of the same name: not both possible.
                return c != 0 ? c : Integer.compare(ai < 0 ? 0 : 1, bj < 0 ? 0 : 1);
            }
            i = ai + 1;
            j = bj + 1;
        }
    }

    /**
     * A symbolic link to a regular file is a job's {@code .conf} (libnih's walk calls {@code stat}, which follows it),
     * but never an {@code .override} ({@code conf_get_best_override} insists on {@code lstat} saying "regular").
     */
    private static boolean linkedConf(Path file, BasicFileAttributes attrs, String base) {
        return attrs.isSymbolicLink() && base.endsWith(".conf") && Files.isRegularFile(file);
    }

    /**
     * Upstart's {@code is_conf_file}: the name ends in {@code .conf} or {@code .override} after a non-empty stem (a file
     * called just {@code .conf} is no job).
     */
    static boolean isConfFile(String baseName) {
        return (baseName.endsWith(".conf") && baseName.length() > ".conf".length())
                || (baseName.endsWith(".override") && baseName.length() > ".override".length());
    }

    /** libnih's {@code nih_file_ignore}: hidden, backup, editor swap, revision control and packaging leftovers. */
    static boolean ignored(String name) {
        return name.startsWith(".") // hidden; also emacs' .#* swap files and .git, .svn, .bzr, .hg, .arch-ids ...
                || name.endsWith("~") || name.endsWith(".bak") || name.endsWith(".BAK")
                || (name.length() >= 2 && name.startsWith("#") && name.endsWith("#"))
                || name.endsWith(".swp") || name.endsWith(".swo") || name.endsWith(".swn")
                || name.endsWith(",v") || RCS_NAMES.contains(name)
                || isPackaging(name);
    }

    private static final Set<String> RCS_NAMES = Set.of("RCS", "CVS", "CVS.adm", "SCCS", "BitKeeper", "{arch}", "_darcs");

    /** {@code *.dpkg-*} (after the last dot), {@code *.rpmsave}, {@code *.rpmorig}, {@code *.rpmnew}, {@code *;XXXXXXXX}. */
    private static boolean isPackaging(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot);
        if (ext.startsWith(".dpkg-") || ext.equals(".rpmsave") || ext.equals(".rpmorig") || ext.equals(".rpmnew")) {
            return true;
        }
        int semi = name.lastIndexOf(';');
        return semi >= 0 && name.length() - semi - 1 == 8 && name.substring(semi + 1).chars().allMatch(
                c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    }
}
