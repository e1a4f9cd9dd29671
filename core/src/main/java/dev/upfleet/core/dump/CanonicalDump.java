package dev.upfleet.core.dump;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.RespawnLimit;
import dev.upfleet.core.job.Signals;
import java.util.List;
import java.util.Optional;

/**
 * The canonical dump of a job class (conformance README §1): one {@code key: value} line per attribute that differs
 * from Upstart's default, in a fixed key order, each line ending in LF. upfleet's {@code nodes} comes last and only
 * when set, so Upstart-only files dump exactly as the conformance cases expect.
 */
public final class CanonicalDump {
    private static final List<ProcessKind> PROCESS_ORDER = List.of(
            ProcessKind.MAIN, ProcessKind.PRE_START, ProcessKind.POST_START, ProcessKind.PRE_STOP, ProcessKind.POST_STOP);

    private CanonicalDump() {}

    public static String render(JobClass job) {
        StringBuilder out = new StringBuilder();
        optional(out, "description", job.description());
        optional(out, "author", job.author());
        optional(out, "version", job.version());
        optional(out, "usage", job.usage());
        if (!job.instance().isEmpty()) {
            line(out, "instance", job.instance());
        }
        job.emits().forEach(e -> line(out, "emits", e));
        job.startOn().ifPresent(e -> line(out, "start_on", e.toString()));
        job.stopOn().ifPresent(e -> line(out, "stop_on", e.toString()));
        job.env().forEach(e -> line(out, "env", e));
        job.export().forEach(e -> line(out, "export", e));
        if (job.task()) {
            line(out, "task", "true");
        }
        if (job.respawn()) {
            line(out, "respawn", "true");
        }
        RespawnLimit limit = job.respawnLimit();
        if (!limit.equals(RespawnLimit.DEFAULT)) {
            line(out, "respawn_limit", limit.count() + " " + limit.interval());
        }
        if (!job.normalExit().isEmpty()) {
            line(out, "normal_exit", String.join(" ", job.normalExit().stream().map(CanonicalDump::exitEntry).toList()));
        }
        if (job.killSignal() != Signals.TERM) {
            line(out, "kill_signal", Signals.toName(job.killSignal()));
        }
        if (job.killTimeout() != JobClass.DEFAULT_KILL_TIMEOUT) {
            line(out, "kill_timeout", Long.toString(job.killTimeout()));
        }
        if (job.reloadSignal() != Signals.HUP) {
            line(out, "reload_signal", Signals.toName(job.reloadSignal()));
        }
        if (job.expect() != Expect.NONE) {
            line(out, "expect", job.expect().wireName());
        }
        if (job.console() != Console.LOG) {
            line(out, "console", job.console().wireName());
        }
        if (job.umask() != JobClass.DEFAULT_UMASK) {
            line(out, "umask", String.format("%04o", job.umask()));
        }
        job.nice().ifPresent(n -> line(out, "nice", Integer.toString(n)));
        if (job.oomScore() != 0) {
            line(out, "oom_score", Integer.toString(job.oomScore()));
        }
        job.limits().forEach((res, l) ->
                line(out, "limit", res.wireName() + " " + Limit.render(l.soft()) + " " + Limit.render(l.hard())));
        optional(out, "chroot", job.chroot());
        optional(out, "chdir", job.chdir());
        optional(out, "setuid", job.setuid());
        optional(out, "setgid", job.setgid());
        optional(out, "apparmor_load", job.apparmorLoad());
        optional(out, "apparmor_switch", job.apparmorSwitch());
        for (ProcessKind kind : PROCESS_ORDER) {
            job.process(kind).ifPresent(c -> line(out, "process." + kind.wireName(), command(c)));
        }
        if (!job.nodes().isEmpty()) {
            line(out, "nodes", String.join(" ", job.nodes()));
        }
        return out.toString();
    }

    /**
     * Signals are stored as {@code signum << 8}, statuses as themselves; a multiple of 256 that names a signal is
     * shown as the signal (a status that large can never match an exit anyway).
     */
    static String exitEntry(int value) {
        if (value >= 256 && (value & 0xff) == 0) {
            String name = Signals.toName(value >> 8);
            if (!name.equals(Integer.toString(value >> 8))) {
                return name;
            }
        }
        return Integer.toString(value);
    }

    static String command(Command command) {
        return switch (command) {
            case Command.Exec exec -> "exec " + exec.text();
            case Command.Script script -> "script \"" + escape(script.text()) + "\"";
        };
    }

    private static String escape(String body) {
        StringBuilder sb = new StringBuilder(body.length() + 8);
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static void optional(StringBuilder out, String key, Optional<String> value) {
        value.ifPresent(v -> line(out, key, v));
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(key).append(": ").append(value).append('\n');
    }
}
