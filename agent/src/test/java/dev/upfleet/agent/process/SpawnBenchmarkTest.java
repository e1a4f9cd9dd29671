package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.ProcessLauncher.ProcessObserver;
import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.job.Console;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A figure, not an assertion: spawn and reap {@code /bin/true} 1,000 times in sequence through the launcher's direct
 * path (console none, no attributes) and print µs per spawn. Only correctness is asserted.
 */
class SpawnBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void spawnAndReapTrue() throws Exception {
        LinkedBlockingQueue<Long> exits = new LinkedBlockingQueue<>();
        ProcessObserver observer = new ProcessObserver() {
            @Override
            public void exited(long pid, ExitStatus status) {
                exits.add(pid);
            }

            @Override
            public void stopped(long pid) {}

            @Override
            public void mainPidResolved(long spawnedPid, long mainPid) {}
        };
        // Baseline without the launcher (its reaper would take the statuses): raw FFM posix_spawn + waitpid.
        for (int round = 0; round <= 1; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                int pid = Libc.spawn("/bin/true", java.util.List.of("/bin/true"), java.util.List.of(),
                        Stdio.none().actions(), java.util.Optional.of("/"));
                assertThat(Libc.waitpid(pid, 0).pid()).isEqualTo(pid);
            }
            if (round == 1) {
                System.out.printf("raw FFM posix_spawn+waitpid /bin/true: %.0f µs/spawn%n",
                        (System.nanoTime() - t0) / 1000.0 / 1000);
            }
        }
        try (PosixProcessLauncher launcher = new PosixProcessLauncher(dir, observer)) {
            SpawnRequest request = TestJob.named("true").console(Console.NONE).exec("/bin/true");
            run(launcher, exits, request, 200); // warm-up
            for (int round = 1; round <= 3; round++) {
                long t0 = System.nanoTime();
                run(launcher, exits, request, 1000);
                double micros = (System.nanoTime() - t0) / 1000.0 / 1000;
                System.out.printf("upfleet spawn+reap /bin/true, round %d: %.0f µs/spawn%n", round, micros);
            }
        }
    }

    private static void run(PosixProcessLauncher launcher, LinkedBlockingQueue<Long> exits, SpawnRequest request,
            int n) throws Exception {
        for (int i = 0; i < n; i++) {
            long pid = launcher.spawn(request);
            Long got = exits.poll(10, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(pid);
        }
    }
}
