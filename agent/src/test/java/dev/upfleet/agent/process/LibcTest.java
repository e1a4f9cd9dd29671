package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.core.job.Command;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The FFM bindings and the pure helpers around them. */
class LibcTest {

    @Test
    void basicsMatchTheJvm() throws Exception {
        assertThat((long) Libc.getpid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(Libc.exists(Libc.getpid())).isTrue();
        assertThatThrownBy(() -> Libc.kill(Integer.MAX_VALUE - 1, 0))
                .isInstanceOfSatisfying(LibcException.class, e -> assertThat(e.errno()).isEqualTo(Libc.ESRCH))
                .hasMessage("kill: No such process");
        // Arguments and results cross as C long (Libc's downcall shapes): a negative pid and a -1 result survive.
        assertThatThrownBy(() -> Libc.kill(-(Integer.MAX_VALUE - 1), 0))
                .isInstanceOfSatisfying(LibcException.class, e -> assertThat(e.errno()).isEqualTo(Libc.ESRCH));
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        int pgrp = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
        assertThat(Libc.getpgid(0)).isEqualTo(pgrp);
        assertThat(Libc.strerror(Libc.ENOENT)).isEqualTo("No such file or directory");
        Libc.Rlimit nofile = Libc.getrlimit(Libc.RLIMIT_NOFILE);
        assertThat(Libc.prlimit(Libc.getpid(), Libc.RLIMIT_NOFILE)).isEqualTo(nofile);
    }

    @Test
    void ptyAndPipeRoundTrip() throws Exception {
        int master = Libc.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        Libc.grantpt(master);
        Libc.unlockpt(master);
        String name = Libc.ptsname(master);
        assertThat(name).startsWith("/dev/pts/");
        int slave = Libc.open(name, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msg = arena.allocateFrom("hi\n");
            Libc.write(slave, msg, 3);
            MemorySegment buf = arena.allocate(16);
            long n = Libc.read(master, buf);
            assertThat(new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))).isEqualTo("hi\r\n");
            Libc.close(slave);
            assertThatThrownBy(() -> Libc.read(master, buf))
                    .isInstanceOfSatisfying(LibcException.class, e -> assertThat(e.errno()).isEqualTo(Libc.EIO));
        } finally {
            Libc.closeQuietly(master);
        }
        int[] pipe = Libc.pipe2(Libc.O_CLOEXEC);
        Libc.close(pipe[1]);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(Libc.read(pipe[0], arena.allocate(8))).isZero();
        }
        Libc.close(pipe[0]);
    }

    @Test
    void aPtySlaveOpensThroughItsMaster() throws Exception {
        int master = Libc.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        Libc.grantpt(master);
        Libc.unlockpt(master);
        int slave = Libc.openPtyPeer(master, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            Libc.write(slave, arena.allocateFrom("peer\n"), 5);
            MemorySegment buf = arena.allocate(16);
            long n = Libc.read(master, buf);
            assertThat(new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))).isEqualTo("peer\r\n");
        } finally {
            Libc.closeQuietly(slave);
            Libc.closeQuietly(master);
        }
    }

    @Test
    void commandLinesFollowUpstart() {
        assertThat(CommandLine.argv(new Command.Exec("/usr/bin/daemon  --foreground -x")))
                .containsExactly("/usr/bin/daemon", "--foreground", "-x");
        assertThat(CommandLine.argv(new Command.Exec("daemon \"quoted arg\"")))
                .containsExactly("/bin/sh", "-e", "-c", "exec daemon \"quoted arg\"", "/bin/sh");
        // Upstart passes a script on the command line only when no line follows its first newline (which it strips);
        // a longer one is piped in through descriptor 9
        assertThat(CommandLine.argv(new Command.Script("echo a\n\n\n")))
                .containsExactly("/bin/sh", "-e", "-c", "echo a", "/bin/sh");
        assertThat(CommandLine.fedScript(new Command.Script("echo a\n\n\n"))).isEmpty();
        assertThat(CommandLine.argv(new Command.Script("echo a\necho b\n")))
                .containsExactly("/bin/sh", "-e", "/proc/self/fd/9");
        assertThat(CommandLine.fedScript(new Command.Script("echo a\necho b\n"))).hasValue("echo a\necho b\n");
        assertThat(CommandLine.fedScript(new Command.Exec("daemon \"quoted arg\""))).isEmpty();
        for (char c : "~`!$^&*()=|\\{}[];\"'<>?".toCharArray()) {
            assertThat(CommandLine.needsShell("a" + c)).as("char " + c).isTrue();
        }
        assertThat(CommandLine.needsShell("a-b_c.d/e:f,g%h@i+j#k")).isFalse();
        assertThat(CommandLine.resolve("sh", "/nonexistent:/bin")).hasValue("/bin/sh");
        assertThat(CommandLine.resolve("no-such-upfleet", "/bin:/usr/bin")).isEmpty();
        assertThat(CommandLine.pathOf(List.of("A=1", "PATH=/x", "PATH=/y"))).isEqualTo("/y");
        assertThat(CommandLine.pathOf(List.of())).isEqualTo("/bin:/usr/bin");
        assertThat(CommandLine.split("  /bin/svc\t-x  \r\n y ")).containsExactly("/bin/svc", "-x", "y");
        assertThat(CommandLine.split("one")).containsExactly("one");
        assertThat(CommandLine.split(" \t ")).isEmpty();
    }

    @Test
    void procStatParsesCommandsWithParenthesesAndSpaces() {
        String line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100 184 0 0";
        ProcStat s = ProcStat.parse(42, line);
        assertThat(s).isEqualTo(new ProcStat(42, 'S', 1, 42, 42, 98765));
        assertThat(ProcStat.parse(7, "7 (x) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5\n").startTime()).isEqualTo(5);
        assertThatThrownBy(() -> ProcStat.parse(7, "7 (x) S 1 7 7 0")).isInstanceOf(RuntimeException.class);
        assertThat(ProcStat.read(ProcessHandle.current().pid())).get()
                .satisfies(self -> assertThat(self.startTime()).isPositive());
    }
}
