package dev.upfleet.core.parse;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.JobClass.CgroupSetting;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.RespawnLimit;
import dev.upfleet.core.job.RlimitResource;
import dev.upfleet.core.job.Signals;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The stanza handlers of Upstart's {@code parse_job.c} (spec §3), one method per stanza, each consuming its arguments
 * from the lexer into the builder. Where a handler reports an error at a remembered position ("update error
 * position" in Upstart) it passes that line explicitly; lexer errors carry the line the lexer reached.
 */
final class Stanzas {
    private interface Handler {
        void parse(Stanzas s);
    }

    private static final Map<String, Handler> TABLE = Map.ofEntries(
            Map.entry("instance", s -> s.b.instance = s.singleArg()),
            Map.entry("description", s -> s.b.description = s.singleArg()),
            Map.entry("author", s -> s.b.author = s.singleArg()),
            Map.entry("version", s -> s.b.version = s.singleArg()),
            Map.entry("usage", s -> s.b.usage = s.singleArg()),
            Map.entry("chroot", s -> s.b.chroot = s.singleArg()),
            Map.entry("chdir", s -> s.b.chdir = s.singleArg()),
            Map.entry("setuid", s -> s.b.setuid = s.singleArg()),
            Map.entry("setgid", s -> s.b.setgid = s.singleArg()),
            Map.entry("env", s -> s.b.env.add(s.singleArg())),
            Map.entry("export", s -> s.b.export.addAll(s.argList())),
            Map.entry("emits", s -> s.b.emits.addAll(s.argList())),
            Map.entry("nodes", s -> s.b.nodes.addAll(s.argList())),
            Map.entry("start", s -> s.on(true)),
            Map.entry("stop", s -> s.on(false)),
            Map.entry("exec", s -> s.exec(ProcessKind.MAIN)),
            Map.entry("script", s -> s.script(ProcessKind.MAIN)),
            Map.entry("pre-start", s -> s.process(ProcessKind.PRE_START)),
            Map.entry("post-start", s -> s.process(ProcessKind.POST_START)),
            Map.entry("pre-stop", s -> s.process(ProcessKind.PRE_STOP)),
            Map.entry("post-stop", s -> s.process(ProcessKind.POST_STOP)),
            Map.entry("expect", Stanzas::expect),
            Map.entry("task", s -> {
                s.b.task = true;
                s.lex.skipComment();
            }),
            Map.entry("kill", Stanzas::kill),
            Map.entry("reload", Stanzas::reload),
            Map.entry("respawn", Stanzas::respawn),
            Map.entry("normal", Stanzas::normal),
            Map.entry("console", Stanzas::console),
            Map.entry("umask", Stanzas::umask),
            Map.entry("nice", Stanzas::nice),
            Map.entry("oom", Stanzas::oom),
            Map.entry("limit", Stanzas::limit),
            Map.entry("apparmor", Stanzas::apparmor),
            Map.entry("cgroup", Stanzas::cgroup),
            // manual and debug do not check the rest of the line (quirk §14.10).
            Map.entry("debug", s -> s.b.debug = true),
            Map.entry("manual", s -> s.b.startOn = null));

    private final Lexer lex;
    private final JobClassBuilder b;

    private Stanzas(Lexer lex, JobClassBuilder b) {
        this.lex = lex;
        this.b = b;
    }

    /** {@code nih_config_parse_file} with Upstart's stanza table. */
    static void parseFile(Lexer lex, JobClassBuilder builder) {
        Stanzas s = new Stanzas(lex, builder);
        while (lex.pos < lex.len) {
            while (lex.pos < lex.len && Lexer.isWs(lex.peek())) {
                lex.pos++;
            }
            if (!lex.hasToken()) {
                lex.skipComment();
                continue;
            }
            String name = lex.nextToken(Lexer.Delims.CNLWS, false);
            Handler handler = TABLE.get(name);
            if (handler == null) {
                throw new ParseFailure(ErrorCode.UNKNOWN_STANZA, lex.line);
            }
            handler.parse(s);
        }
    }

    private ParseFailure fail(ErrorCode code, int line) {
        return new ParseFailure(code, line);
    }

    private String singleArg() {
        String arg = lex.nextArg();
        lex.skipComment();
        return arg;
    }

    private List<String> argList() {
        if (!lex.hasToken()) {
            throw fail(ErrorCode.EXPECTED_TOKEN, lex.line);
        }
        return lex.parseArgs();
    }

    private String keyword() {
        return lex.nextToken(Lexer.Delims.CNLWS, false);
    }

    private void on(boolean start) {
        int line = lex.line;
        if (!keyword().equals("on")) {
            throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        if (start) {
            b.startOn = ExprParser.parse(lex);
        } else {
            b.stopOn = ExprParser.parse(lex);
        }
    }

    private void exec(ProcessKind kind) {
        if (!lex.hasToken()) {
            throw fail(ErrorCode.EXPECTED_TOKEN, lex.line);
        }
        b.processes.put(kind, new Command.Exec(lex.parseCommand()));
    }

    private void script(ProcessKind kind) {
        lex.skipComment();
        b.processes.put(kind, new Command.Script(lex.parseBlock("script")));
    }

    private void process(ProcessKind kind) {
        int line = lex.line;
        switch (keyword()) {
            case "exec" -> exec(kind);
            case "script" -> script(kind);
            default -> throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
    }

    private void expect() {
        int line = lex.line;
        b.expect = switch (lex.nextArg()) {
            case "stop" -> Expect.STOP;
            case "fork" -> Expect.FORK;
            case "daemon" -> Expect.DAEMON;
            case "none" -> Expect.NONE;
            default -> throw fail(ErrorCode.UNKNOWN_STANZA, line);
        };
        lex.skipComment();
    }

    private void console() {
        int line = lex.line;
        b.console = Console.fromWireName(lex.nextArg()).orElseThrow(() -> fail(ErrorCode.UNKNOWN_STANZA, line));
        lex.skipComment();
    }

    private void kill() {
        int line = lex.line;
        switch (keyword()) {
            case "timeout" -> {
                int valueLine = lex.line;
                OptionalLong v = CNumbers.strtol(lex.nextArg(), 10);
                if (v.isEmpty() || v.getAsLong() < 0) {
                    throw fail(ErrorCode.ILLEGAL_INTERVAL, valueLine);
                }
                b.killTimeout = v.getAsLong();
            }
            case "signal" -> b.killSignal = signal();
            default -> throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        lex.skipComment();
    }

    private void reload() {
        int line = lex.line;
        if (!keyword().equals("signal")) {
            throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        b.reloadSignal = signal();
        lex.skipComment();
    }

    /** A signal name (with or without SIG) or a decimal number up to INT_MAX. */
    private int signal() {
        int valueLine = lex.line;
        String arg = lex.nextArg();
        Optional<Integer> named = Signals.fromName(arg);
        if (named.isPresent()) {
            return named.get();
        }
        OptionalLong v = CNumbers.strtoul(arg, 10);
        if (v.isEmpty() || Long.compareUnsigned(v.getAsLong(), Integer.MAX_VALUE) > 0) {
            throw fail(ErrorCode.ILLEGAL_SIGNAL, valueLine);
        }
        return (int) v.getAsLong();
    }

    private void respawn() {
        if (!lex.hasToken()) {
            b.respawn = true;
            lex.skipComment();
            return;
        }
        int line = lex.line;
        if (!keyword().equals("limit")) {
            throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        int limitLine = lex.line;
        String limitArg = lex.nextArg();
        if (limitArg.equals("unlimited")) {
            b.respawnLimit = new RespawnLimit(0, 0);
        } else {
            OptionalLong count = CNumbers.strtol(limitArg, 10);
            // Upstart stores strtol's long into an int before the sign check.
            if (count.isEmpty() || (int) count.getAsLong() < 0) {
                throw fail(ErrorCode.ILLEGAL_LIMIT, limitLine);
            }
            int intervalLine = lex.line;
            OptionalLong interval = CNumbers.strtol(lex.nextArg(), 10);
            if (interval.isEmpty() || interval.getAsLong() < 0) {
                throw fail(ErrorCode.ILLEGAL_INTERVAL, intervalLine);
            }
            b.respawnLimit = new RespawnLimit((int) count.getAsLong(), interval.getAsLong());
        }
        lex.skipComment();
    }

    private void normal() {
        int line = lex.line;
        if (!keyword().equals("exit")) {
            throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        do {
            int valueLine = lex.line;
            String arg = lex.nextArg();
            Optional<Integer> signal = Signals.fromName(arg);
            if (signal.isPresent()) {
                b.normalExit.add(signal.get() << 8);
            } else {
                OptionalLong v = CNumbers.strtoul(arg, 10);
                if (v.isEmpty() || Long.compareUnsigned(v.getAsLong(), Integer.MAX_VALUE) > 0) {
                    throw fail(ErrorCode.ILLEGAL_EXIT, valueLine);
                }
                b.normalExit.add((int) v.getAsLong());
            }
        } while (lex.hasToken());
        lex.skipComment();
    }

    private void umask() {
        int line = lex.line;
        OptionalLong v = CNumbers.strtoul(lex.nextArg(), 8);
        // Upstart stores strtoul's result in a 32-bit mode_t before the range check, so higher bits are dropped.
        int mask = v.isPresent() ? (int) v.getAsLong() : 0;
        if (v.isEmpty() || (mask & ~0777) != 0) {
            throw fail(ErrorCode.ILLEGAL_UMASK, line);
        }
        b.umask = mask;
        lex.skipComment();
    }

    private void nice() {
        int line = lex.line;
        OptionalLong v = CNumbers.strtol(lex.nextArg(), 10);
        // (int) as in Upstart: the range check is made on the truncated value.
        if (v.isEmpty() || (int) v.getAsLong() < -20 || (int) v.getAsLong() > 19) {
            throw fail(ErrorCode.ILLEGAL_NICE, line);
        }
        b.nice = (int) v.getAsLong();
        lex.skipComment();
    }

    private void oom() {
        int line = lex.line;
        String arg = lex.nextArg();
        if (arg.equals("score")) {
            int valueLine = lex.line;
            String score = lex.nextArg();
            if (score.equals("never")) {
                b.oomScore = -1000;
            } else {
                OptionalLong v = CNumbers.strtol(score, 10);
                if (v.isEmpty() || (int) v.getAsLong() < -1000 || (int) v.getAsLong() > 1000) {
                    throw fail(ErrorCode.ILLEGAL_OOM_SCORE, valueLine);
                }
                b.oomScore = (int) v.getAsLong();
            }
        } else if (arg.equals("never")) {
            b.oomScore = -1000;
        } else {
            OptionalLong v = CNumbers.strtol(arg, 10);
            int adj = v.isPresent() ? (int) v.getAsLong() : 0;
            if (v.isEmpty() || adj < -17 || adj > 15) {
                throw fail(ErrorCode.ILLEGAL_OOM, line);
            }
            b.oomScore = adj * 1000 / (adj < 0 ? 17 : 15);
        }
        lex.skipComment();
    }

    private void limit() {
        int line = lex.line;
        RlimitResource resource =
                RlimitResource.fromWireName(lex.nextArg()).orElseThrow(() -> fail(ErrorCode.UNKNOWN_STANZA, line));
        long soft = limitValue();
        long hard = limitValue();
        b.limits.put(resource, new Limit(soft, hard));
        lex.skipComment();
    }

    private long limitValue() {
        int valueLine = lex.line;
        String arg = lex.nextArg();
        if (arg.equals("unlimited")) {
            return Limit.UNLIMITED;
        }
        OptionalLong v = CNumbers.strtoul(arg, 10);
        if (v.isEmpty()) {
            throw fail(ErrorCode.ILLEGAL_LIMIT, valueLine);
        }
        return v.getAsLong();
    }

    private void apparmor() {
        int line = lex.line;
        switch (keyword()) {
            case "load" -> b.apparmorLoad = lex.nextArg();
            case "switch" -> b.apparmorSwitch = lex.nextArg();
            default -> throw fail(ErrorCode.UNKNOWN_STANZA, line);
        }
        lex.skipComment();
    }

    /** {@code cgroup CONTROLLER [NAME] [KEY VALUE]}: the number of arguments decides their meaning. */
    private void cgroup() {
        List<String> args = new ArrayList<>();
        args.add(lex.nextArg());
        while (lex.hasToken() && args.size() < 4) {
            args.add(lex.nextArg());
        }
        lex.skipComment();
        String controller = args.getFirst();
        b.addCgroup(switch (args.size()) {
            case 1 -> new CgroupSetting(controller, Optional.empty(), Optional.empty(), Optional.empty());
            case 2 -> new CgroupSetting(controller, Optional.of(args.get(1)), Optional.empty(), Optional.empty());
            case 3 -> new CgroupSetting(controller, Optional.empty(), Optional.of(args.get(1)), Optional.of(args.get(2)));
            default -> new CgroupSetting(controller, Optional.of(args.get(1)), Optional.of(args.get(2)),
                    Optional.of(args.get(3)));
        });
    }
}
