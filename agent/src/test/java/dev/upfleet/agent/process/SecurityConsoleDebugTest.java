package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.ProcessKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes for apparmor load (the security process), apparmor switch, console owner and debug, on a machine
 * without AppArmor and without touching the real console: AppArmor is faked with files, the console with a pty.
 */
class SecurityConsoleDebugTest {
    @TempDir
    Path dir;

    final RecordingObserver observer = new RecordingObserver();
    final List<PosixProcessLauncher> launchers = new ArrayList<>();
    final List<Long> groups = new ArrayList<>();
    int ptyMaster = -1;

    PosixProcessLauncher launcher(PosixProcessLauncher.Options options) throws Exception {
        PosixProcessLauncher l = new PosixProcessLauncher(dir.resolve("log"), observer, options);
        launchers.add(l);
        return l;
    }

    /** AppArmor "enabled" with a parser script that records how it was run. */
    AppArmor fakeAppArmor(Path profiles) throws Exception {
        Path parser = dir.resolve("apparmor_parser");
        Files.writeString(parser, "#!/bin/sh\necho \"$(umask) $(pwd) $*\" > " + dir.resolve("parser-ran") + "\nexit 3\n");
        Files.setPosixFilePermissions(parser, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new AppArmor(Files.writeString(dir.resolve("enabled"), "Y\n"), parser, List.of(), profiles);
    }

    long spawn(PosixProcessLauncher l, SpawnRequest r) throws SpawnException {
        long pid = l.spawn(r);
        groups.add(pid);
        return pid;
    }

    @AfterEach
    void stop() {
        for (PosixProcessLauncher l : launchers) {
            for (long pid : groups) {
                l.signal(pid, 9, false);
            }
        }
        Libc.closeQuietly(ptyMaster);
        Zombies.assertNoneUnder(Libc.getpid());
        launchers.forEach(PosixProcessLauncher::close);
    }

    @Test
    void theSecurityProcessRunsTheParserWithoutTheJobsAttributes() throws Exception {
        var l = launcher(PosixProcessLauncher.Options.defaults().withAppArmor(fakeAppArmor(dir.resolve("none"))));
        String parser = l.appArmorParser().orElseThrow();
        long pid = spawn(l, TestJob.named("sec").console(Console.NONE).umask(027).chdir(dir.toString())
                .kind(ProcessKind.SECURITY).exec(parser + " -r -W /etc/apparmor.d/sec"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(3));
        assertThat(Files.readString(dir.resolve("parser-ran")).trim()).isEqualTo("0022 / -r -W /etc/apparmor.d/sec");
        assertThat(launcher(PosixProcessLauncher.Options.defaults().withAppArmor(AppArmor.disabled())).appArmorParser())
                .isEmpty();
    }

    @Test
    void withoutAppArmorTheSwitchIsSilentlySkipped() throws Exception {
        var l = launcher(PosixProcessLauncher.Options.defaults().withAppArmor(AppArmor.disabled()));
        Path ran = dir.resolve("ran");
        long pid = spawn(l, TestJob.named("sw").console(Console.NONE).apparmorSwitch("$NOPE").exec("touch " + ran));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(ran).exists();
    }

    @Test
    void aSwitchTheKernelRefusesIsAFailedProcessThatNeverRunsTheProgram() throws Exception {
        // "Enabled" by the fake files, but this kernel has no AppArmor: the write of exec PROFILE fails in the child.
        assumeTrue(!Files.exists(Path.of("/sys/module/apparmor/parameters/enabled")), "a kernel without AppArmor");
        var l = launcher(PosixProcessLauncher.Options.defaults().withAppArmor(fakeAppArmor(dir.resolve("none"))));
        Path ran = dir.resolve("ran");
        long pid = spawn(l, TestJob.named("sw").console(Console.NONE).env("PROFILE=web").apparmorSwitch("${PROFILE}d")
                .exec("touch " + ran));
        assertThat(observer.awaitExit(pid).success()).isFalse();
        assertThat(ran).doesNotExist();
        // A pre-start of the same job is not switched.
        long pre = spawn(l, TestJob.named("sw").console(Console.NONE).apparmorSwitch("web").kind(ProcessKind.PRE_START)
                .exec("touch " + ran));
        assertThat(observer.awaitExit(pre)).isEqualTo(ExitStatus.exited(0));
    }

    @Test
    void anUnknownOrUnexpandableProfileIsASpawnFailure() throws Exception {
        Path profiles = Files.writeString(dir.resolve("profiles"), "other (enforce)\n");
        var l = launcher(PosixProcessLauncher.Options.defaults().withAppArmor(fakeAppArmor(profiles)));
        assertThatThrownBy(() -> l.spawn(TestJob.named("sw").apparmorSwitch("web").exec("true")))
                .isInstanceOf(SpawnException.class)
                .hasMessage("unable to switch security profile: No such file or directory");
        assertThatThrownBy(() -> l.spawn(TestJob.named("sw").apparmorSwitch("$NOPE").exec("true")))
                .isInstanceOf(SpawnException.class).hasMessage("unable to switch security profile: Unknown parameter: NOPE");
    }

    @Test
    void consoleOwnerMakesTheConsoleTheControllingTerminal() throws Exception {
        assumeTrue(Baseline.current().sysAdmin(), "CAP_SYS_ADMIN");
        ptyMaster = Libc.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        Libc.grantpt(ptyMaster);
        Libc.unlockpt(ptyMaster);
        String console = Libc.ptsname(ptyMaster); // stands in for /dev/console
        var l = launcher(PosixProcessLauncher.Options.defaults().withConsole(console));
        Path out = dir.resolve("ctty");
        long pid = spawn(l, TestJob.named("own").console(Console.OWNER).umask(027)
                .script("read pid comm state ppid pgrp sid tty rest < /proc/$$/stat; echo $$ $pgrp $sid $tty $(umask) > " + out
                        + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        String[] f = Files.readString(out).trim().split(" ");
        assertThat(f[0]).isEqualTo(Long.toString(pid));
        assertThat(f[1]).as("process group leader").isEqualTo(f[0]);
        assertThat(f[2]).as("session leader").isEqualTo(f[0]);
        assertThat(Long.parseLong(f[3])).as("controlling terminal").isNotZero();
        assertThat(f[4]).isEqualTo("0027");
    }

    @Test
    void consoleOwnerWithoutAConsoleFailsTheSpawnWhereConsoleOutputFallsBackToNone() throws Exception {
        var l = launcher(PosixProcessLauncher.Options.defaults().withConsole(dir.resolve("no-console").toString()));
        assertThatThrownBy(() -> spawn(l, TestJob.named("own").console(Console.OWNER).exec("true")))
                .isInstanceOf(SpawnException.class)
                .hasMessage("unable to open console: No such file or directory");
        Path out = dir.resolve("none");
        long pid = spawn(l, TestJob.named("out").console(Console.OUTPUT)
                .script("read pid comm state ppid pgrp sid tty rest < /proc/$$/stat; echo $sid $tty $(readlink /proc/$$/fd/1) > "
                        + out + "\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(Files.readString(out).trim()).isEqualTo(pid + " 0 /dev/null");
    }

    @Test
    void debugStopsTheProcessBeforeExecUntilItIsContinued() throws Exception {
        var l = launcher(PosixProcessLauncher.Options.defaults());
        Path ran = dir.resolve("ran");
        long pid = spawn(l, TestJob.named("dbg").console(Console.NONE).debug().exec("touch " + ran));
        await(() -> ProcStat.read(pid).map(st -> st.state() == 'T').orElse(false), "debug stop of " + pid);
        assertThat(ran).doesNotExist();
        l.signal(pid, 18, false); // SIGCONT, as a debugger would
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        assertThat(ran).exists();
    }
}
