package dev.upfleet.core.parse;

import dev.upfleet.core.event.EventExpr;
import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.JobClass.CgroupSetting;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.RespawnLimit;
import dev.upfleet.core.job.RlimitResource;
import dev.upfleet.core.job.Signals;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The mutable job class a {@code .conf} and then its {@code .override} are parsed into (Upstart's {@code parse_job}
 * with {@code update}). Starts with every default of spec §3.7. Single-threaded.
 */
public final class JobClassBuilder {
    String description;
    String author;
    String version;
    String usage;
    String instance = "";
    final List<String> emits = new ArrayList<>();
    EventExpr startOn;
    EventExpr stopOn;
    final List<String> env = new ArrayList<>();
    final List<String> export = new ArrayList<>();
    boolean task;
    boolean respawn;
    RespawnLimit respawnLimit = RespawnLimit.DEFAULT;
    final List<Integer> normalExit = new ArrayList<>();
    int killSignal = Signals.TERM;
    long killTimeout = JobClass.DEFAULT_KILL_TIMEOUT;
    int reloadSignal = Signals.HUP;
    Expect expect = Expect.NONE;
    Console console;
    int umask = JobClass.DEFAULT_UMASK;
    Integer nice;
    int oomScore;
    final Map<RlimitResource, Limit> limits = new TreeMap<>();
    String chroot;
    String chdir;
    String setuid;
    String setgid;
    String apparmorLoad;
    String apparmorSwitch;
    final List<CgroupSetting> cgroups = new ArrayList<>();
    boolean debug;
    final List<String> nodes = new ArrayList<>();
    final Map<ProcessKind, Command> processes = new EnumMap<>(ProcessKind.class);

    /** Upstart's defaults: {@code console log}, {@code umask 022}. */
    public JobClassBuilder() {
        this(JobDefaults.STANDARD);
    }

    /** With other values for a job without the stanzas (init's {@code --default-console}, a session's umask). */
    public JobClassBuilder(JobDefaults defaults) {
        this.console = defaults.console();
        this.umask = defaults.umask();
    }

    /** {@code cgroup}: a same controller/name/key replaces the value, an identical stanza is ignored, else appends. */
    void addCgroup(CgroupSetting setting) {
        for (int i = 0; i < cgroups.size(); i++) {
            CgroupSetting old = cgroups.get(i);
            if (old.controller().equals(setting.controller()) && old.name().equals(setting.name())
                    && old.key().equals(setting.key())) {
                if (setting.key().isPresent() || Objects.equals(old, setting)) {
                    cgroups.set(i, setting);
                    return;
                }
            }
        }
        cgroups.add(setting);
    }

    public JobClass build(String name) {
        return new JobClass(
                name,
                Optional.ofNullable(description),
                Optional.ofNullable(author),
                Optional.ofNullable(version),
                Optional.ofNullable(usage),
                instance,
                emits,
                Optional.ofNullable(startOn),
                Optional.ofNullable(stopOn),
                env,
                export,
                task,
                respawn,
                respawnLimit,
                normalExit,
                killSignal,
                killTimeout,
                reloadSignal,
                expect,
                console,
                umask,
                Optional.ofNullable(nice),
                oomScore,
                new TreeMap<>(limits),
                Optional.ofNullable(chroot),
                Optional.ofNullable(chdir),
                Optional.ofNullable(setuid),
                Optional.ofNullable(setgid),
                Optional.ofNullable(apparmorLoad),
                Optional.ofNullable(apparmorSwitch),
                cgroups,
                debug,
                nodes,
                processes);
    }
}
