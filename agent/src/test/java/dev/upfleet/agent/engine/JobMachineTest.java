package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.control.ControlException;
import dev.upfleet.agent.control.JobControl.LiveProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The job state machine and event queue, driven with a fake launcher and clock (spec §5, §6). */
class JobMachineTest {
    private final EngineHarness h = new EngineHarness();

    @Test
    void serviceStartsAndStopsThroughEveryHook() throws Exception {
        h.job("l", """
                pre-start exec pre
                post-start exec post
                exec main
                pre-stop exec prestop
                post-stop exec poststop
                """);
        var started = h.start("l");
        assertThat(h.takeSpawns()).containsExactly("spawn l pre-start");
        h.exit("l", "pre-start", 0);
        assertThat(h.takeSpawns()).containsExactly("spawn l main", "spawn l post-start");
        assertThat(started).isNotDone();
        h.exit("l", "post-start", 0);
        assertThat(started.get().state()).isEqualTo("running");
        assertThat(h.takeEvents()).containsExactly("starting JOB=l INSTANCE=", "started JOB=l INSTANCE=");

        var stopped = h.stop("l");
        assertThat(h.takeSpawns()).containsExactly("spawn l pre-stop");
        h.exit("l", "pre-stop", 0);
        long main = h.launcher.pid("l", "main");
        assertThat(h.takeSpawns()).containsExactly("signal " + main + " TERM group");
        h.kill("l", "main", 15);
        assertThat(h.takeSpawns()).containsExactly("spawn l post-stop");
        h.exit("l", "post-stop", 0);
        assertThat(stopped.get().state()).isEqualTo("waiting");
        assertThat(h.takeEvents()).containsExactly("stopping JOB=l INSTANCE= RESULT=ok", "stopped JOB=l INSTANCE= RESULT=ok");
        assertThat(h.scheduler.pending()).isZero();
    }

    @Test
    void taskHoldsStartUntilItHasFinished() throws Exception {
        h.job("t", "task\nexec work\n");
        var started = h.start("t");
        assertThat(started).isNotDone();
        assertThat(h.status("t")).isEqualTo("start/running");
        h.exit("t", "main", 0);
        assertThat(started.get().state()).isEqualTo("waiting");
        assertThat(started.get().instance()).isEmpty();
        assertThat(h.takeEvents()).containsExactly("starting JOB=t INSTANCE=", "started JOB=t INSTANCE=",
                "stopping JOB=t INSTANCE= RESULT=ok", "stopped JOB=t INSTANCE= RESULT=ok");
    }

    @Test
    void failingTaskFailsStartAndReportsItsExit() {
        h.job("t", "task\nexec work\n");
        var started = h.start("t");
        h.exit("t", "main", 3);
        assertThat(started).isCompletedExceptionally();
        assertThat(h.takeEvents()).contains("stopped JOB=t INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3");
    }

    @Test
    void preStartFailureStillRunsPostStop() {
        h.job("p", "pre-start exec pre\nexec main\npost-stop exec post\n");
        var started = h.start("p");
        h.kill("p", "pre-start", 9);
        assertThat(started).isCompletedExceptionally();
        assertThat(h.takeSpawns()).containsExactly("spawn p pre-start", "spawn p post-stop");
        h.exit("p", "post-stop", 0);
        assertThat(h.takeEvents()).containsExactly("starting JOB=p INSTANCE=",
                "stopping JOB=p INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=KILL",
                "stopped JOB=p INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=KILL");
    }

    @Test
    void spawnFailureHasNoExitVariable() {
        h.job("m", "exec /missing\n");
        h.launcher.failing.add("/missing");
        var started = h.start("m");
        assertThat(started).isCompletedExceptionally();
        assertThat(h.takeEvents()).contains("stopped JOB=m INSTANCE= RESULT=failed PROCESS=main");
    }

    @Test
    void anUnnamedSignalIsReportedByNumber() {
        h.job("t", "task\nexec work\n");
        h.start("t");
        h.kill("t", "main", 47);
        assertThat(h.takeEvents()).contains("stopping JOB=t INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=47");
    }

    @Test
    void onlyTheFirstFailureIsReported() throws Exception {
        h.job("p", "pre-start exec pre\nexec main\npost-stop exec post\n");
        var started = h.start("p");
        h.exit("p", "pre-start", 1);
        h.exit("p", "post-stop", 2);
        assertThat(started).isCompletedExceptionally();
        assertThat(h.takeEvents()).containsExactly("starting JOB=p INSTANCE=",
                "stopping JOB=p INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1",
                "stopped JOB=p INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1");
    }

    @Test
    void startingAgainClearsTheFailure() throws Exception {
        h.job("p", "pre-start exec pre\nexec main\npost-stop exec post\n");
        h.start("p");
        h.exit("p", "pre-start", 1);
        // Still in post-stop: the new start goes from post-stop straight to starting, without stopped.
        var again = h.start("p");
        h.exit("p", "post-stop", 0);
        h.exit("p", "pre-start", 0);
        assertThat(again.get().state()).isEqualTo("running");
        h.takeEvents();
        h.stop("p");
        h.kill("p", "main", 15);
        h.exit("p", "post-stop", 0);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=p INSTANCE= RESULT=ok", "stopped JOB=p INSTANCE= RESULT=ok");
    }

    @Test
    void postStopSpawnFailureFailsTheStop() {
        h.job("p", "exec main\npost-stop exec /missing\n");
        h.launcher.failing.add("/missing");
        h.start("p");
        h.takeEvents();
        var stopped = h.stop("p");
        h.kill("p", "main", 15);
        assertThat(stopped).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("Job failed while stopping");
        assertThat(h.takeEvents()).containsExactly("stopping JOB=p INSTANCE= RESULT=ok",
                "stopped JOB=p INSTANCE= RESULT=failed PROCESS=post-stop");
    }

    @Test
    void anExpectStopJobWaitsInSpawnedUntilItsMainProcessStopsItself() throws Exception {
        h.job("e", "expect stop\nexec main\npost-start exec ps\n");
        var started = h.start("e");
        long pid = h.launcher.pid("e", "main");
        assertThat(h.status("e")).isEqualTo("start/spawned");
        assertThat(h.takeSpawns()).containsExactly("spawn e main");
        assertThat(h.takeEvents()).containsExactly("starting JOB=e INSTANCE=");

        h.engine.processStopped(pid);
        h.engine.poll();

        assertThat(h.takeSpawns()).containsExactly("signal " + pid + " CONT", "spawn e post-start");
        h.exit("e", "post-start", 0);
        assertThat(started.get().state()).isEqualTo("running");
    }

    @Test
    void anExpectForkJobFollowsTheForkBeforeLeavingSpawned() throws Exception {
        h.job("f", "expect fork\nexec main\n");
        var started = h.start("f");
        long spawned = h.launcher.pid("f", "main");
        assertThat(h.status("f")).isEqualTo("start/spawned");
        assertThat(started).isNotDone();

        h.engine.mainPidResolved(spawned, 4242);
        h.engine.poll();

        assertThat(started.get().processes()).containsExactly(new LiveProcess("main", 4242));
        assertThat(h.status("f")).isEqualTo("start/running");
    }

    @Test
    void respawnWithinTheLimitEmitsNoStopped() {
        h.job("r", "respawn\nrespawn limit 2 10\nexec main\n");
        h.start("r");
        h.takeEvents();
        h.exit("r", "main", 1);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=r INSTANCE= RESULT=ok", "starting JOB=r INSTANCE=",
                "started JOB=r INSTANCE=");
        h.exit("r", "main", 1);
        h.takeEvents();
        h.exit("r", "main", 1);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=r INSTANCE= RESULT=failed PROCESS=respawn",
                "stopped JOB=r INSTANCE= RESULT=failed PROCESS=respawn");
        assertThat(h.takeSpawns()).filteredOn(l -> l.startsWith("spawn")).hasSize(3);
        assertThat(h.log).filteredOn(l -> l.contains("respawn")).containsExactly("r main process ended, respawning",
                "r main process ended, respawning", "r respawning too fast, stopped");
    }

    /** A respawning task is respawned only on failure, and holds the event that started it until it gives up. */
    @Test
    void aRespawningTaskThatRunsAwayFailsTheEventItHolds() {
        h.job("t", "start on go\ntask\nrespawn\nrespawn limit 1 10\nexec work\n");
        var go = h.emit("go", "A=1");
        h.takeEvents();
        h.exit("t", "main", 1);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=t INSTANCE= RESULT=ok", "starting JOB=t INSTANCE=",
                "started JOB=t INSTANCE=");
        assertThat(go).isNotDone();
        h.exit("t", "main", 1);
        assertThat(go).isCompletedExceptionally();
        // the failure releases go at once; its failed event is queued before the stop sequence ends
        assertThat(h.takeEvents()).containsExactly("stopping JOB=t INSTANCE= RESULT=failed PROCESS=respawn",
                "go/failed A=1", "stopped JOB=t INSTANCE= RESULT=failed PROCESS=respawn");
    }

    /** A start during pre-stop, then the main process dies: the respawn waits for pre-stop, as in post-start. */
    @Test
    void mainExitDuringPreStopWithGoalStartRespawnsOncePreStopEnds() throws Exception {
        h.job("p", "respawn\nexec main\npre-stop exec ps\n");
        h.start("p");
        h.stop("p");
        var started = h.start("p");
        h.takeEvents();
        h.takeSpawns();
        h.exit("p", "main", 1);
        assertThat(h.status("p")).isEqualTo("respawn/pre-stop");
        assertThat(h.takeSpawns()).isEmpty();
        h.exit("p", "pre-stop", 0);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=p INSTANCE= RESULT=ok", "starting JOB=p INSTANCE=",
                "started JOB=p INSTANCE=");
        assertThat(h.takeSpawns()).containsExactly("spawn p main");
        assertThat(started.get().state()).isEqualTo("running");
    }

    /**
     * Upstart's job_process_stopped: only the main process of an expect stop job stopping while the job waits in
     * spawned moves it on (with SIGCONT); every other stop, and pids the engine does not know, change nothing.
     */
    @Test
    void onlyAnExpectStopMainProcessStoppingInSpawnedMovesTheJobOn() {
        h.job("s", "expect stop\npre-start exec pre\nexec main\n").job("f", "expect fork\nexec main\n");
        h.start("s");
        stopped(h.launcher.pid("s", "pre-start"));
        stopped(4242);
        h.engine.processExited(4242, ExitStatus.exited(1));
        h.engine.poll();
        assertThat(h.status("s")).isEqualTo("start/pre-start");
        h.exit("s", "pre-start", 0);
        long main = h.launcher.pid("s", "main");
        assertThat(h.status("s")).isEqualTo("start/spawned");
        h.takeSpawns();
        stopped(main);
        assertThat(h.takeSpawns()).containsExactly("signal " + main + " CONT");
        assertThat(h.status("s")).isEqualTo("start/running");
        stopped(main);
        assertThat(h.takeSpawns()).isEmpty();

        h.start("f");
        h.takeSpawns();
        stopped(h.launcher.pid("f", "main"));
        assertThat(h.takeSpawns()).isEmpty();
        assertThat(h.status("f")).isEqualTo("start/spawned");
    }

    private void stopped(long pid) {
        h.engine.processStopped(pid);
        h.engine.poll();
    }

    /** Upstart's job_class_environment: the global table (PATH, TERM) first, the class's env replacing in place. */
    @Test
    void classEnvReplacesTheGlobalTableInPlace() {
        h.job("e", "env FOO=1\nenv PATH=/opt/bin\nexec main\n");
        h.start("e");
        assertThat(h.launcher.request("e", "main").env()).startsWith("PATH=/opt/bin", "FOO=1");
    }

    @Test
    void respawnWindowRestartsAfterTheInterval() {
        h.job("r", "respawn\nrespawn limit 1 5\nexec main\n");
        h.start("r");
        h.exit("r", "main", 1);
        h.advance(Duration.ofSeconds(6));
        h.exit("r", "main", 1);
        assertThat(h.status("r")).isEqualTo("start/running");
    }

    @Test
    void normalExitIsNotAFailure() {
        h.job("n", "respawn\nnormal exit 0 TERM\nexec main\n");
        h.start("n");
        h.takeEvents();
        h.kill("n", "main", 15);
        assertThat(h.takeEvents()).containsExactly("stopping JOB=n INSTANCE= RESULT=ok", "stopped JOB=n INSTANCE= RESULT=ok");
    }

    @Test
    void killTimeoutEscalatesToSigkill() throws Exception {
        h.job("k", "kill timeout 2\nkill signal INT\nexec main\n");
        h.start("k");
        long pid = h.launcher.pid("k", "main");
        var stopped = h.stop("k");
        h.takeSpawns();
        h.advance(Duration.ofSeconds(2));
        assertThat(h.takeSpawns()).containsExactly("signal " + pid + " KILL group");
        h.kill("k", "main", 9);
        assertThat(stopped.get().state()).isEqualTo("waiting");
        assertThat(h.takeEvents()).contains("stopped JOB=k INSTANCE= RESULT=ok");
    }

    @Test
    void startingBlocksUntilTheTaskItStartedHasFinished() {
        h.job("svc", "exec main\n").job("before", "start on starting svc\ntask\nexec prep\n");
        var started = h.start("svc");
        assertThat(h.takeSpawns()).containsExactly("spawn before main");
        assertThat(h.status("svc")).isEqualTo("start/starting");
        h.exit("before", "main", 0);
        assertThat(h.takeSpawns()).containsExactly("spawn svc main");
        assertThat(started).isDone();
    }

    @Test
    void andOrHaveEqualPrecedenceAndEventsReachTheJob() {
        h.job("j", "start on a or b and c\nexec main\n");
        var a = h.emit("a", "X=1");
        assertThat(h.takeSpawns()).isEmpty();
        assertThat(a).isNotDone();
        h.emit("c", "Y=2");
        assertThat(h.takeSpawns()).containsExactly("spawn j main");
        assertThat(h.env("j", "main")).containsEntry("UPSTART_EVENTS", "a c").containsEntry("X", "1")
                .containsEntry("Y", "2").containsEntry("UPSTART_JOB", "j").containsEntry("UPSTART_INSTANCE", "");
        assertThat(a).isDone();
    }

    @Test
    void stopOnExpandsAgainstTheInstanceEnvironmentAndFeedsPostStop() throws Exception {
        h.job("j", "start on up\nstop on down IFACE=$IFACE\nexec main\npost-stop exec post\n");
        h.emit("up", "IFACE=eth0");
        h.emit("down", "IFACE=eth1");
        assertThat(h.status("j")).isEqualTo("start/running");
        var down = h.emit("down", "IFACE=eth0", "WHY=x");
        h.kill("j", "main", 15);
        assertThat(h.env("j", "post-stop")).containsEntry("UPSTART_STOP_EVENTS", "down").containsEntry("WHY", "x")
                .containsEntry("UPSTART_EVENTS", "up");
        h.exit("j", "post-stop", 0);
        assertThat(down.get()).isNull();
    }

    @Test
    void failedEventIsFollowedByItsFailedEvent() {
        h.job("t", "start on go\ntask\nexec work\n");
        var go = h.emit("go", "A=1");
        h.exit("t", "main", 1);
        assertThat(go).isCompletedExceptionally();
        assertThat(h.takeEvents()).contains("go/failed A=1");
    }

    @Test
    void restartEmitsNoStoppedAndKeepsTheInstance() throws Exception {
        h.job("s", "exec main\n");
        h.start("s");
        h.takeEvents();
        var restarted = h.restart("s");
        h.kill("s", "main", 15);
        assertThat(restarted.get().state()).isEqualTo("running");
        assertThat(h.takeEvents()).containsExactly("stopping JOB=s INSTANCE= RESULT=ok", "starting JOB=s INSTANCE=",
                "started JOB=s INSTANCE=");
    }

    @Test
    void restartWithPreStopIsCancelledByThePreStopRule() throws Exception {
        h.job("s", "exec main\npre-stop exec ps\n");
        h.start("s");
        var restarted = h.restart("s");
        h.exit("s", "pre-stop", 0);
        assertThat(restarted.get().state()).isEqualTo("running");
        assertThat(h.takeSpawns()).filteredOn(l -> l.contains("main")).hasSize(1);
    }

    @Test
    void aStartDuringPreStopReturnsToRunningAndReleasesWhatItHeld() throws Exception {
        h.job("s", "stop on down\nexec main\npre-stop exec ps\n");
        h.start("s");
        var down = h.emit("down");
        assertThat(down).isNotDone();
        assertThat(h.status("s")).isEqualTo("stop/pre-stop");

        // The start supersedes the stop: the event that stopped the job is released at once, the start itself
        // when pre-stop has ended and the job is running again.
        var started = h.start("s");
        assertThat(down).isCompletedWithValue(null);
        assertThat(started).isNotDone();
        h.exit("s", "pre-stop", 0);
        assertThat(started.get().state()).isEqualTo("running");
        assertThat(h.takeEvents()).filteredOn(e -> e.startsWith("stopping")).isEmpty();
    }

    @Test
    void instancesAndTheirErrors() throws Exception {
        h.job("svc", "instance $NAME\nusage \"svc NAME=x\"\nexec main\n");
        assertThat(h.start("svc", "NAME=a").get().instance()).isEqualTo("a");
        assertThat(h.start("svc", "NAME=a")).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(ControlException.class).withMessageContaining("Job is already running: svc (a)");
        assertThat(h.start("svc")).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("Unknown parameter: NAME\nUsage: svc NAME=x");
        assertThat(h.stop("svc", "NAME=b")).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("Unknown instance: b");
    }

    @Test
    void mainExitDuringPostStartWaitsForPostStart() {
        h.job("p", "respawn\nexec main\npost-start exec ps\n");
        h.start("p");
        h.exit("p", "main", 1);
        // The deferred respawn is the goal Upstart reports (job_goal_name: "respawn").
        assertThat(h.status("p")).isEqualTo("respawn/post-start");
        h.exit("p", "post-start", 0);
        assertThat(h.takeEvents()).contains("stopping JOB=p INSTANCE= RESULT=ok");
        assertThat(h.launcher.live.values()).anyMatch(r -> r.kind().wireName().equals("main"));
    }

    @Test
    void exportedVariablesFollowTheStandardOnes() {
        h.job("e", "env FOO=bar\nexport FOO JOB\nexec main\n");
        h.start("e");
        assertThat(h.takeEvents()).containsExactly("starting JOB=e INSTANCE= FOO=bar", "started JOB=e INSTANCE= FOO=bar");
    }

    /** test_conf: a reload replaces the class, but the event its running task holds stays blocked until it ends. */
    @Test
    void aReloadDoesNotReleaseAnEventARunningTaskHolds() {
        h.job("t", "start on go\ntask\nexec work\n");
        var go = h.emit("go");
        h.job("t", "start on go\ntask\nexec work\n");
        assertThat(go).isNotDone();
        h.exit("t", "main", 0);
        assertThat(go).isCompleted().isNotCompletedExceptionally();
    }

    @Test
    void replacedClassTakesOverWhenTheLastInstanceStops() {
        h.job("s", "exec one\n");
        h.start("s");
        h.job("s", "exec two\n");
        h.stop("s");
        h.kill("s", "main", 15);
        h.takeSpawns();
        h.start("s");
        assertThat(h.launcher.request("s", "main").command().text()).isEqualTo("two");
    }

    @Test
    void aDeletedClassStillMakesInstancesUntilItsLastInstanceStops() {
        h.job("w", "instance $N\nstart on go\nexec work\n");
        h.start("w", "N=a");
        h.engine.removeClass("w");

        assertThat(h.start("w", "N=b")).isCompleted().isNotCompletedExceptionally();
        h.emit("go", "N=c");
        assertThat(h.takeSpawns()).containsExactly("spawn w (a) main", "spawn w (b) main", "spawn w (c) main");

        for (String n : List.of("a", "b", "c")) {
            h.stop("w", "N=" + n);
            h.kill("w", "main", 15); // the oldest live one: this instance
        }
        assertThat(h.engine.hasClass("w")).isFalse();
        assertThat(h.start("w", "N=d")).isCompletedExceptionally();
    }
}
