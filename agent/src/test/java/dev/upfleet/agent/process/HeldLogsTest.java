package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.ExitStatus;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job output held while the log directory is not writable (Upstart's early boot), with real processes. The directory
 * is made unwritable by a file in its place, which stops root too.
 */
class HeldLogsTest {
    @TempDir
    Path dir;

    Path blocker;
    Path logDir;
    RecordingObserver observer;
    PosixProcessLauncher launcher;

    @BeforeEach
    void start() throws Exception {
        blocker = Files.writeString(dir.resolve("var"), "not a directory");
        logDir = blocker.resolve("log");
        observer = new RecordingObserver();
        launcher = new PosixProcessLauncher(logDir, observer);
    }

    @AfterEach
    void stop() {
        Zombies.assertNoneUnder(Libc.getpid());
        launcher.close();
    }

    void unblock() throws IOException {
        Files.delete(blocker);
    }

    static String text(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    @Test
    void outputOfAJobThatEndedIsKeptUntilTheDiskIsWriteable() throws Exception {
        long pid = launcher.spawn(TestJob.named("early").script("echo first\necho second\n"));
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        await(() -> launcher.openLogStreams() == 0, "log stream end");
        assertThat(launcher.heldLogBytes()).isEqualTo("first\r\nsecond\r\n".length());

        var notWritable = launcher.notifyDiskWriteable().toCompletableFuture();
        assertThat(notWritable).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(Exception.class)
                .withMessageContaining("Not a directory");
        assertThat(launcher.heldLogBytes()).isPositive();

        unblock();
        launcher.notifyDiskWriteable().toCompletableFuture().get();
        assertThat(text(logDir.resolve("early.log"))).isEqualTo("first\r\nsecond\r\n");
        assertThat(launcher.heldLogBytes()).isZero();
    }

    @Test
    void heldOutputIsWrittenWhenTheJobEndsIfTheDirectoryHasBecomeWritable() throws Exception {
        Path go = dir.resolve("go");
        long pid = launcher.spawn(TestJob.named("boot")
                .script("echo held\nwhile [ ! -e " + go + " ]; do sleep 0.02; done\n"));
        await(() -> launcher.heldLogBytes() > 0, "held output");
        unblock();
        Files.createFile(go);
        assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.exited(0));
        await(() -> launcher.openLogStreams() == 0, "log stream end");
        assertThat(text(logDir.resolve("boot.log"))).isEqualTo("held\r\n");
        assertThat(launcher.heldLogBytes()).isZero();
    }

    @Test
    void laterOutputFollowsTheHeldOutputInOrder() throws Exception {
        Path go = dir.resolve("go");
        long pid = launcher.spawn(TestJob.named("order")
                .script("echo one\nwhile [ ! -e " + go + " ]; do sleep 0.02; done\necho two\n"));
        await(() -> launcher.heldLogBytes() > 0, "held output");
        unblock();
        Files.createFile(go);
        observer.awaitExit(pid);
        await(() -> launcher.openLogStreams() == 0, "log stream end");
        assertThat(text(logDir.resolve("order.log"))).isEqualTo("one\r\ntwo\r\n");
    }

    @Test
    void heldOutputIsBoundedPerLogAndInAllAndTheLossIsNoted() throws Exception {
        try (LogPump pump = new LogPump(16, 10, 15)) {
            int[] a = Libc.pipe2(Libc.O_CLOEXEC);
            int[] b = Libc.pipe2(Libc.O_CLOEXEC);
            pump.register(a[0], logDir.resolve("a.log"));
            pump.register(b[0], logDir.resolve("b.log"));
            write(a[1], "0123456789AB"); // 12: keeps 10, drops 2
            await(() -> pump.heldBytes() == 10, "a held");
            write(b[1], "abcdefghij"); // 10: only 5 left in all
            await(() -> pump.heldBytes() == 15, "b held");
            Libc.closeQuietly(a[1]);
            Libc.closeQuietly(b[1]);
            await(() -> pump.streams() == 0, "streams end");

            unblock();
            pump.notifyDiskWriteable().get();
            assertThat(text(logDir.resolve("a.log"))).isEqualTo(
                    "0123456789[2 bytes of output dropped: the log directory was not writable]\r\n");
            assertThat(text(logDir.resolve("b.log"))).isEqualTo(
                    "abcde[5 bytes of output dropped: the log directory was not writable]\r\n");
            assertThat(pump.heldBytes()).isZero();

            // After a notify that wrote everything, a log that ends unwritable is dropped, as in Upstart.
            Files.delete(logDir.resolve("a.log"));
            Files.delete(logDir.resolve("b.log"));
            Files.delete(logDir);
            Files.writeString(logDir, "blocked again");
            int[] c = Libc.pipe2(Libc.O_CLOEXEC);
            pump.register(c[0], logDir.resolve("c.log"));
            write(c[1], "late");
            await(() -> pump.heldBytes() == 4, "c held while running");
            Libc.closeQuietly(c[1]);
            await(() -> pump.streams() == 0 && pump.heldBytes() == 0, "c dropped at its end");
        }
    }

    private static void write(int fd, String s) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocateFrom(s);
            Libc.write(fd, bytes, s.length());
        }
    }
}
