package dev.upfleet.core.job;

import dev.upfleet.core.event.EventExpr;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A parsed job definition (Upstart's "job class"): every stanza of a {@code .conf} file plus its
 * {@code .override}, with Upstart's defaults for what the file does not say. Immutable.
 *
 * @param name           job name: the file's path below its config directory without {@code .conf}
 * @param instance       the unexpanded {@code instance} template, {@code ""} for a single-instance job
 * @param startOn        the {@code start on} expression, absent when none (or cleared by {@code manual})
 * @param env            {@code env} stanzas as stored ({@code KEY=VALUE} or bare {@code KEY}), in order
 * @param normalExit     exit statuses, and signals as {@code signum << 8}, in order
 * @param killTimeout    seconds; a {@code time_t} in Upstart, so any non-negative {@code long}
 * @param nice           absent when unset (inherit)
 * @param limits         by resource, iterated in resource-name order
 * @param processes      the defined process slots
 * @param nodes          upfleet's {@code nodes} stanza terms ({@code *}, a name glob, {@code LABEL=VALUE}); empty = all
 */
public record JobClass(
        String name,
        Optional<String> description,
        Optional<String> author,
        Optional<String> version,
        Optional<String> usage,
        String instance,
        List<String> emits,
        Optional<EventExpr> startOn,
        Optional<EventExpr> stopOn,
        List<String> env,
        List<String> export,
        boolean task,
        boolean respawn,
        RespawnLimit respawnLimit,
        List<Integer> normalExit,
        int killSignal,
        long killTimeout,
        int reloadSignal,
        Expect expect,
        Console console,
        int umask,
        Optional<Integer> nice,
        int oomScore,
        SortedMap<RlimitResource, Limit> limits,
        Optional<String> chroot,
        Optional<String> chdir,
        Optional<String> setuid,
        Optional<String> setgid,
        Optional<String> apparmorLoad,
        Optional<String> apparmorSwitch,
        List<CgroupSetting> cgroups,
        boolean debug,
        List<String> nodes,
        Map<ProcessKind, Command> processes) {

    public static final int DEFAULT_KILL_TIMEOUT = 5;
    public static final int DEFAULT_UMASK = 0022;

    public JobClass {
        emits = List.copyOf(emits);
        env = List.copyOf(env);
        export = List.copyOf(export);
        normalExit = List.copyOf(normalExit);
        limits = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(limits));
        cgroups = List.copyOf(cgroups);
        nodes = List.copyOf(nodes);
        EnumMap<ProcessKind, Command> copy = new EnumMap<>(ProcessKind.class);
        copy.putAll(processes);
        processes = java.util.Collections.unmodifiableMap(copy);
    }

    public Optional<Command> process(ProcessKind kind) {
        return Optional.ofNullable(processes.get(kind));
    }

    public boolean hasMain() {
        return processes.containsKey(ProcessKind.MAIN);
    }

    public boolean isInstanceJob() {
        return !instance.isEmpty();
    }

    /** Whether an exit status (or {@code signum << 8}) is listed in {@code normal exit}. */
    public boolean isNormalExit(int status) {
        return normalExit.contains(status);
    }

    /** One {@code cgroup CONTROLLER [NAME] [KEY VALUE]} stanza. */
    public record CgroupSetting(String controller, Optional<String> name, Optional<String> key, Optional<String> value) {}
}
