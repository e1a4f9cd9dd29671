package dev.upfleet.agent.process;

import static dev.upfleet.agent.process.RecordingObserver.await;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Watching processes that are not the launcher's children. No launcher is open here: ProcessBuilder children are
 * reaped by the JVM, which is exactly the "not ours" situation of a re-adopted job.
 */
class PidWatcherTest {

    @Test
    void reportsTheEndOfAWatchedProcessOnce() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        Process p = new ProcessBuilder("sleep", "300").start();
        try (PidWatcher watcher = new PidWatcher(observer)) {
            ProcessIdentity id = ProcessIdentity.of(p.pid()).orElseThrow();
            assertThat(id.isAlive()).isTrue();
            assertThat(watcher.watch(id)).isTrue();
            p.destroyForcibly().waitFor();
            await(() -> observer.lost.containsKey(p.pid()), "lostTrack");
            assertThat(id.isAlive()).isFalse();
            assertThat(observer.snapshot()).containsExactly("lost " + p.pid());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void refusesAReusedOrDeadPid() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        Process p = new ProcessBuilder("sleep", "300").start();
        try (PidWatcher watcher = new PidWatcher(observer)) {
            ProcessIdentity real = ProcessIdentity.of(p.pid()).orElseThrow();
            ProcessIdentity other = new ProcessIdentity(p.pid(), real.startTime() + 1);
            assertThat(other.isAlive()).isFalse();
            assertThat(watcher.watch(other)).isFalse();
            p.destroyForcibly().waitFor();
            assertThat(watcher.watch(real)).isFalse();
            assertThat(observer.snapshot()).isEmpty();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void unwatchStopsReports() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        Process p = new ProcessBuilder("sleep", "300").start();
        try (PidWatcher watcher = new PidWatcher(observer)) {
            ProcessIdentity id = ProcessIdentity.of(p.pid()).orElseThrow();
            assertThat(watcher.watch(id)).isTrue();
            watcher.unwatch(p.pid());
            p.destroyForcibly().waitFor();
            // a second watched process proves the watcher thread has run past the first one's exit
            Process q = new ProcessBuilder("sleep", "300").start();
            try {
                assertThat(watcher.watch(ProcessIdentity.of(q.pid()).orElseThrow())).isTrue();
                q.destroyForcibly().waitFor();
                await(() -> observer.lost.containsKey(q.pid()), "lostTrack of q");
                assertThat(observer.snapshot()).containsExactly("lost " + q.pid());
            } finally {
                q.destroyForcibly();
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void identityRoundTripsThroughText() {
        ProcessIdentity id = ProcessIdentity.of(ProcessHandle.current().pid()).orElseThrow();
        assertThat(ProcessIdentity.parse(id.toString())).isEqualTo(id);
        assertThat(ProcessIdentity.isAlive(id)).isTrue();
    }
}
