package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real agent and initctl: job output held while the log directory is not writable and written by
 * {@code initctl notify-disk-writeable}; {@code apparmor load}/{@code switch} on a machine without AppArmor.
 */
class JobLogsAndSecurityIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);
    private static AgentProcess agent;

    @BeforeAll
    static void startAgent() {
        agent = AgentProcess.start(AgentProcess.Options.quiet(), a -> {
            a.writeJob("early", "console log\ntask\nscript\n    echo before mount\nend script\n");
            a.writeJob("confined", "apparmor load /etc/apparmor.d/confined\napparmor switch $PROFILE\n"
                    + "env PROFILE=confined\nconsole log\ntask\nexec echo ran\n");
        });
    }

    @AfterAll
    static void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void outputOfAJobThatEndedBeforeTheDiskWasWriteableIsWrittenOnNotify() throws IOException {
        Path logDir = agent.logDir();
        Path aside = Files.move(logDir, logDir.resolveSibling("log.aside"));
        Files.writeString(logDir, "a file where the log directory should be");
        try {
            assertThat(agent.initctl("start", "early").rc()).isZero(); // a task: returns when it has ended
            Initctl refused = agent.initctl("notify-disk-writeable");
            assertThat(refused.rc()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo("initctl: Not a directory\n");
        } finally {
            Files.delete(logDir);
            Files.move(aside, logDir);
        }
        Initctl ok = agent.initctl("notify-disk-writeable");
        assertThat(ok.rc()).as(ok.toString()).isZero();
        assertThat(ok.out()).isEmpty();
        assertThat(Files.readString(logDir.resolve("early.log"))).isEqualTo("before mount\r\n");
    }

    @Test
    void withoutAppArmorProfilesAreNeitherLoadedNorSwitched() throws IOException {
        if (Files.exists(Path.of("/sys/module/apparmor/parameters/enabled"))) {
            return; // only meaningful on a machine without AppArmor
        }
        assertThat(agent.initctl("start", "confined").rc()).isZero();
        Path log = agent.logDir().resolve("confined.log");
        Poll.until(log + " written", LIMIT, () -> Files.exists(log));
        assertThat(Files.readString(log)).isEqualTo("ran\r\n");
        assertThat(agent.events()).noneMatch(l -> l.contains("PROCESS=security"));
    }
}
