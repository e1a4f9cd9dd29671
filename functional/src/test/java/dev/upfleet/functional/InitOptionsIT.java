package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * init(8)'s options for the first event, job output and the daemon log: --startup-event, --default-console, --no-log,
 * -v; and a Session Init's (--user) umask.
 */
class InitOptionsIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);

    /** A job that records where its standard error (a copy of its output) goes, then waits. */
    private static String recordsItsOutput(String startOn, String console, Path record) {
        return "start on " + startOn + "\n" + console + "exec sh -c 'echo hello; readlink /proc/$$/fd/2 > \"" + record
                + "\"; exec sleep 1071'\n";
    }

    /** The line the job wrote, once it has (the job is running before its shell gets there). */
    private static String recorded(Path record) {
        return Poll.value("a line in " + record, LIMIT, () -> {
            try {
                String text = Files.exists(record) ? Files.readString(record) : "";
                return text.endsWith("\n") ? text.strip() : null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, line -> line != null);
    }

    @Test
    void anotherStartupEventAndAnotherDefaultConsole() throws Exception {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.booting()
                .withArgs("--startup-event", "go", "--default-console", "none"), a -> {
            a.writeJob("plain", recordsItsOutput("go", "", a.dir().resolve("plain.fd1")));
            a.writeJob("logged", recordsItsOutput("go", "console log\n", a.dir().resolve("logged.fd1")));
            a.writeJob("on-startup", "start on startup\nexec sleep 1072\n");
        })) {
            agent.awaitRunning("plain", LIMIT);
            agent.awaitRunning("logged", LIMIT);
            assertThat(recorded(agent.dir().resolve("plain.fd1"))).isEqualTo("/dev/null");
            assertThat(recorded(agent.dir().resolve("logged.fd1"))).startsWith("/dev/pts/");
            assertThat(agent.status("on-startup").getGoal()).isEqualTo("stop");
            assertThat(agent.events()).anySatisfy(l -> assertThat(l).contains("\"name\":\"go\""))
                    .noneSatisfy(l -> assertThat(l).contains("\"name\":\"startup\""))
                    .noneSatisfy(l -> assertThat(l).contains("\"name\":\"runlevel\""));
        }
    }

    @Test
    void noLogDiscardsConsoleLogOutputAndVerboseLogsStateChanges() throws Exception {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.booting().withArgs("--no-log", "--verbose"), a ->
                a.writeJob("logged", recordsItsOutput("startup", "console log\n", a.dir().resolve("logged.fd1"))))) {
            agent.awaitRunning("logged", LIMIT);
            assertThat(recorded(agent.dir().resolve("logged.fd1"))).isEqualTo("/dev/null");
            assertThat(agent.logDir().resolve("logged.log")).doesNotExist();
            Poll.until("state changes in the daemon log", LIMIT,
                    () -> agent.stderr().contains("logged state changed from waiting to starting"));
        }
    }

    /** A Session Init's jobs inherit its umask (Upstart's job_class_new); a umask stanza still wins. */
    @Test
    void aSessionInitsJobsInheritItsUmask() throws Exception {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.booting().withArgs("--user")
                .withWrapper("sh", "-c", "umask 027; exec \"$@\"", "sh"), a -> {
            a.writeJob("inherits", recordsItsUmask("", a.dir().resolve("inherits.umask")));
            a.writeJob("explicit", recordsItsUmask("umask 0002\n", a.dir().resolve("explicit.umask")));
        })) {
            assertThat(recorded(agent.dir().resolve("inherits.umask"))).isEqualTo("0027");
            assertThat(recorded(agent.dir().resolve("explicit.umask"))).isEqualTo("0002");
        }
    }

    private static String recordsItsUmask(String stanza, Path record) {
        return "start on startup\n" + stanza + "exec sh -c 'umask > \"" + record + "\"; exec sleep 1073'\n";
    }
}
