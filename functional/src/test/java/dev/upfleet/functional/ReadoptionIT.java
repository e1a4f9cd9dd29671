package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Procs;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** An agent killed with SIGKILL and started again on the same state directory re-adopts its jobs. */
class ReadoptionIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);

    @Test
    void aNewAgentReadoptsRunningJobsAndRespawnsTheOnesThatDiedMeanwhile() {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.quiet(), a -> {
            a.writeJob("keeper", "exec sleep 1011\n");
            a.writeJob("phoenix", "respawn\nexec sleep 1012\n");
        })) {
            agent.start("keeper");
            agent.start("phoenix");
            long keeper = agent.awaitRunning("keeper", LIMIT);
            long phoenix = agent.awaitRunning("phoenix", LIMIT);

            agent.kill9();
            assertThat(Procs.alive(keeper)).as("the job outlives its agent").isTrue();
            Procs.signal(phoenix, "KILL"); // dies while nobody supervises it
            Poll.until("phoenix's process to die", LIMIT, () -> !Procs.alive(phoenix));

            agent.launch();

            Initctl status = agent.initctl("status", "keeper");
            assertThat(status.out()).as("%s", status).isEqualTo("keeper start/running, process " + keeper + "\n");
            assertThat(Procs.withEnvAndCmdline(agent.marker(), "sleep 1011")).containsExactly(keeper);

            long reborn = Poll.value("phoenix respawned by the new agent", LIMIT, () -> agent.mainPid("phoenix"),
                    pid -> pid > 0 && pid != phoenix);
            assertThat(Procs.alive(reborn)).isTrue();
            assertThat(Procs.withEnvAndCmdline(agent.marker(), "sleep 1012")).containsExactly(reborn);

            Initctl stop = agent.initctl("stop", "keeper");
            assertThat(stop.rc()).as("%s", stop).isZero();
            assertThat(stop.out()).isEqualTo("keeper stop/waiting\n");
            // Not our child any more (it was reparented when the first agent died): the new agent sees its end
            // through a pidfd, so allow a moment for that.
            Poll.until("the re-adopted keeper process to be gone", Duration.ofSeconds(10), () -> !Procs.alive(keeper));
            agent.stop("phoenix");
            assertThat(Procs.alive(reborn)).isFalse();
        }
    }
}
