package dev.upfleet.agent.conf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the agent looks for job files and writes job logs when not told (spec §1.1, §11, §12): a system init reads
 * {@code /etc/init}; a User Session init ({@code --user}) reads, in this order, {@code $XDG_CONFIG_HOME/upstart}
 * ({@code ~/.config/upstart}), {@code ~/.init}, each {@code $XDG_CONFIG_DIRS} entry + {@code /upstart} (default
 * {@code /etc/xdg}) and {@code /usr/share/upstart/sessions} (unless {@code UPSTART_NO_SYSTEM_USERCONFDIR} is set),
 * and logs to {@code $XDG_CACHE_HOME/upstart} ({@code ~/.cache/upstart}). As in Upstart's xdg.c, only absolute
 * values of these variables count. Pure: the environment is passed in.
 */
public final class ConfDirs {
    public static final Path SYSTEM = Path.of("/etc/init");
    public static final Path SYSTEM_USERCONFDIR = Path.of("/usr/share/upstart/sessions");
    public static final Path SYSTEM_LOG_DIR = Path.of("/var/log/upfleet");

    private ConfDirs() {}

    /**
     * The directories to read, highest priority first: {@code --confdir} replaces the defaults; the prepended and
     * appended ones go before and after whichever list that gives.
     */
    public static List<Path> resolve(List<Path> confDirs, List<Path> prepend, List<Path> append, boolean user,
            Map<String, String> env) {
        List<Path> dirs = new ArrayList<>(prepend);
        dirs.addAll(!confDirs.isEmpty() ? confDirs : user ? user(env) : List.of(SYSTEM));
        dirs.addAll(append);
        return List.copyOf(dirs);
    }

    /** A User Session init's configuration directories, in search order (xdg.c {@code get_user_upstart_dirs}). */
    public static List<Path> user(Map<String, String> env) {
        List<Path> dirs = new ArrayList<>();
        userConfigHome(env).ifPresent(dirs::add);
        absolute(env.get("HOME")).ifPresent(h -> dirs.add(h.resolve(".init")));
        String configDirs = env.getOrDefault("XDG_CONFIG_DIRS", "");
        for (String d : (configDirs.isEmpty() ? "/etc/xdg" : configDirs).split(":")) {
            absolute(d).ifPresent(p -> dirs.add(p.resolve("upstart")));
        }
        if (!env.containsKey("UPSTART_NO_SYSTEM_USERCONFDIR")) {
            dirs.add(SYSTEM_USERCONFDIR);
        }
        return List.copyOf(dirs);
    }

    /**
     * {@code $XDG_CONFIG_HOME/upstart} ({@code ~/.config/upstart}): the session's own directory, which Upstart creates
     * at start so that it can be watched from the first job file on.
     */
    public static Optional<Path> userConfigHome(Map<String, String> env) {
        return absolute(env.get("XDG_CONFIG_HOME")).or(() -> absolute(env.get("HOME")).map(h -> h.resolve(".config")))
                .map(d -> d.resolve("upstart"));
    }

    /**
     * The job log directory: {@code --log-dir}, else {@code UPSTART_LOGDIR}, else a session's
     * {@code $XDG_CACHE_HOME/upstart} ({@code ~/.cache/upstart}), else the system directory.
     */
    public static Path logDir(Optional<Path> given, boolean user, Map<String, String> env) {
        return given.or(() -> Optional.ofNullable(env.get("UPSTART_LOGDIR")).filter(s -> !s.isEmpty()).map(Path::of))
                .or(() -> user ? userLogDir(env) : Optional.empty())
                .orElse(SYSTEM_LOG_DIR);
    }

    private static Optional<Path> userLogDir(Map<String, String> env) {
        return absolute(env.get("XDG_CACHE_HOME")).or(() -> absolute(env.get("HOME")).map(h -> h.resolve(".cache")))
                .map(d -> d.resolve("upstart"));
    }

    private static Optional<Path> absolute(String value) {
        return value != null && value.startsWith("/") ? Optional.of(Path.of(value)) : Optional.empty();
    }
}
