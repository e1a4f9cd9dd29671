package dev.upfleet.core.parse;

import static dev.upfleet.core.parse.ParseTestSupport.parseOk;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each stanza's stored value, repetition rule and default (spec §3, upstart-tests.md part B). */
class StanzaTest {

    @Test
    void defaults() {
        JobClass job = parseOk("");
        assertThat(job.task()).isFalse();
        assertThat(job.respawn()).isFalse();
        assertThat(job.respawnLimit()).isEqualTo(new RespawnLimit(10, 5));
        assertThat(job.normalExit()).isEmpty();
        assertThat(job.killSignal()).isEqualTo(Signals.TERM);
        assertThat(job.killTimeout()).isEqualTo(5);
        assertThat(job.reloadSignal()).isEqualTo(Signals.HUP);
        assertThat(job.expect()).isEqualTo(Expect.NONE);
        assertThat(job.console()).isEqualTo(Console.LOG);
        assertThat(job.umask()).isEqualTo(0022);
        assertThat(job.nice()).isEmpty();
        assertThat(job.oomScore()).isZero();
        assertThat(job.limits()).isEmpty();
        assertThat(job.instance()).isEmpty();
        assertThat(job.startOn()).isEmpty();
        assertThat(job.stopOn()).isEmpty();
        assertThat(job.processes()).isEmpty();
        assertThat(job.name()).isEqualTo("test");
    }

    static Stream<Arguments> singleArgStanzas() {
        return Stream.of(
                Arguments.of("description", (java.util.function.Function<JobClass, Optional<String>>) JobClass::description),
                Arguments.of("author", (java.util.function.Function<JobClass, Optional<String>>) JobClass::author),
                Arguments.of("version", (java.util.function.Function<JobClass, Optional<String>>) JobClass::version),
                Arguments.of("usage", (java.util.function.Function<JobClass, Optional<String>>) JobClass::usage),
                Arguments.of("chroot", (java.util.function.Function<JobClass, Optional<String>>) JobClass::chroot),
                Arguments.of("chdir", (java.util.function.Function<JobClass, Optional<String>>) JobClass::chdir),
                Arguments.of("setuid", (java.util.function.Function<JobClass, Optional<String>>) JobClass::setuid),
                Arguments.of("setgid", (java.util.function.Function<JobClass, Optional<String>>) JobClass::setgid),
                Arguments.of("instance", (java.util.function.Function<JobClass, Optional<String>>) j -> Optional.of(j.instance())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleArgStanzas")
    void singleArgumentStanzasStoreDequotedAndLastWins(String stanza, java.util.function.Function<JobClass, Optional<String>> get) {
        assertThat(get.apply(parseOk(stanza + " \"first value\"\n"))).hasValue("first value");
        assertThat(get.apply(parseOk(stanza + " one\n" + stanza + " two\n"))).hasValue("two");
        assertThat(ParseTestSupport.parseBad(stanza + "\n").code()).isEqualTo(ErrorCode.EXPECTED_TOKEN);
        assertThat(ParseTestSupport.parseBad(stanza + " a b\n").code()).isEqualTo(ErrorCode.UNEXPECTED_TOKEN);
    }

    @Test
    void instanceIsStoredUnexpanded() {
        assertThat(parseOk("instance $TTY\n").instance()).isEqualTo("$TTY");
    }

    @Test
    void emitsExportEnvAccumulate() {
        JobClass job = parseOk("emits a b\nemits c-*\nenv A=1\nenv B=\"x y\"\nenv A=2\nenv HOME\nexport A\nexport B C\n");
        assertThat(job.emits()).containsExactly("a", "b", "c-*");
        assertThat(job.env()).containsExactly("A=1", "B=x y", "A=2", "HOME");
        assertThat(job.export()).containsExactly("A", "B", "C");
    }

    @Test
    void processesExecAndScriptShareASlotLastWins() {
        JobClass job = parseOk("exec /bin/a\nscript\n  echo b\nend script\npre-start exec /bin/c\npre-start script\n"
                + "x\nend script\npost-start exec p\npre-stop exec q\npost-stop script\nend script\n");
        assertThat(job.process(ProcessKind.MAIN)).hasValue(new Command.Script("echo b\n"));
        assertThat(job.process(ProcessKind.PRE_START)).hasValue(new Command.Script("x\n"));
        assertThat(job.process(ProcessKind.POST_START)).hasValue(new Command.Exec("p"));
        assertThat(job.process(ProcessKind.PRE_STOP)).hasValue(new Command.Exec("q"));
        assertThat(job.process(ProcessKind.POST_STOP)).hasValue(new Command.Script(""));
        assertThat(parseOk("script\nend script\nexec /bin/x\n").process(ProcessKind.MAIN)).hasValue(new Command.Exec("/bin/x"));
    }

    @Test
    void manualClearsStartOnSeenSoFarOnly() {
        assertThat(parseOk("start on a\nmanual\n").startOn()).isEmpty();
        assertThat(parseOk("manual\nstart on a\n").startOn().map(Object::toString)).hasValue("a");
        assertThat(parseOk("manual\nstop on a\n").stopOn()).isPresent();
    }

    @Test
    void taskRespawnAndRespawnLimit() {
        assertThat(parseOk("task\ntask\n").task()).isTrue();
        JobClass job = parseOk("respawn limit 3 20\n");
        assertThat(job.respawn()).isFalse();
        assertThat(job.respawnLimit()).isEqualTo(new RespawnLimit(3, 20));
        assertThat(parseOk("respawn\nrespawn\n").respawn()).isTrue();
        assertThat(parseOk("respawn limit unlimited\n").respawnLimit()).isEqualTo(new RespawnLimit(0, 0));
        assertThat(parseOk("respawn limit 1 2\nrespawn limit 5 6\n").respawnLimit()).isEqualTo(new RespawnLimit(5, 6));
    }

    @Test
    void killTimeoutAndRespawnIntervalAreTimeTNotInt() {
        // Upstart stores both in a time_t: values above INT_MAX are kept, not clamped (spec §3.4).
        assertThat(parseOk("kill timeout 3000000000\n").killTimeout()).isEqualTo(3_000_000_000L);
        assertThat(parseOk("respawn limit 2 9223372036854775807\n").respawnLimit())
                .isEqualTo(new RespawnLimit(2, Long.MAX_VALUE));
    }

    @Test
    void normalExitStoresStatusesAndShiftedSignals() {
        JobClass job = parseOk("normal exit 99 100 SIGTERM\nnormal exit QUIT\nnormal exit 900\n");
        assertThat(job.normalExit()).containsExactly(99, 100, 15 << 8, 3 << 8, 900);
        assertThat(parseOk("normal exit 2147483647\n").normalExit()).containsExactly(Integer.MAX_VALUE);
    }

    @Test
    void killAndReload() {
        JobClass job = parseOk("kill timeout 10\nkill timeout 30\nkill signal INT\nreload signal USR2\n");
        assertThat(job.killTimeout()).isEqualTo(30);
        assertThat(job.killSignal()).isEqualTo(Signals.INT);
        assertThat(job.reloadSignal()).isEqualTo(12);
        assertThat(parseOk("kill signal 30\nreload signal 31\n")).satisfies(j -> {
            assertThat(j.killSignal()).isEqualTo(30);
            assertThat(j.reloadSignal()).isEqualTo(31);
        });
        assertThat(parseOk("kill signal SIGKILL\n").killSignal()).isEqualTo(Signals.KILL);
    }

    @Test
    void expectAndConsole() {
        assertThat(parseOk("expect stop\n").expect()).isEqualTo(Expect.STOP);
        assertThat(parseOk("expect daemon\n").expect()).isEqualTo(Expect.DAEMON);
        assertThat(parseOk("expect fork\nexpect none\n").expect()).isEqualTo(Expect.NONE);
        assertThat(parseOk("console none\n").console()).isEqualTo(Console.NONE);
        assertThat(parseOk("console output\n").console()).isEqualTo(Console.OUTPUT);
        assertThat(parseOk("console owner\nconsole log\n").console()).isEqualTo(Console.LOG);
    }

    @Test
    void initsDefaultsApplyToJobsWithoutTheStanzas() {
        assertThat(parsedWithDefaults("exec true\n", null).console()).isEqualTo(Console.NONE);
        assertThat(parsedWithDefaults("exec true\nconsole log\n", null).console()).isEqualTo(Console.LOG);
        assertThat(parsedWithDefaults("exec true\n", "console output\n").console()).isEqualTo(Console.OUTPUT);
        assertThat(parsedWithDefaults("exec true\n", null).umask()).isEqualTo(077);
        assertThat(parsedWithDefaults("exec true\numask 022\n", null).umask()).isEqualTo(022);
        assertThat(parsedWithDefaults("exec true\n", "umask 002\n").umask()).isEqualTo(002);
        JobClass standard = ((ParseResult.Parsed) JobParser.parse("j", "j.conf", "exec true\n", null, null)).job();
        assertThat(standard.console()).isEqualTo(Console.LOG);
        assertThat(standard.umask()).isEqualTo(022);
    }

    private static JobClass parsedWithDefaults(String conf, String override) {
        ParseResult result = JobParser.parse("j", "j.conf", conf, "j.override", override,
                new JobDefaults(Console.NONE, 077));
        return ((ParseResult.Parsed) result).job();
    }

    @Test
    void umaskNiceOom() {
        assertThat(parseOk("umask 0755\n").umask()).isEqualTo(0755);
        assertThat(parseOk("umask 027\n").umask()).isEqualTo(027);
        // A 32-bit mode_t keeps only the low bits of strtoul's result; "-37777777777" wraps to 1.
        assertThat(parseOk("umask 40000000027\n").umask()).isEqualTo(027);
        assertThat(parseOk("umask -37777777777\n").umask()).isEqualTo(01);
        assertThat(parseOk("nice 10\n").nice()).hasValue(10);
        assertThat(parseOk("nice -20\nnice -10\n").nice()).hasValue(-10);
        assertThat(parseOk("oom 10\n").oomScore()).isEqualTo(666);
        assertThat(parseOk("oom -10\n").oomScore()).isEqualTo(-588);
        assertThat(parseOk("oom -17\n").oomScore()).isEqualTo(-1000);
        assertThat(parseOk("oom never\n").oomScore()).isEqualTo(-1000);
        assertThat(parseOk("oom score never\n").oomScore()).isEqualTo(-1000);
        assertThat(parseOk("oom score -1000\n").oomScore()).isEqualTo(-1000);
        assertThat(parseOk("oom score 100\noom 15\n").oomScore()).isEqualTo(1000);
        assertThat(parseOk("oom 5\noom score -100\n").oomScore()).isEqualTo(-100);
    }

    @Test
    void everyLimitResource() {
        for (RlimitResource r : RlimitResource.values()) {
            JobClass job = parseOk("limit " + r.wireName() + " 1 unlimited\n");
            assertThat(job.limits()).containsEntry(r, new Limit(1, Limit.UNLIMITED));
        }
        JobClass job = parseOk("limit nofile 1 2\nlimit core 3 4\nlimit nofile 5 6\n");
        assertThat(job.limits()).containsExactly(
                java.util.Map.entry(RlimitResource.CORE, new Limit(3, 4)),
                java.util.Map.entry(RlimitResource.NOFILE, new Limit(5, 6)));
    }

    @Test
    void apparmorAndDebug() {
        JobClass job = parseOk("apparmor load /etc/apparmor.d/x\napparmor load /y\napparmor switch prof\ndebug\n");
        assertThat(job.apparmorLoad()).hasValue("/y");
        assertThat(job.apparmorSwitch()).hasValue("prof");
        assertThat(job.debug()).isTrue();
    }

    @Test
    void cgroupArityDecidesMeaningAndSettingsAccumulate() {
        JobClass job = parseOk("cgroup cpu\ncgroup memory \"$UPSTART_CGROUP\"\ncgroup memory limit 10\n"
                + "cgroup memory grp limit 20\ncgroup memory limit 30\ncgroup cpu\n");
        assertThat(job.cgroups()).containsExactly(
                new CgroupSetting("cpu", Optional.empty(), Optional.empty(), Optional.empty()),
                new CgroupSetting("memory", Optional.of("$UPSTART_CGROUP"), Optional.empty(), Optional.empty()),
                new CgroupSetting("memory", Optional.empty(), Optional.of("limit"), Optional.of("30")),
                new CgroupSetting("memory", Optional.of("grp"), Optional.of("limit"), Optional.of("20")));
    }

    @Test
    void nodesStanzaIsAListLikeEmits() {
        assertThat(parseOk("nodes db-* role=web\nnodes *\n").nodes()).containsExactly("db-*", "role=web", "*");
    }

    @Test
    void overrideReplacesScalarsAndAccumulatesLists() {
        ParseResult r = JobParser.parse("svc", "svc.conf",
                "author a\nstart on foo\nenv A=1\nexec /bin/a\n", "svc.override",
                "author b\nmanual\nenv A=2\nexec /bin/b\ndescription new\n");
        JobClass job = ((ParseResult.Parsed) r).job();
        assertThat(job.author()).hasValue("b");
        assertThat(job.startOn()).isEmpty();
        assertThat(job.env()).containsExactly("A=1", "A=2");
        assertThat(job.process(ProcessKind.MAIN)).hasValue(new Command.Exec("/bin/b"));
        assertThat(job.description()).hasValue("new");
    }

    /** Spec §1.3: an override's error is reported with its own path, and the stanzas before it stay applied. */
    @Test
    void overrideErrorKeepsTheClassWithTheStanzasBeforeIt() {
        ParseResult r = JobParser.parse("svc", "svc.conf", "start on go\nexec /bin/a\n", "svc.override",
                "manual\nenv A=1\nbogus\nexec /bin/b\n");
        assertThat(r).isInstanceOf(ParseResult.Parsed.class);
        ParseResult.Parsed parsed = (ParseResult.Parsed) r;
        assertThat(parsed.overrideProblem()).hasValue(new ConfProblem("svc.override", 3, 6, ErrorCode.UNKNOWN_STANZA));
        assertThat(parsed.job().startOn()).isEmpty();
        assertThat(parsed.job().env()).containsExactly("A=1");
        assertThat(parsed.job().process(ProcessKind.MAIN)).hasValue(new Command.Exec("/bin/a"));
        ParseResult badConf = JobParser.parse("svc", "svc.conf", "bogus\n", "svc.override", "exec /bin/b\n");
        assertThat(badConf).isEqualTo(new ParseResult.Failed(new ConfProblem("svc.conf", 1, 6, ErrorCode.UNKNOWN_STANZA)));
    }

    @Test
    void parseFileDerivesNameAndHandlesBadInput(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path sub = java.nio.file.Files.createDirectories(dir.resolve("net"));
        java.nio.file.Path conf = sub.resolve("apache.conf");
        java.nio.file.Files.write(conf, new byte[] {'d', 'e', 's', 'c', 'r', 'i', 'p', 't', 'i', 'o', 'n', ' ', (byte) 0xff, '\n'});
        ParseResult r = JobParser.parseFile(dir, conf);
        assertThat(r).isInstanceOf(ParseResult.Parsed.class);
        assertThat(((ParseResult.Parsed) r).job().name()).isEqualTo("net/apache");
        assertThat(((ParseResult.Parsed) r).job().description()).hasValue("\uFFFD");

        ParseResult missing = JobParser.parseFile(dir, dir.resolve("nope.conf"));
        assertThat(((ParseResult.Failed) missing).problem().code()).isEqualTo(ErrorCode.UNREADABLE);
        ParseResult directory = JobParser.parseFile(dir, sub);
        assertThat(((ParseResult.Failed) directory).problem().code()).isEqualTo(ErrorCode.UNREADABLE);
    }

    @Test
    void parseFilesAppliesOverride(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path conf = java.nio.file.Files.writeString(dir.resolve("svc.conf"), "start on foo\nexec /bin/a\n");
        java.nio.file.Path override = dir.resolve("svc.override");
        assertThat(JobParser.parseFiles(dir, conf, override)).isEqualTo(JobParser.parseFile(dir, conf));
        java.nio.file.Files.writeString(override, "manual\n");
        JobClass job = ((ParseResult.Parsed) JobParser.parseFiles(dir, conf, override)).job();
        assertThat(job.startOn()).isEmpty();
        assertThat(job.name()).isEqualTo("svc");
        // An override that cannot be read leaves the conf's class and is reported (§1.3).
        java.nio.file.Path unreadable = java.nio.file.Files.createDirectory(dir.resolve("dir.override"));
        ParseResult.Parsed kept = (ParseResult.Parsed) JobParser.parseFiles("svc", conf, java.util.Optional.of(unreadable));
        assertThat(kept.job().startOn()).isPresent();
        assertThat(kept.overrideProblem()).hasValueSatisfying(p -> {
            assertThat(p.code()).isEqualTo(ErrorCode.UNREADABLE);
            assertThat(p.file()).isEqualTo(unreadable.toString());
        });
    }

    @Test
    void startOnRendersCanonically() {
        assertThat(parseOk("start on a or b and c\n").startOn().orElseThrow()).hasToString("((a or b) and c)");
        assertThat(parseOk("start on x and y or z\n").startOn().orElseThrow()).hasToString("((x and y) or z)");
        assertThat(parseOk("start on a or (b or c)\n").startOn().orElseThrow()).hasToString("(a or (b or c))");
        assertThat(parseOk("start on (starting mountall or (runlevel [016] and (stopped gdm or stopped kdm or "
                + "stopped xdm A=B or stopping lxdm)))\n").startOn().orElseThrow())
                .hasToString("(starting mountall or (runlevel [016] and (((stopped gdm or stopped kdm) or stopped xdm A=B)"
                        + " or stopping lxdm)))");
        assertThat(parseOk("start on wibble foo bar b?z* \"FRODO=foo bar\" BILBO=x\n").startOn().orElseThrow())
                .hasToString("wibble foo bar b?z* FRODO=foo bar BILBO=x");
        assertThat(parseOk("start on \"and\" or 'or'\n").startOn().orElseThrow()).hasToString("(and or or)");
        assertThat(parseOk("start on (a\n  # comment-less continuation\n".replace("  # comment-less continuation\n", "")
                + "   or b) # c\n").startOn().orElseThrow()).hasToString("(a or b)");
        assertThat(parseOk("start on a\nstart on b\n").startOn().orElseThrow()).hasToString("b");
        assertThat(parseOk("start on a \\\n or b\n").startOn().orElseThrow()).hasToString("(a or b)");
        assertThat(parseOk("start on (a)or(b)\n").startOn().orElseThrow()).hasToString("(a or b)");
    }

    @Test
    void deepParenthesesDoNotOverflow() {
        int depth = 100_000;
        String text = "start on " + "(".repeat(depth) + "a" + ")".repeat(depth) + "\n";
        assertThat(parseOk(text).startOn().orElseThrow()).hasToString("a");
        String nested = "start on " + "a or (".repeat(depth) + "b" + ")".repeat(depth) + "\n";
        String rendered = parseOk(nested).startOn().orElseThrow().toString();
        assertThat(rendered.startsWith("(a or (a or") && rendered.endsWith("(a or b)" + ")".repeat(depth - 1)))
                .as("deeply nested rendering").isTrue();
        assertThat(ParseTestSupport.parseBad("start on " + "(".repeat(depth) + "a\n").code())
                .isEqualTo(ErrorCode.MISMATCHED_PARENS);
    }

    @Test
    void longFlatExpressionAndHugeLine() {
        String text = "start on a" + " or a".repeat(50_000) + "\n";
        assertThat(parseOk(text).startOn().orElseThrow().leaves()).hasSize(50_001);
        String big = "exec /bin/echo " + "x".repeat(2_000_000) + "\n";
        assertThat(parseOk(big).process(ProcessKind.MAIN).orElseThrow().text()).hasSize(2_000_000 + 10);
        assertThat(parseOk("start on e" + " a".repeat(100_000) + "\n").startOn()).isPresent();
    }

    @Test
    void numbersFollowCStrtol() {
        assertThat(parseOk("nice +5\n").nice()).hasValue(5);
        assertThat(parseOk("umask -0\n").umask()).isZero();
        assertThat(parseOk("limit nofile -1 18446744073709551615\n").limits().get(RlimitResource.NOFILE))
                .isEqualTo(new Limit(Limit.UNLIMITED, Limit.UNLIMITED));
        assertThat(parseOk("normal exit \" 7\"\n").normalExit()).isEqualTo(List.of(7));
    }
}
