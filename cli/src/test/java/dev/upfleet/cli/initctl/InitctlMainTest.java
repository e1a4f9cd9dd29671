package dev.upfleet.cli.initctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.control.ControlServer;
import dev.upfleet.agent.control.FakeControlServerMain;
import dev.upfleet.agent.control.FakeJobControl;
import dev.upfleet.agent.control.JobControl.ClassInfo;
import dev.upfleet.agent.control.JobControl.Leaf;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** initctl end to end: argv → exact stdout, stderr and exit code, against a real ControlServer and a fake engine. */
class InitctlMainTest {
    /** What the cluster verbs say on an agent started without --controller (it serves no Cluster service). */
    private static final String STANDALONE = "this agent is not part of a cluster (it runs without --controller)";

    private static final String TRY = "Try `initctl --help' for more information.\n";

    @TempDir
    Path dir;

    FakeJobControl fake;
    ControlServer server;

    record Result(int rc, String out, String err) {}

    @BeforeEach
    void setUp() throws Exception {
        fake = FakeControlServerMain.sampleJobs()
                .job(new ClassInfo("cc", List.of(), Optional.of("(wibble or (startup and stopped nojob))"),
                        Optional.of("peach"),
                        List.of(new Leaf("wibble", List.of()), new Leaf("startup", List.of()),
                                new Leaf("stopped", List.of("nojob"))),
                        List.of(new Leaf("peach", List.of())), ""), null)
                .job(new ClassInfo("dep", List.of("net-*"), Optional.of("(stopped xdm A=B and net-up)"),
                        Optional.empty(), List.of(new Leaf("stopped", List.of("xdm", "A=B")), new Leaf("net-up", List.of())),
                        List.of(), ""), null);
        server = new ControlServer(dir.resolve("agent.sock"), fake);
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    Result run(Map<String, String> env, String prog, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        Map<String, String> e = new HashMap<>(env);
        e.put("UPFLEET_SOCKET", server.socket().toString());
        int rc = InitctlMain.run(prog, args, e, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Result initctl(String... args) {
        return run(Map.of(), "initctl", args);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // job commands
                Arguments.of("status svc", 0, "svc start/running, process 4242\n", ""),
                Arguments.of("status idle", 0, "idle stop/waiting\n", ""),
                Arguments.of("status web PORT=80", 0, "web (80) start/running, process 4243\n", ""),
                Arguments.of("status web PORT=81", 1, "", "initctl: Unknown instance: 81\n"),
                Arguments.of("status web", 1, "", "initctl: Unknown parameter: PORT\n"),
                Arguments.of("status nosuch", 1, "", "initctl: Unknown job: nosuch\n"),
                Arguments.of("start idle", 0, "idle start/running, process 1000\n", ""),
                Arguments.of("start -n idle", 0, "idle start/starting\n", ""),
                Arguments.of("start idle --no-wait", 0, "idle start/starting\n", ""),
                Arguments.of("-q start idle", 0, "", ""),
                Arguments.of("start svc", 1, "", "initctl: Job is already running: svc\n"),
                Arguments.of("start web PORT=80", 1, "", "initctl: Job is already running: web (80)\n"),
                Arguments.of("start svc FOO", 1, "", "initctl: Env must be KEY=VALUE pairs\n"),
                Arguments.of("stop svc", 0, "svc stop/waiting\n", ""),
                Arguments.of("stop web PORT=80", 0, "web stop/waiting\n", ""),
                Arguments.of("stop idle", 1, "", "initctl: Unknown instance: \n"),
                Arguments.of("restart svc", 0, "svc start/running, process 1000\n", ""),
                Arguments.of("reload svc", 0, "", ""),
                Arguments.of("reload idle", 1, "", "initctl: Unknown instance: \n"),
                Arguments.of("list", 0, "svc start/running, process 4242\nweb (80) start/running, process 4243\n"
                        + "idle stop/waiting\ncc stop/waiting\ndep stop/waiting\n", ""),
                Arguments.of("usage svc", 0, "Usage: svc [OPTS]\n", ""),
                Arguments.of("usage idle", 0, "Usage: \n", ""),
                Arguments.of("usage nosuch", 1, "", "initctl: Unknown job: nosuch\n"),
                // usage errors
                Arguments.of("", 1, "", "initctl: missing command\n" + TRY),
                Arguments.of("frob", 1, "", "initctl: invalid command: frob\n" + TRY),
                Arguments.of("start", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("stop", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("restart", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("reload", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("status", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("usage", 1, "", "initctl: missing job name\n" + TRY),
                Arguments.of("emit", 1, "", "initctl: missing event name\n" + TRY),
                Arguments.of("get-env", 1, "", "initctl: missing variable name\n" + TRY),
                Arguments.of("unset-env", 1, "", "initctl: missing variable name\n" + TRY),
                Arguments.of("set-env", 1, "", "initctl: missing variable value\n" + TRY),
                Arguments.of("unset-env -r X", 1, "", "initctl: invalid option: -r\n" + TRY),
                Arguments.of("reset-env --retain", 1, "", "initctl: invalid option: --retain\n" + TRY),
                Arguments.of("status -n svc", 1, "", "initctl: invalid option: -n\n" + TRY),
                Arguments.of("-n start svc", 1, "", "initctl: invalid option: -n\n" + TRY),
                Arguments.of("--bogus list", 1, "", "initctl: invalid option: --bogus\n" + TRY),
                Arguments.of("list --bogus=1", 1, "", "initctl: invalid option: --bogus=1\n" + TRY),
                Arguments.of("check-config -wi", 1, "", "initctl: missing argument: -wi\n" + TRY),
                Arguments.of("list --quiet=yes", 1, "", "initctl: unexpected argument: --quiet=yes\n" + TRY),
                Arguments.of("list --socket", 1, "", "initctl: missing argument: --socket\n" + TRY),
                Arguments.of("--dest=com.ubuntu.Upstart list", 1, "", "initctl: --dest given without --system\n" + TRY),
                Arguments.of("--user list", 0, "svc start/running, process 4242\nweb (80) start/running, process 4243\n"
                        + "idle stop/waiting\ncc stop/waiting\ndep stop/waiting\n", ""),
                Arguments.of("--system list", 0, "svc start/running, process 4242\nweb (80) start/running, process 4243\n"
                        + "idle stop/waiting\ncc stop/waiting\ndep stop/waiting\n", ""),
                // events
                Arguments.of("emit foo A=B", 0, "", ""),
                Arguments.of("emit -n foo", 0, "", ""),
                Arguments.of("emit fail", 1, "", "initctl: Event failed\n"),
                Arguments.of("emit foo A", 1, "", "initctl: Env must be KEY=VALUE pairs\n"),
                Arguments.of("emit ''", 1, "", "initctl: Name may not be empty string\n"),
                // other commands
                Arguments.of("version", 0, "init (upstart 1.13.2)\n", ""),
                Arguments.of("-v version", 0, "init (upstart 1.13.2)\n", ""),
                Arguments.of("reload-configuration", 0, "", ""),
                Arguments.of("notify-disk-writeable", 0, "", ""),
                // spec §8.7: commands of 1.13's initctl; upfleet has no D-Bus bus and no cgroup manager to use them
                Arguments.of("notify-dbus-address unix:abstract=/com/example/bus", 0, "", ""),
                Arguments.of("notify-dbus-address", 1, "", "initctl: missing D-Bus address\n" + TRY),
                Arguments.of("notify-cgroup-manager-address unix:path=/sys/fs/cgroup/cgmanager/sock", 0, "", ""),
                Arguments.of("notify-cgroup-manager-address", 1, "", "initctl: missing cgroup manager address\n" + TRY),
                Arguments.of("log-priority", 0, "message\n", ""),
                Arguments.of("log-priority info", 0, "", ""),
                Arguments.of("log-priority loud", 1, "", "initctl: The log priority given was not recognised\n"),
                Arguments.of("list-env", 0, "", ""),
                Arguments.of("get-env NOPE", 1, "", "initctl: No such variable: NOPE\n"),
                Arguments.of("set-env -g A=1", 0, "", ""),
                Arguments.of("set-env =1", 1, "", "initctl: Variable may not be empty string\n"),
                Arguments.of("unset-env NOPE", 1, "", "initctl: No such variable: NOPE\n"),
                Arguments.of("reset-env -g", 0, "", ""),
                Arguments.of("monitor --cluster", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("nodes", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("jobs", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("emit --cluster deploy VERSION=1", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("emit --nodes role=web deploy", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("withdraw cache", 1, "", "initctl: " + STANDALONE + "\n"),
                Arguments.of("submit /nonexistent/x.conf", 1, "", "initctl: /nonexistent/x.conf: No such file or directory\n"),
                Arguments.of("submit notajob.txt", 1, "", "initctl: notajob.txt: a job file must end in .conf\n"),
                Arguments.of("show-config svc", 0,
                        "svc\n  emits svc-ready\n  start on (startup or net-up)\n  stop on runlevel [016]\n", ""),
                Arguments.of("show-config -e svc", 0, "svc\n  emits svc-ready\n  start on startup (job:, env:)\n"
                        + "  start on net-up (job:, env:)\n  stop on runlevel (job:, env: [016])\n", ""),
                Arguments.of("show-config idle", 0, "idle\n", ""),
                Arguments.of("show-config nosuch", 1, "", "initctl: Unknown job: nosuch\n"),
                Arguments.of("check-config idle", 0, "", ""),
                Arguments.of("check-config nosuch", 1, "", "initctl: Invalid job class: nosuch\n"),
                Arguments.of("check-config cc", 1, "", ""),
                Arguments.of("check-config --ignore-events=runlevel,net-up svc", 0, "", ""),
                Arguments.of("check-config -i runlevel svc", 0, "", ""),
                // net-up is known through dep's "emits net-*" glob, so even --warn finds nothing
                Arguments.of("check-config -w -i runlevel svc", 0, "", ""));
    }

    @ParameterizedTest(name = "initctl {0}")
    @MethodSource("cases")
    void table(String argv, int rc, String out, String err) {
        String[] args = argv.isEmpty() ? new String[0]
                : Stream.of(argv.split(" ")).map(a -> a.equals("''") ? "" : a).toArray(String[]::new);
        Result r = initctl(args);
        if (argv.equals("check-config cc")) {
            // leaf order inside a job follows Upstart's tree walk; compare as a set
            assertThat(r.out().lines()).containsExactlyInAnyOrder("cc", "  start on: unknown event wibble",
                    "  start on: unknown job nojob", "  stop on: unknown event peach");
            assertThat(r.out()).startsWith("cc\n");
        } else {
            assertThat(r.out()).as("stdout").isEqualTo(out);
        }
        assertThat(r.err()).as("stderr").isEqualTo(err);
        assertThat(r.rc()).as("exit code").isEqualTo(rc);
    }

    @Test
    void emitsGlobsMakeEventsKnownAndJobsAreChecked() {
        Result r = initctl("check-config", "dep");
        assertThat(r.out()).isEqualTo("dep\n  start on: unknown job xdm\n");
        assertThat(initctl("show-config", "-e", "dep").out())
                .isEqualTo("dep\n  emits net-*\n  start on stopped (job: xdm, env: A=B)\n  start on net-up (job:, env:)\n");
        // "or" is satisfied by one known side, unless --warn
        assertThat(initctl("check-config", "-i", "net-up", "wibble").rc()).isEqualTo(1);
        assertThat(initctl("check-config", "-i", "wibble,peach", "cc").out()).isEqualTo("cc\n  start on: unknown job nojob\n");
        assertThat(initctl("check-config", "-w", "-i", "peach", "cc").out())
                .isEqualTo("cc\n  start on: unknown job nojob\n  start on: unknown event wibble\n");
    }

    @Test
    void linkNamesAreTheProgramName() {
        assertThat(run(Map.of(), "start", "nosuch")).isEqualTo(new Result(1, "", "start: Unknown job: nosuch\n"));
        assertThat(run(Map.of(), "status", "svc").out()).isEqualTo("svc start/running, process 4242\n");
        assertThat(run(Map.of(), "stop")).isEqualTo(
                new Result(1, "", "stop: missing job name\nTry `stop --help' for more information.\n"));
        assertThat(run(Map.of(), "restart", "-n", "svc").rc()).isZero();
    }

    @Test
    void insideAJobCommandsActOnTheCallerAndNeverWait() {
        Map<String, String> job = Map.of("UPSTART_JOB", "web", "UPSTART_INSTANCE", "80");
        assertThat(run(job, "initctl", "status").out()).isEqualTo("web (80) start/running, process 4243\n");
        assertThat(run(job, "initctl", "stop").out()).isEqualTo("web (80) stop/stopping, process 4243\n");
        assertThat(run(job, "initctl", "set-env", "X=1").rc()).isZero();
        assertThat(run(job, "initctl", "list-env").out()).isEqualTo("X=1\n");
        assertThat(run(job, "initctl", "get-env", "-g", "X").err()).isEqualTo("initctl: No such variable: X\n");
        assertThat(fake.calls()).contains("status web(80)", "stop web(80)", "set-env web(80) X=1");
        // only UPSTART_JOB set: not inside a job
        assertThat(run(Map.of("UPSTART_JOB", "web"), "initctl", "status").err()).startsWith("initctl: missing job name");
    }

    @Test
    void envCommandsGlobalTable() {
        initctl("set-env", "B=2", "A");
        initctl("set-env", "--retain", "B=3");
        assertThat(initctl("list-env").out()).isEqualTo("A=\nB=2\n");
        assertThat(initctl("get-env", "B").out()).isEqualTo("2\n");
        assertThat(initctl("unset-env", "A").rc()).isZero();
        assertThat(initctl("reset-env").rc()).isZero();
        assertThat(initctl("list-env", "-g").out()).isEmpty();
        assertThat(fake.calls()).contains("set-env global B=2 A", "set-env global B=3 retain", "reset-env global");
    }

    @Test
    void helpAndVersion() {
        Result help = initctl("--help");
        assertThat(help.rc()).isZero();
        assertThat(help.out()).startsWith("Usage: initctl [OPTION]... COMMAND [OPTION]... [ARG]...\n\nOptions:\n");
        assertThat(help.out()).endsWith("For a list of commands, try `initctl help'.\n\nReport bugs to <upstart-devel@lists.ubuntu.com>\n");
        assertThat(initctl("--version").out()).startsWith("initctl (upstart 1.13.2)\n");
        assertThat(initctl("help").out()).contains("  start                       Start job.\n");
        assertThat(initctl("help").out()).contains("  notify-dbus-address         Inform Upstart of D-Bus address to connect to\n");
    }

    @Test
    void commandHelpNamesTheCommandItsArgumentsAndOptions() {
        Result start = initctl("start", "--help");
        assertThat(start.rc()).isZero();
        assertThat(start.out()).startsWith("Usage: initctl start [OPTION]... JOB [KEY=VALUE]...\nStart job.\n\nOptions:\n"
                + "  -n, --no-wait               do not wait for job to start before exiting\n");
        assertThat(start.out()).endsWith("Report bugs to <upstart-devel@lists.ubuntu.com>\n");
        assertThat(initctl("list", "--help").out()).startsWith("Usage: initctl list [OPTION]...\nList known jobs.\n");
        assertThat(initctl("check-config", "--help").out())
                .contains("  -i, --ignore-events=EVENT_LIST\n                              ignore specified list");
        // run as the start link, the program name is the command
        var out = new ByteArrayOutputStream();
        int rc = InitctlMain.run("start", new String[] {"--help"}, Map.of(), new PrintStream(out, true),
                new PrintStream(new ByteArrayOutputStream()));
        assertThat(rc).isZero();
        assertThat(out.toString()).startsWith("Usage: start [OPTION]... JOB [KEY=VALUE]...\nStart job.\n");
    }

    @Test
    void userModeNeedsSomethingThatLocatesTheAgent() {
        var err = new ByteArrayOutputStream();
        int rc = InitctlMain.run(new String[] {"--user", "list"}, Map.of(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true));
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString())
                .isEqualTo("initctl: UPSTART_SESSION isn't set in the environment. Unable to locate the Upstart instance.\n");
    }

    @Test
    void unreachableAgent() {
        var err = new ByteArrayOutputStream();
        int rc = InitctlMain.run(new String[] {"--socket", dir.resolve("none.sock").toString(), "status", "svc"},
                Map.of(), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("initctl: Unable to connect to the agent at " + dir.resolve("none.sock")
                + ": No such file or directory\n");
    }

    @Test
    void refusedConnection() throws Exception {
        Path dead = dir.resolve("dead.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(dead));
        }
        var err = new ByteArrayOutputStream();
        int rc = InitctlMain.run(new String[] {"--socket", dead.toString(), "list"}, Map.of(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("initctl: Unable to connect to the agent at " + dead
                + ": Connection refused\n");
    }

    @Test
    void monitorPrintsOneLinePerEvent() throws Exception {
        var out = new ByteArrayOutputStream();
        var rc = CompletableFuture.supplyAsync(() -> InitctlMain.run(new String[] {"monitor"},
                Map.of("UPFLEET_SOCKET", server.socket().toString()), new PrintStream(out, true),
                new PrintStream(new ByteArrayOutputStream())));
        for (int i = 0; i < 500 && fake.monitorCount() == 0; i++) {
            Thread.sleep(10);
        }
        fake.publish("starting", List.of("JOB=svc", "INSTANCE="));
        fake.publish("bare", List.of());
        for (int i = 0; i < 500 && out.toString().lines().count() < 2; i++) {
            Thread.sleep(10);
        }
        server.close(); // ends the stream with a status
        assertThat(rc.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(out.toString()).isEqualTo("starting JOB=svc INSTANCE=\nbare\n");
        server = new ControlServer(dir.resolve("again.sock"), fake);
    }
}
