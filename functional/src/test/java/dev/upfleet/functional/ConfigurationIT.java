package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Job files changing under a running agent (inotify, no reload-configuration): edits, deletions, new files and
 * malformed files, checked against the real processes. One agent, booted, serves every test.
 */
class ConfigurationIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);
    private static final AtomicInteger SENTINELS = new AtomicInteger();
    private static AgentProcess agent;

    @BeforeAll
    static void startAgent() {
        agent = AgentProcess.start(AgentProcess.Options.booting(), a -> {
            a.writeJob("good-one", "start on startup\nexec sleep 1021\n");
            a.writeJob("broken", "start on startup\nexec sleep 1022\nfrobnicate now\n");
            a.writeJob("good-two", "start on startup\nexec sleep 1023\n");
            a.writeJob("editme", "exec sleep 1024\n");
            a.writeJob("doomed", "exec sleep 1026\n");
        });
    }

    @AfterAll
    static void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    /**
     * Waits until the agent has seen every file change made so far: a new file written after them appears in
     * {@code list} only once the watcher got past the earlier changes (inotify delivers in order).
     */
    private static void awaitWatcher() {
        String name = "sentinel-" + SENTINELS.incrementAndGet();
        agent.writeJob(name, "exec true\n");
        Poll.until(name + " in list", LIMIT, () -> agent.listedJobs().contains(name));
    }

    @Test
    void malformedFileIsReportedWithItsLineAndTheOthersRun() throws IOException {
        String file = agent.confDir().resolve("broken.conf").toString();
        assertThat(agent.stderr()).contains(file + ":3: Unknown stanza");
        long one = agent.awaitRunning("good-one", LIMIT);
        long two = agent.awaitRunning("good-two", LIMIT);
        assertThat(Procs.cmdline(one)).isEqualTo("sleep 1021");
        assertThat(Procs.cmdline(two)).isEqualTo("sleep 1023");
        Initctl list = agent.initctl("list");
        assertThat(list.out()).contains("good-one start/running, process " + one,
                "good-two start/running, process " + two).doesNotContain("broken");

        agent.writeJob("broken", "exec sleep 1022\n");
        Poll.until("the fixed file in list", LIMIT, () -> agent.listedJobs().contains("broken"));
        assertThat(agent.start("broken").getState()).isEqualTo("running");
        agent.stop("broken");
    }

    @Test
    void editedFileTakesEffectOnlyOnceTheRunningInstanceStops() {
        agent.start("editme");
        long old = agent.awaitRunning("editme", LIMIT);

        agent.writeJob("editme", "exec sleep 1025\n");
        awaitWatcher();
        assertThat(agent.initctl("status", "editme").out()).isEqualTo("editme start/running, process " + old + "\n");
        assertThat(Procs.alive(old)).isTrue();

        // Upstart: restart keeps the instance, and with it the definition it was started with.
        Initctl restart = agent.initctl("restart", "editme");
        assertThat(restart.rc()).as("%s", restart).isZero();
        long restarted = agent.awaitRunning("editme", LIMIT);
        assertThat(restarted).isNotEqualTo(old);
        assertThat(Procs.cmdline(restarted)).isEqualTo("sleep 1024");

        agent.stop("editme");
        agent.start("editme");
        long fresh = agent.awaitRunning("editme", LIMIT);
        assertThat(Procs.cmdline(fresh)).isEqualTo("sleep 1025");
        agent.stop("editme");
        assertThat(Procs.alive(fresh)).isFalse();
    }

    @Test
    void deletedFileKeepsItsRunningJobUntilItStops() throws IOException {
        agent.start("doomed");
        long pid = agent.awaitRunning("doomed", LIMIT);

        Files.delete(agent.confDir().resolve("doomed.conf"));
        awaitWatcher();
        assertThat(agent.initctl("status", "doomed").out()).isEqualTo("doomed start/running, process " + pid + "\n");
        assertThat(agent.listedJobs()).contains("doomed");

        assertThat(agent.initctl("stop", "doomed").rc()).isZero();
        assertThat(Procs.alive(pid)).isFalse();
        Poll.until("doomed to leave list", LIMIT, () -> !agent.listedJobs().contains("doomed"));
        Initctl status = agent.initctl("status", "doomed");
        assertThat(status.rc()).isEqualTo(1);
        assertThat(status.err()).isEqualTo("initctl: Unknown job: doomed\n");
    }

    @Test
    void newFileAppearsWithoutReloadConfiguration() {
        agent.writeJob("fresh", "exec sleep 1027\n");
        Poll.until("fresh in list", LIMIT, () -> agent.listedJobs().contains("fresh"));
        assertThat(agent.initctl("list").out()).contains("fresh stop/waiting\n");
        assertThat(agent.start("fresh").getState()).isEqualTo("running");
        agent.stop("fresh");
    }
}
