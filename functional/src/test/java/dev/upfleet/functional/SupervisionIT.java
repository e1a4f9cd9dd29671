package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Poll;
import dev.upfleet.functional.harness.Procs;
import dev.upfleet.proto.control.v1.JobRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Process supervision against real processes: respawn and its limit, kill timeout escalation, expect fork/daemon
 * with a forking shell daemon, console log. One agent serves every test; each test has jobs of its own.
 */
class SupervisionIT {
    private static final Duration LIMIT = Duration.ofSeconds(45);
    private static AgentProcess agent;

    @BeforeAll
    static void startAgent() {
        agent = AgentProcess.start(AgentProcess.Options.quiet(), a -> {
            a.writeJob("resp", "respawn\nexec sleep 1001\n");
            a.writeJob("limited", "respawn\nrespawn limit 2 5\nexec false\n");
            a.writeJob("stubborn", "kill timeout 1\nexec sh -c 'trap \"\" TERM; exec sleep 1002'\n");
            // A real forking daemon: the process that ends up as the daemon records its own pid.
            a.writeJob("forker", """
                    expect fork
                    respawn
                    script
                        sh -c 'echo $$ > "$PIDFILE"; exec sleep 1003' &
                    end script
                    """.replace("$PIDFILE", a.dir().resolve("forker.pid").toString()));
            a.writeJob("daemonizer", """
                    expect daemon
                    respawn
                    script
                        ( sh -c 'echo $$ > "$PIDFILE"; exec sleep 1004' & )
                    end script
                    """.replace("$PIDFILE", a.dir().resolve("daemonizer.pid").toString()));
            a.writeJob("talker", "console log\ntask\nscript\n    echo line one\n    echo line two\nend script\n");
            a.writeJob("greeter", "instance $WHO\nconsole log\ntask\nexec echo \"hello $WHO\"\n");
        });
    }

    @AfterAll
    static void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    /** The event-log lines about {@code job}, in order. */
    private static List<String> eventsOf(String job) {
        return agent.events().stream().filter(l -> l.contains("\"JOB=" + job + "\"")).toList();
    }

    private static List<String> eventNames(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll(".*\"name\":\"([^\"]+)\".*", "$1")).toList();
    }

    @Test
    void respawnsTheMainProcessAfterSigkill() {
        agent.start("resp");
        long first = agent.awaitRunning("resp", LIMIT);

        assertThat(Procs.signal(first, "KILL")).isTrue();

        long second = Poll.value("resp to run again with a new pid", LIMIT, () -> agent.mainPid("resp"),
                pid -> pid > 0 && pid != first);
        assertThat(Procs.alive(second)).isTrue();
        // Right after the spawn the child may not have exec'ed yet.
        Poll.until("the new process to exec sleep", LIMIT, () -> Procs.cmdline(second).equals("sleep 1001"));
        assertThat(Procs.alive(first)).isFalse();
        Poll.until("the second started event", LIMIT, () -> eventNames(eventsOf("resp")).size() >= 5);
        List<String> lines = eventsOf("resp");
        assertThat(eventNames(lines)).containsExactly("starting", "started", "stopping", "starting", "started");
        assertThat(lines.get(2)).contains("\"RESULT=ok\"");

        agent.stop("resp");
        assertThat(Procs.alive(second)).isFalse();
    }

    @Test
    void respawnLimitStopsTheJobAsFailed() {
        Initctl start = agent.initctl("start", "limited");
        // The main process may already have failed when initctl asks: either way the limit must end the job.
        assertThat(start.err()).doesNotContain("Unknown job");
        agent.awaitState("limited", "stop/waiting", LIMIT);

        assertThat(agent.initctl("status", "limited").out()).isEqualTo("limited stop/waiting\n");
        List<String> stopped = eventsOf("limited").stream().filter(l -> l.contains("\"name\":\"stopped\"")).toList();
        assertThat(stopped).hasSize(1);
        assertThat(stopped.getFirst()).contains("\"RESULT=failed\"", "\"PROCESS=respawn\"");
        assertThat(agent.stderr()).contains("limited respawning too fast, stopped");
    }

    @Test
    void killTimeoutEscalatesToSigkill() {
        agent.control().start(JobRequest.newBuilder().setJob("stubborn").build());
        long pid = agent.awaitRunning("stubborn", LIMIT);
        // The shell must have set its trap (and exec'ed sleep, which keeps TERM ignored) before we stop it.
        Poll.until("stubborn to exec sleep", LIMIT, () -> Procs.cmdline(pid).equals("sleep 1002"));

        long began = System.nanoTime();
        agent.control().stop(JobRequest.newBuilder().setJob("stubborn").build());
        Duration took = Duration.ofNanos(System.nanoTime() - began);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofSeconds(20));
        assertThat(Procs.alive(pid)).as("process %d after stop", pid).isFalse();
        agent.awaitState("stubborn", "stop/waiting", LIMIT);
        assertThat(agent.stderr()).contains("stubborn main process (" + pid + ") killed by KILL signal");
    }

    @Test
    void expectForkFollowsTheForkedDaemon() throws IOException {
        checkDaemonJob("forker", agent.dir().resolve("forker.pid"), "sleep 1003");
    }

    @Test
    void expectDaemonFollowsTheDoubleForkedDaemon() throws IOException {
        checkDaemonJob("daemonizer", agent.dir().resolve("daemonizer.pid"), "sleep 1004");
    }

    private static void checkDaemonJob(String job, Path pidFile, String daemonCmdline) throws IOException {
        Initctl start = agent.initctl("start", job);
        assertThat(start.rc()).as("%s", start).isZero();
        long daemon = readPid(pidFile);
        assertThat(start.out()).isEqualTo(job + " start/running, process " + daemon + "\n");
        assertThat(agent.mainPid(job)).isEqualTo(daemon);
        Poll.until("daemon to exec", LIMIT, () -> Procs.cmdline(daemon).equals(daemonCmdline));
        assertThat(Procs.withEnvAndCmdline(agent.marker(), daemonCmdline)).containsExactly(daemon);

        Procs.signal(daemon, "KILL");
        long again = Poll.value(job + " respawned with a new daemon", LIMIT, () -> agent.mainPid(job),
                pid -> pid > 0 && pid != daemon);
        Poll.until("the new daemon to record its pid", LIMIT, () -> readPidOrZero(pidFile) == again);
        assertThat(Procs.alive(again)).isTrue();

        assertThat(agent.initctl("stop", job).rc()).isZero();
        Poll.until("the daemon to be gone after stop", Duration.ofSeconds(5), () -> !Procs.alive(again));
        assertThat(Procs.withEnvAndCmdline(agent.marker(), daemonCmdline)).isEmpty();
    }

    private static long readPid(Path file) {
        return Poll.value(file + " written", LIMIT, () -> readPidOrZero(file), pid -> pid > 0);
    }

    private static long readPidOrZero(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    @Test
    void consoleLogGoesThroughAPtyIntoTheJobLog() throws IOException {
        agent.start("talker");
        Path log = agent.logDir().resolve("talker.log");
        Poll.until(log + " to hold both lines", LIMIT, () -> read(log).contains("line two"));
        assertThat(read(log)).isEqualTo("line one\r\nline two\r\n");

        agent.start("greeter", "WHO=bob");
        Path instanceLog = agent.logDir().resolve("greeter-bob.log");
        Poll.until(instanceLog + " written", LIMIT, () -> read(instanceLog).contains("\n"));
        assertThat(read(instanceLog)).isEqualTo("hello bob\r\n");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
