package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.ProcessKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher against real processes: spawning, exit reporting, sessions, group kill, console log. */
class PosixProcessLauncherTest {
    static final int SIGTERM = 15;
    static final int SIGKILL = 9;

    @TempDir
    Path dir;

    Path logDir;
    RecordingObserver observer;
    PosixProcessLauncher launcher;
    final List<Long> spawned = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        logDir = dir.resolve("log");
        observer = new RecordingObserver();
        launcher = new PosixProcessLauncher(logDir, observer);
    }

    @AfterEach
    void stop() {
        for (long pid : spawned) {
            launcher.signal(pid, SIGKILL, true);
        }
        for (long pid : spawned) {
            await(() -> !Libc.exists(-pid), "group " + pid + " gone");
        }
        Zombies.assertNoneUnder(Libc.getpid());
        launcher.close();
    }

    long spawn(SpawnRequest request) throws SpawnException {
        long pid = launcher.spawn(request);
        spawned.add(pid);
        return pid;
    }

    String slurp(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** The file's text, or "" while it does not exist yet (log files are created on first output). */
    static String slurpOrEmpty(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void directExecFindsTheProgramOnTheJobsPathAndPassesOnlyTheJobsEnvironment() throws Exception {
        Path out = dir.resolve("env.out");
        long pid = spawn(TestJob.named("envjob").console(Console.NONE).env("FOO=bar baz").exec("env"));
        // console none: nothing to check in a log; run env again through the shell to capture it
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));

        long pid2 = spawn(TestJob.named("envjob").console(Console.NONE).env("FOO=bar baz").exec("env > " + out));
        assertThat(observer.awaitExit(pid2)).isEqualTo(ExitStatus.exited(0));
        List<String> env = Files.readAllLines(out);
        assertThat(env).contains("FOO=bar baz", "UPSTART_JOB=envjob", "UPSTART_INSTANCE=");
        String leaked = System.getenv().keySet().stream()
                .filter(k -> !List.of("PATH", "TERM", "PWD", "SHLVL", "_").contains(k)).findFirst().orElse("NO_SUCH");
        assertThat(env).noneMatch(l -> l.startsWith(leaked + "="));
    }

    @Test
    void execWithShellCharactersRunsThroughShellWhichExecsTheProgram() throws Exception {
        long pid = spawn(TestJob.named("shexec").console(Console.NONE).exec("sleep 300 $NOTHING"));
        await(() -> comm(pid).equals("sleep"), "shell to exec sleep");
        launcher.signal(pid, SIGTERM, false);
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        observer.assertExitedOnce(pid);
    }

    @Test
    void scriptRunsWithDashEAndExitStatusIsReported() throws Exception {
        Path marker = dir.resolve("reached");
        long pid = spawn(TestJob.named("scr").console(Console.NONE).script("false\ntouch " + marker + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(1));
        assertThat(marker).doesNotExist();

        long pid3 = spawn(TestJob.named("scr").console(Console.NONE).script("exit 3\n"));
        assertThat(observer.awaitExit(pid3)).isEqualTo(ExitStatus.exited(3));
    }

    /** Spec §7: Upstart pipes a script with more than one line to {@code /bin/sh -e /proc/self/fd/9}. */
    @Test
    void aLongScriptIsReadThroughDescriptorNineAShortOneFromTheCommandLine() throws Exception {
        Path out = dir.resolve("zero");
        long pid = spawn(TestJob.named("long").console(Console.NONE)
                .script("echo \"$0\" > " + out + "\necho two >> " + out + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(out).hasContent("/proc/self/fd/9\ntwo\n");

        // the trailing newlines of a one-line script are stripped from the shell's command line
        long one = spawn(TestJob.named("short").console(Console.NONE).script("sleep 300; true\n\n"));
        // the child may not have exec'd the shell yet when spawn returns (its cmdline is empty until then)
        await(() -> slurpOrEmpty(Path.of("/proc/" + one + "/cmdline")).startsWith("/bin/sh"), "shell exec'd");
        assertThat(Files.readString(Path.of("/proc/" + one + "/cmdline")))
                .isEqualTo("/bin/sh\0-e\0-c\0sleep 300; true\0/bin/sh\0");

        // more than a pipe holds at once: fed while the shell reads
        Path done = dir.resolve("done");
        long big = spawn(TestJob.named("big").console(Console.NONE)
                .script(": padding line\n".repeat(10_000) + "echo end > " + done + "\n"));
        assertThat(observer.awaitExit(big)).isEqualTo(ExitStatus.exited(0));
        assertThat(done).hasContent("end\n");
    }

    /** The shell's own message reaches the log, naming the script and line as on Upstart. */
    @Test
    void aCommandTheShellCannotFindIsLoggedWithTheShellsMessage() throws Exception {
        long one = spawn(TestJob.named("oneline").script("no-such-command-upfleet\n"));
        long two = spawn(TestJob.named("twolines").script("true\nno-such-command-upfleet\n"));
        assertThat(observer.awaitExit(one)).isEqualTo(ExitStatus.exited(127));
        assertThat(observer.awaitExit(two)).isEqualTo(ExitStatus.exited(127));
        await(() -> slurpOrEmpty(logDir.resolve("oneline.log"))
                .equals("/bin/sh: 1: no-such-command-upfleet: not found\r\n"), "one-line script's error logged");
        await(() -> slurpOrEmpty(logDir.resolve("twolines.log"))
                .equals("/proc/self/fd/9: 2: no-such-command-upfleet: not found\r\n"), "script's error logged");
    }

    /** Spec §7: console none is /dev/null on 0, 1 and 2; console log keeps /dev/null on 0 and a pty on 1 and 2. */
    @Test
    void standardDescriptorsFollowTheConsole() throws Exception {
        Path none = dir.resolve("none");
        Path log = dir.resolve("log");
        // the links are read before the shell redirects its own output to the file
        String probe = "echo $(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2) > %s\n";
        long a = spawn(TestJob.named("fdnone").console(Console.NONE).script(probe.formatted(none)));
        long b = spawn(TestJob.named("fdlog").script(probe.formatted(log)));
        assertThat(observer.awaitExit(a)).isEqualTo(ExitStatus.exited(0));
        assertThat(observer.awaitExit(b)).isEqualTo(ExitStatus.exited(0));
        assertThat(Files.readString(none)).isEqualTo("/dev/null /dev/null /dev/null\n");
        List<String> logged = List.of(Files.readString(log).trim().split(" "));
        assertThat(logged.getFirst()).isEqualTo("/dev/null");
        assertThat(logged.get(1)).startsWith("/dev/pts/").isEqualTo(logged.get(2));
    }

    @Test
    void noLogFileForSilentScriptsNorForConsoleNone() throws Exception {
        long one = spawn(TestJob.named("silent1").script("true\n"));
        long many = spawn(TestJob.named("silent2").script("true\ntrue\n"));
        long none = spawn(TestJob.named("unlogged").console(Console.NONE).script("echo hello\necho world >&2\n"));
        for (long pid : List.of(one, many, none)) {
            assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        }
        await(() -> launcher.openLogStreams() == 0, "log streams closed");
        assertThat(logDir.resolve("silent1.log")).doesNotExist();
        assertThat(logDir.resolve("silent2.log")).doesNotExist();
        assertThat(logDir.resolve("unlogged.log")).doesNotExist();
    }

    @Test
    void outputWrittenBeforeAKillIsKept() throws Exception {
        Path wrote = dir.resolve("wrote");
        long pid = spawn(TestJob.named("victim").script("echo before\necho err >&2\ntouch " + wrote + "\nsleep 300\n"));
        await(() -> Files.exists(wrote), "output written");
        launcher.signal(pid, SIGKILL, true);
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.killedBy(SIGKILL));
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        assertThat(logDir.resolve("victim.log")).hasContent("before\r\nerr\r\n");
    }

    @Test
    void aFastWriterIsLoggedCompletely() throws Exception {
        long pid = spawn(TestJob.named("flood").exec("seq 1 200000"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 200_000; i++) {
            expected.append(i).append("\r\n");
        }
        assertThat(slurp(logDir.resolve("flood.log"))).isEqualTo(expected.toString());
    }

    /** Upstart: every process of a job (main, hooks) appends to the job's one log file. */
    @Test
    void theProcessesOfOneJobShareItsLog() throws Exception {
        Path log = logDir.resolve("shared.log");
        long main = spawn(TestJob.named("shared").script("echo main\nsleep 300\n"));
        await(() -> slurpOrEmpty(log).equals("main\r\n"), "main's line");
        long post = spawn(TestJob.named("shared").kind(ProcessKind.POST_START).script("echo post-start\n"));
        assertThat(observer.awaitExit(post)).isEqualTo(ExitStatus.exited(0));
        await(() -> slurpOrEmpty(log).equals("main\r\npost-start\r\n"), "post-start's line appended");
        launcher.signal(main, SIGKILL, true);
        observer.awaitExit(main);
    }

    @Test
    void spawnFailureOfAMissingBinaryIsASpawnException() {
        assertThatThrownBy(() -> launcher.spawn(TestJob.named("missing").exec("/nonexistent/daemon --flag")))
                .isInstanceOf(SpawnException.class)
                .hasMessage("unable to execute: No such file or directory");
        assertThatThrownBy(() -> launcher.spawn(TestJob.named("missing").exec("no-such-program-upfleet")))
                .isInstanceOf(SpawnException.class)
                .hasMessage("unable to execute: No such file or directory");
        assertThat(launcher.openLogStreams()).isZero();
    }

    @Test
    void everyProcessLeadsItsOwnSessionAndGroup() throws Exception {
        long pid = spawn(TestJob.named("sess").console(Console.NONE).exec("sleep 300"));
        ProcStat stat = ProcStat.read(pid).orElseThrow();
        assertThat(stat.pgrp()).isEqualTo(pid);
        assertThat(stat.session()).isEqualTo(pid);
        assertThat(stat.ppid()).isEqualTo(Libc.getpid());
        // default dispositions and empty mask, whatever the JVM had
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertThat(status).contains("SigBlk:\t0000000000000000").contains("SigIgn:\t0000000000000000");
    }

    @Test
    void killingTheGroupKillsBackgroundChildrenToo() throws Exception {
        long pid = spawn(TestJob.named("group").console(Console.NONE).script("sleep 300 &\nsleep 300 &\nsleep 300\n"));
        await(() -> Zombies.groupMembers(pid).size() >= 4, "script and three sleeps");
        launcher.signal(pid, SIGTERM, true);
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        await(() -> Zombies.groupMembers(pid).isEmpty(), "whole group gone");
    }

    @Test
    void consoleLogWritesThroughAPtyWithCrLf() throws Exception {
        long pid = spawn(TestJob.named("talker").script("echo hello\necho world >&2\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        Path log = logDir.resolve("talker.log");
        // The pump may not have opened the log yet when the exit is reported: wait for the content itself.
        await(() -> slurpOrEmpty(log).equals("hello\r\nworld\r\n"), "both lines logged");
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-r-----");

        long again = spawn(TestJob.named("talker").script("echo again\n"));
        observer.awaitExit(again);
        await(() -> slurpOrEmpty(log).equals("hello\r\nworld\r\nagain\r\n"), "third line appended");
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
    }

    @Test
    void logNamesMapSlashesAndInstances() throws Exception {
        long pid = spawn(TestJob.named("foo/bar").instance("a/b").script("echo x\n"));
        observer.awaitExit(pid);
        await(() -> slurpOrEmpty(logDir.resolve("foo_bar-a_b.log")).equals("x\r\n"), "instance log written");
        assertThat(LogNames.fileName("foo/bar", "wibble")).isEqualTo("foo_bar-wibble.log");
        assertThat(LogNames.fileName("plain", "")).isEqualTo("plain.log");
    }

    @Test
    void noLogFileForAJobThatWritesNothing() throws Exception {
        long pid = spawn(TestJob.named("silent").exec("true"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        assertThat(logDir.resolve("silent.log")).doesNotExist();
    }

    @Test
    void deletedLogFileIsReopened() throws Exception {
        Path go = dir.resolve("go");
        long pid = spawn(TestJob.named("rotated").script(
                "echo one\nwhile [ ! -e " + go + " ]; do sleep 0.01; done\necho two\n"));
        Path log = logDir.resolve("rotated.log");
        await(() -> Files.exists(log) && sizeOf(log) > 0, "first line");
        Files.delete(log);
        Files.createFile(go);
        observer.awaitExit(pid);
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        assertThat(log).hasContent("two\r\n");
    }

    @Test
    void withoutJobLoggingConsoleLogIsConsoleNone() throws Exception {
        launcher.close();
        launcher = new PosixProcessLauncher(logDir, observer,
                PosixProcessLauncher.Options.defaults().withJobLogging(false));
        Path out = dir.resolve("fd2");
        long pid = spawn(TestJob.named("quiet").script("echo hello\nreadlink /proc/$$/fd/2 > " + out + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(out).hasContent("/dev/null\n");
        assertThat(launcher.openLogStreams()).isZero();
        assertThat(logDir.resolve("quiet.log")).doesNotExist();
    }

    @Test
    void pipeFallbackStillLogs() throws Exception {
        launcher.close();
        launcher = new PosixProcessLauncher(logDir, observer,
                PosixProcessLauncher.Options.defaults().withForcePipeLogs(true));
        long pid = spawn(TestJob.named("piped").script("echo hello\n"));
        observer.awaitExit(pid);
        await(() -> launcher.openLogStreams() == 0, "log stream closed");
        assertThat(logDir.resolve("piped.log")).hasContent("hello\n");
    }

    @Test
    void expectStopReportsTheStopAndContinuesOnSigcont() throws Exception {
        long pid = spawn(TestJob.named("stopper").console(Console.NONE)
                .expect(dev.upfleet.core.job.Expect.STOP).script("kill -STOP $$\nexec sleep 300\n"));
        await(() -> observer.stops.containsKey(pid), "stopped report");
        assertThat(ProcStat.read(pid).orElseThrow().state()).isEqualTo('T');
        launcher.signal(pid, 18, false); // SIGCONT
        await(() -> comm(pid).equals("sleep"), "continued into sleep");
        launcher.signal(pid, SIGTERM, true);
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        assertThat(observer.snapshot()).containsExactly("stopped " + pid, "exited " + pid + " " + ExitStatus.killedBy(SIGTERM));
    }

    @Test
    void orphansAreReapedSilently() throws Exception {
        long pid = spawn(TestJob.named("orphans").console(Console.NONE)
                .script("sleep 0.2 &\nsleep 0.3 &\nexit 0\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        await(() -> Zombies.groupMembers(pid).isEmpty(), "orphans finished and reaped");
        Zombies.assertNoneUnder(Libc.getpid());
        assertThat(observer.snapshot()).containsExactly("exited " + pid + " " + ExitStatus.exited(0));
        assertThat(launcher.trackedCount()).isZero();
    }

    static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
