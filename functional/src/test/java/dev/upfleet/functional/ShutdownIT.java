package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a booted agent: runlevel 0, every job through its stop sequence, exit 0, no process left; to a Session Init
 * ({@code --user}), session-end instead.
 */
class ShutdownIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);

    @Test
    void sigtermStopsEveryJobThroughItsStopSequenceAndExitsZero() throws IOException {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.booting(), a -> {
            Path dir = a.dir();
            a.writeJob("multiuser", """
                    start on runlevel [2345]
                    stop on runlevel [016]
                    exec sleep 1041
                    post-stop exec sh -c 'echo "RUNLEVEL=$RUNLEVEL STOP=$UPSTART_STOP_EVENTS" > "%s"'
                    """.formatted(dir.resolve("multiuser.post-stop")));
            a.writeJob("plain", """
                    start on startup
                    exec sh -c 'trap "" TERM; exec sleep 1042'
                    kill timeout 1
                    post-stop exec touch "%s"
                    """.formatted(dir.resolve("plain.post-stop")));
        })) {
            long multiuser = agent.awaitRunning("multiuser", LIMIT);
            long plain = agent.awaitRunning("plain", LIMIT);

            int exit = agent.terminate(Duration.ofSeconds(30));

            assertThat(exit).as("agent exit code; stderr: %s", agent.stderr()).isZero();
            assertThat(Procs.alive(multiuser)).isFalse();
            assertThat(Procs.alive(plain)).isFalse();
            assertThat(Procs.withEnv(agent.marker())).as("processes left behind").isEmpty();
            assertThat(Files.readString(agent.dir().resolve("multiuser.post-stop")))
                    .isEqualTo("RUNLEVEL=0 STOP=runlevel\n");
            assertThat(agent.dir().resolve("plain.post-stop")).exists();
            assertThat(agent.events()).anySatisfy(l -> assertThat(l)
                    .contains("\"name\":\"runlevel\"", "\"RUNLEVEL=0\"", "\"PREVLEVEL=2\""));
        }
    }

    @Test
    void aSessionInitStartsWithStartupAloneAndEndsWithSessionEnd() throws IOException {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.booting().withArgs("--user"), a -> {
            a.writeJob("session", "start on startup\nexec sleep 1043\n");
            a.writeJob("farewell", """
                    start on session-end
                    task
                    exec sh -c 'echo "TYPE=$TYPE" > "%s"'
                    """.formatted(a.dir().resolve("farewell.out")));
        })) {
            long session = agent.awaitRunning("session", LIMIT);
            assertThat(agent.events()).anySatisfy(l -> assertThat(l).contains("\"name\":\"startup\""))
                    .noneSatisfy(l -> assertThat(l).contains("\"name\":\"filesystem\""))
                    .noneSatisfy(l -> assertThat(l).contains("\"name\":\"runlevel\""));

            int exit = agent.terminate(Duration.ofSeconds(30));

            assertThat(exit).as("agent exit code; stderr: %s", agent.stderr()).isZero();
            assertThat(Procs.alive(session)).isFalse();
            assertThat(Procs.withEnv(agent.marker())).as("processes left behind").isEmpty();
            assertThat(Files.readString(agent.dir().resolve("farewell.out"))).isEqualTo("TYPE=shutdown\n");
            assertThat(agent.events()).anySatisfy(l -> assertThat(l).contains("\"name\":\"session-end\"", "\"TYPE=shutdown\""))
                    .noneSatisfy(l -> assertThat(l).contains("\"name\":\"shutdown\""));
        }
    }
}
