package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code apparmor load}: the security process and state between starting and pre-start (spec §6.2, §6.3). */
class SecurityStateTest {
    private static final String PARSER = "/sbin/apparmor_parser";
    private final EngineHarness h = new EngineHarness();

    {
        h.engine.logPriority(LogPriority.INFO); // state changes are logged at info
    }

    @Test
    void enabledAppArmorRunsTheParserBeforePreStartAndIgnoresItsExit() throws Exception {
        h.launcher.appArmorParser = Optional.of(PARSER);
        h.job("s", "apparmor load /etc/apparmor.d/s\npre-start exec pre\nexec main\n");
        var started = h.start("s");
        assertThat(h.takeSpawns()).containsExactly("spawn s security");
        assertThat(h.launcher.request("s", "security").command().text()).isEqualTo(PARSER + " -r -W /etc/apparmor.d/s");
        assertThat(h.env("s", "security")).containsEntry("UPSTART_JOB", "s");
        assertThat(h.status("s")).isEqualTo("start/security");
        assertThat(h.commands.status(dev.upfleet.agent.control.JobControl.JobRef.byName("s"), java.util.List.of())
                .processes()).extracting(p -> p.kind()).containsExactly("security");

        h.exit("s", "security", 1);
        assertThat(h.takeSpawns()).containsExactly("spawn s pre-start");
        h.exit("s", "pre-start", 0);
        assertThat(started.get().state()).isEqualTo("running");
        assertThat(h.log).containsSubsequence("s state changed from starting to security",
                "s security process (100) terminated with status 1", "s state changed from security to pre-start");

        h.stop("s");
        h.kill("s", "main", 15);
        assertThat(h.takeEvents()).contains("stopped JOB=s INSTANCE= RESULT=ok");
    }

    @Test
    void disabledAppArmorSkipsTheSecurityState() throws Exception {
        h.job("s", "apparmor load /etc/apparmor.d/s\nexec main\n");
        assertThat(h.start("s").get().state()).isEqualTo("running");
        assertThat(h.takeSpawns()).containsExactly("spawn s main");
        assertThat(h.log).noneMatch(line -> line.contains("security"))
                .contains("s state changed from starting to pre-start");
    }

    @Test
    void jobsWithoutAProfileNeverEnterSecurity() throws Exception {
        h.launcher.appArmorParser = Optional.of(PARSER);
        h.job("s", "exec main\n");
        assertThat(h.start("s").get().state()).isEqualTo("running");
        assertThat(h.takeSpawns()).containsExactly("spawn s main");
        assertThat(h.log).noneMatch(line -> line.contains("security"));
    }

    @Test
    void aParserThatCannotBeSpawnedFailsTheJob() {
        h.launcher.appArmorParser = Optional.of(PARSER);
        h.launcher.failing.add(PARSER + " -r -W p");
        h.job("s", "apparmor load p\nexec main\npost-stop exec post\n");
        var started = h.start("s");
        assertThat(started).isCompletedExceptionally();
        assertThat(h.takeSpawns()).containsExactly("spawn s security FAILED", "spawn s post-stop");
        h.exit("s", "post-stop", 0);
        assertThat(h.takeEvents()).containsExactly("starting JOB=s INSTANCE=",
                "stopping JOB=s INSTANCE= RESULT=failed PROCESS=security",
                "stopped JOB=s INSTANCE= RESULT=failed PROCESS=security");
    }

    @Test
    void stopDuringSecurityTakesEffectWhenTheParserExits() throws Exception {
        h.launcher.appArmorParser = Optional.of(PARSER);
        h.job("s", "apparmor load p\nexec main\n");
        var started = h.start("s");
        var stopped = h.stop("s");
        assertThat(h.status("s")).isEqualTo("stop/security");
        h.exit("s", "security", 0);
        assertThat(stopped.get().state()).isEqualTo("waiting");
        assertThat(started).isDone();
        assertThat(h.takeSpawns()).containsExactly("spawn s security");
        assertThat(h.takeEvents()).containsExactly("starting JOB=s INSTANCE=", "stopping JOB=s INSTANCE= RESULT=ok",
                "stopped JOB=s INSTANCE= RESULT=ok");
    }
}
