package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.RlimitResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Process attributes seen from inside the child, and expect fork/daemon following with real forking shells. */
class FollowAndAttributesTest {
    static final int SIGTERM = 15;

    @TempDir
    Path dir;

    RecordingObserver observer;
    PosixProcessLauncher launcher;
    final List<Long> groups = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        observer = new RecordingObserver();
        launcher = new PosixProcessLauncher(dir.resolve("log"), observer,
                PosixProcessLauncher.Options.defaults().withDaemonSettle(Duration.ofMillis(300)));
    }

    @AfterEach
    void stop() {
        for (long pid : groups) {
            launcher.signal(pid, 9, true);
        }
        for (long pid : groups) {
            await(() -> !Libc.exists(-pid), "group " + pid + " gone");
        }
        Zombies.assertNoneUnder(Libc.getpid());
        launcher.close();
    }

    long spawn(SpawnRequest request) throws SpawnException {
        long pid = launcher.spawn(request);
        groups.add(pid);
        return pid;
    }

    @Test
    void attributesAreInPlaceBeforeTheProgramRuns() throws Exception {
        Path out = dir.resolve("attrs");
        Path work = Files.createDirectory(dir.resolve("work"));
        long pid = spawn(TestJob.named("attrs").console(Console.NONE).umask(027).nice(5).oom(500)
                .limit(RlimitResource.NOFILE, 100, 200).limit(RlimitResource.CORE, 0, 1000)
                .chdir(work.toString())
                .script("echo \"$(umask) $(ulimit -n) $(ulimit -Hn) $(nice) $(pwd) $(cat /proc/self/oom_score_adj)\" > "
                        + out + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(Files.readString(out).trim()).isEqualTo("0027 100 200 5 " + work + " 500");
    }

    @Test
    void chdirAloneUsesTheFastPath() throws Exception {
        Path out = dir.resolve("pwd");
        long pid = spawn(TestJob.named("cd").console(Console.NONE).chdir(dir.toString())
                .script("pwd > " + out + "; umask >> " + out + "\n"));
        observer.awaitExit(pid);
        assertThat(Files.readAllLines(out)).containsExactly(dir.toString(), "0022");
        long root = spawn(TestJob.named("cd").console(Console.NONE).script("pwd > " + out + "\n"));
        observer.awaitExit(root);
        assertThat(Files.readAllLines(out)).containsExactly("/");
    }

    @Test
    void setuidDropsPrivilegesAndABadUserIsASpawnFailure() throws Exception {
        if (!Baseline.current().root()) {
            return; // only root can change user
        }
        Path out = dir.resolve("id");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        long pid = spawn(TestJob.named("nobody").console(Console.NONE).setuid("nobody")
                .script("id -u > " + out + "; id -g >> " + out + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(Files.readAllLines(out)).containsExactly("65534", "65534");
        // a multi-line script reaches the shell through a pipe, which must be the job user's to open
        Path fed = dir.resolve("fed");
        long fedPid = spawn(TestJob.named("nobody").console(Console.NONE).setuid("nobody")
                .script("id -u > " + fed + "\nid -g >> " + fed + "\n"));
        assertThat(observer.awaitExit(fedPid)).isEqualTo(ExitStatus.exited(0));
        assertThat(Files.readAllLines(fed)).containsExactly("65534", "65534");

        assertThatThrownBy(() -> launcher.spawn(TestJob.named("bad").setuid("no-such-user-upfleet").exec("true")))
                .isInstanceOf(SpawnException.class).hasMessage("unable to find setuid user");
        assertThatThrownBy(() -> launcher.spawn(TestJob.named("bad").setgid("no-such-group-upfleet").exec("true")))
                .isInstanceOf(SpawnException.class).hasMessage("unable to find setgid group");
    }

    @Test
    void aRootThatCannotBeEnteredIsASpawnFailureAndAFailingWrapperLinkAFailedProcess() throws Exception {
        assertThatThrownBy(() -> spawn(TestJob.named("badroot").console(Console.NONE)
                .chroot(dir.resolve("missing").toString()).exec("true")))
                .isInstanceOf(SpawnException.class).hasMessage("unable to change root directory: No such file or directory");
        // An empty root is entered, but holds no program to run: that shows only once the chain runs.
        Path empty = Files.createDirectory(dir.resolve("empty"));
        long pid = spawn(TestJob.named("emptyroot").console(Console.NONE).chroot(empty.toString()).exec("true"));
        ExitStatus status = observer.awaitExit(pid);
        assertThat(status.success()).isFalse();
    }

    @Test
    void expectForkFollowsTheForkedChild() throws Exception {
        long pid = spawn(TestJob.named("forker").console(Console.NONE).expect(Expect.FORK)
                .script("sleep 300 &\nexit 0\n"));
        long daemon = observer.awaitResolved(pid);
        assertThat(daemon).isNotEqualTo(pid);
        // The forked shell may not have exec'd sleep yet when the fork is followed.
        await(() -> PosixProcessLauncherTest.comm(daemon).equals("sleep"), "daemon " + daemon + " runs sleep");
        launcher.signal(daemon, SIGTERM, false);
        assertThat(observer.awaitExit(daemon)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        assertThat(observer.snapshot()).containsExactly("resolved " + pid + " -> " + daemon,
                "exited " + daemon + " " + ExitStatus.killedBy(SIGTERM));
    }

    @Test
    void aGroupSignalReachesAFollowedDaemonThatIsNoGroupLeader() throws Exception {
        // The engine stops jobs with group=true; the daemon stays in the group of the main process that forked it.
        long pid = spawn(TestJob.named("forkgroup").console(Console.NONE).expect(Expect.FORK)
                .script("sleep 300 &\nexit 0\n"));
        long daemon = observer.awaitResolved(pid);
        assertThat(ProcStat.read(daemon).orElseThrow().pgrp()).isNotEqualTo(daemon);
        launcher.signal(daemon, SIGTERM, true);
        assertThat(observer.awaitExit(daemon)).isEqualTo(ExitStatus.killedBy(SIGTERM));
    }

    @Test
    void expectForkReportsAFailureBeforeForkingAsTheExit() throws Exception {
        long pid = spawn(TestJob.named("forkfail").console(Console.NONE).expect(Expect.FORK).script("exit 4\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(4));
        assertThat(observer.resolved).isEmpty();
    }

    @Test
    void expectDaemonFollowsTwoForksThroughAnIntermediateThatExitsLater() throws Exception {
        // P forks C1 and exits at once; C1 works a little (short-lived children), forks C2 and exits: C2 is the daemon.
        long pid = spawn(TestJob.named("classic").console(Console.NONE).expect(Expect.DAEMON)
                .script("sh -c 'sleep 0.05; echo hi >/dev/null; sleep 300 & exit 0' &\nexit 0\n"));
        long daemon = observer.awaitResolved(pid);
        await(() -> PosixProcessLauncherTest.comm(daemon).equals("sleep"), "daemon " + daemon + " runs sleep");
        assertThat(ProcStat.environ(daemon)).containsEntry("UPSTART_JOB", "classic");
        assertThat(cmdline(daemon)).contains("300");
        launcher.signal(daemon, SIGTERM, false);
        assertThat(observer.awaitExit(daemon)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        assertThat(observer.snapshot()).containsExactly("resolved " + pid + " -> " + daemon,
                "exited " + daemon + " " + ExitStatus.killedBy(SIGTERM));
    }

    @Test
    void expectDaemonWithASetsidDoubleFork() throws Exception {
        long pid = spawn(TestJob.named("setsidd").console(Console.NONE).expect(Expect.DAEMON)
                .exec("sh -c '(setsid sh -c \"exec sleep 300\" &) ; exit 0'"));
        long daemon = observer.awaitResolved(pid);
        groups.add(daemon); // its own session now
        await(() -> PosixProcessLauncherTest.comm(daemon).equals("sleep"), "daemon " + daemon + " runs sleep");
        assertThat(ProcStat.read(daemon).orElseThrow().session()).isEqualTo(daemon);
        launcher.signal(daemon, SIGTERM, true);
        assertThat(observer.awaitExit(daemon)).isEqualTo(ExitStatus.killedBy(SIGTERM));
        observer.assertExitedOnce(daemon);
        assertThat(observer.exits).doesNotContainKey(pid);
    }

    @Test
    void concurrentDaemonsAreToldApartByTheirJobEnvironment() throws Exception {
        Map<Long, String> byPid = new java.util.HashMap<>();
        for (int i = 0; i < 4; i++) {
            String name = "d" + i;
            long pid = spawn(TestJob.named(name).console(Console.NONE).expect(Expect.DAEMON)
                    .script("sh -c 'sleep 0.05; sleep 300 & exit 0' &\nexit 0\n"));
            byPid.put(pid, name);
        }
        for (var e : byPid.entrySet()) {
            long daemon = observer.awaitResolved(e.getKey());
            assertThat(ProcStat.environ(daemon)).containsEntry("UPSTART_JOB", e.getValue());
            launcher.signal(daemon, 9, false);
            assertThat(observer.awaitExit(daemon)).isEqualTo(ExitStatus.killedBy(9));
        }
        assertThat(observer.resolved.values()).doesNotHaveDuplicates();
    }

    static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
