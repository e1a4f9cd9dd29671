package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.ExitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 500 logged jobs at once: every exit reported once, every log written, descriptors back to where they were. */
class ManySpawnsTest {
    static final int JOBS = 500;

    @TempDir
    Path dir;

    @Test
    void fiveHundredLoggedJobsThenAllKilled() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        Path logDir = dir.resolve("log");
        try (PosixProcessLauncher launcher = new PosixProcessLauncher(logDir, observer)) {
            long baseline = fdCount();
            List<Long> pids = new ArrayList<>();
            try {
                for (int i = 0; i < JOBS; i++) {
                    pids.add(launcher.spawn(TestJob.named("many").instance("i" + i)
                            .script("echo started " + i + "\nexec sleep 300\n")));
                }
                assertThat(launcher.openLogStreams()).isEqualTo(JOBS);
                for (int i = 0; i < JOBS; i++) {
                    Path log = logDir.resolve("many-i" + i + ".log");
                    String expected = "started " + i + "\r\n";
                    await(() -> content(log).equals(expected), "log of instance " + i);
                }
            } finally {
                for (long pid : pids) {
                    launcher.signal(pid, 9, true);
                }
            }
            for (long pid : pids) {
                assertThat(observer.awaitExit(pid)).isEqualTo(ExitStatus.killedBy(9));
            }
            await(() -> launcher.openLogStreams() == 0, "all log streams closed");
            // The launcher keeps one pty pair ready for the next logged spawn (PtySpare): two descriptors.
            await(() -> fdCount() <= baseline + 2, "descriptors back to baseline " + baseline + " and a spare pty");
            for (long pid : pids) {
                observer.assertExitedOnce(pid);
            }
            assertThat(observer.lines).hasSize(JOBS);
            assertThat(launcher.trackedCount()).isZero();
            Zombies.assertNoneUnder(Libc.getpid());
        }
    }

    static long fdCount() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String content(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
