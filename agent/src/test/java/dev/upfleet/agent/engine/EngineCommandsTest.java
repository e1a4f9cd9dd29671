package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.JobRef;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The replies and refusals of the job commands (spec §8.2, §8.3), driven with fakes. */
class EngineCommandsTest {
    private final EngineHarness h = new EngineHarness();

    @Test
    void stopOfAnInstancePrintsTheClassAloneOnceItIsGone() throws Exception {
        h.job("w", "instance $NAME\nexec main\n");
        h.start("w", "NAME=a");
        var stopped = h.stop("w", "NAME=a");
        h.kill("w", "main", 15);
        assertThat(stopped.get().job()).isEqualTo("w");
        assertThat(stopped.get().instance()).isEmpty();
        assertThat(stopped.get().goal() + "/" + stopped.get().state()).isEqualTo("stop/waiting");
    }

    @Test
    void finishedInstanceTaskPrintsTheClassAlone() throws Exception {
        h.job("t", "task\ninstance $N\nexec work\n");
        var started = h.start("t", "N=x");
        h.exit("t", "main", 0);
        assertThat(started.get().instance()).isEmpty();
        assertThat(started.get().state()).isEqualTo("waiting");
    }

    @Test
    void startOfTheCallingInstanceKeepsItsEnvironment() {
        h.job("j", "env A=class\nexec main\npost-stop exec post\n");
        h.start("j", "A=cmd");
        h.stop("j");
        h.kill("j", "main", 15);
        // post-stop runs; from inside it, initctl start (no job name) sets the goal back to start
        CompletableFuture<InstanceStatus> reply = new CompletableFuture<>();
        h.commands.start(new JobRef("j", Optional.of("")), List.of(), false, reply);
        h.engine.poll();
        h.exit("j", "post-stop", 0);
        assertThat(h.env("j", "main")).containsEntry("A", "cmd");
    }

    @Test
    void restartOfTheCallingInstanceKeepsItsEnvironment() {
        h.job("j", "env A=class\nexec main\n");
        h.start("j", "A=cmd");
        CompletableFuture<InstanceStatus> reply = new CompletableFuture<>();
        h.commands.restart(new JobRef("j", Optional.of("")), List.of(), false, reply);
        h.engine.poll();
        h.kill("j", "main", 15);
        assertThat(h.env("j", "main")).containsEntry("A", "cmd");
    }

    @Test
    void classRestartTakesTheNewEnvironment() {
        h.job("j", "env A=class\nexec main\n");
        h.start("j", "A=cmd");
        h.restart("j");
        h.kill("j", "main", 15);
        assertThat(h.env("j", "main")).containsEntry("A", "class");
    }

    @Test
    void statusWithoutPairsOfAnUnknownConstantInstanceIsStopWaiting() {
        h.job("c", "instance foo\nexec main\n");
        assertThat(h.status("c")).isEqualTo("stop/waiting");
    }

    @Test
    void startSupersededByAStopInsidePreStartReportsTheNewGoal() throws Exception {
        h.job("j", "pre-start exec pre\nexec main\n");
        var started = h.start("j");
        CompletableFuture<InstanceStatus> inside = new CompletableFuture<>();
        h.commands.stop(new JobRef("j", Optional.of("")), List.of(), false, inside);
        h.engine.poll();
        assertThat(started.get().goal() + "/" + started.get().state()).isEqualTo("stop/pre-start");
        h.exit("j", "pre-start", 0);
        assertThat(h.takeEvents()).contains("stopped JOB=j INSTANCE= RESULT=ok");
        assertThat(h.takeSpawns()).doesNotContain("spawn j main");
    }

    @Test
    void aNoWaitReplyReportsTheStatusOnceTheInputIsProcessed() throws Exception {
        h.job("idle", "post-start exec ps\n");
        CompletableFuture<InstanceStatus> started = new CompletableFuture<>();
        h.commands.start(JobRef.byName("idle"), List.of(), false, started);
        assertThat(started).isNotDone();
        h.engine.poll();
        assertThat(started.get().goal() + "/" + started.get().state()).isEqualTo("start/post-start");
        h.exit("idle", "post-start", 0);
        CompletableFuture<InstanceStatus> stopped = new CompletableFuture<>();
        h.commands.stop(JobRef.byName("idle"), List.of(), false, stopped);
        h.engine.poll();
        assertThat(stopped.get().goal() + "/" + stopped.get().state()).isEqualTo("stop/waiting");
    }

    @Test
    void aDeferredRespawnShowsTheRespawnGoal() {
        h.job("r", "respawn\nexec main\npost-start exec ps\n");
        h.start("r");
        h.exit("r", "main", 1);
        assertThat(h.status("r")).isEqualTo("respawn/post-start");
        h.exit("r", "post-start", 0);
        assertThat(h.status("r")).isEqualTo("start/post-start");
    }
}
