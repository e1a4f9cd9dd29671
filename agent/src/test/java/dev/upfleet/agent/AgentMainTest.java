package dev.upfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.LogPriority;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command lines parsed without picocli, and those left to it. */
class AgentMainTest {

    @Test
    void theUsualStandaloneLineIsParsedDirectly() {
        AgentMain m = AgentMain.quickParse(new String[] {"--confdir", "/a", "--confdir=/b", "--socket", "s.sock",
                "--log-dir", "log", "--state-dir=state", "--no-startup-event", "--event-log", "ev.json", "--node", "n1",
                "--metrics-port", "9100", "--metrics-address=127.0.0.1", "--runlevel", "3", "--no-inherit-env",
                "--socket-mode", "0660"});
        assertThat(m).isNotNull();
        assertThat(m.confDirs).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(m.socket).isEqualTo(Path.of("s.sock"));
        assertThat(m.logDir).isEqualTo(Path.of("log"));
        assertThat(m.stateDir).isEqualTo(Path.of("state"));
        assertThat(m.noStartupEvent).isTrue();
        assertThat(m.eventLog).isEqualTo(Path.of("ev.json"));
        assertThat(m.node).isEqualTo("n1");
        assertThat(m.metricsPort).isEqualTo(9100);
        assertThat(m.metricsAddress).isEqualTo("127.0.0.1");
        assertThat(m.runlevel).isEqualTo("3");
        assertThat(m.noInheritEnv).isTrue();
        assertThat(m.socketMode).isEqualTo("0660");
    }

    @Test
    void defaultsAreThoseOfPicocli() {
        AgentMain quick = AgentMain.quickParse(new String[0]);
        AgentMain picocli = new AgentMain();
        new picocli.CommandLine(picocli).parseArgs();
        assertThat(quick).isNotNull();
        assertThat(fields(quick)).isEqualTo(fields(picocli));
    }

    private static List<Object> fields(AgentMain m) {
        return java.util.Arrays.asList(m.confDirs, m.socket, m.logDir, m.stateDir, m.noStartupEvent, m.eventLog, m.node,
                m.metricsPort, m.metricsAddress, m.runlevel, m.noInheritEnv, m.socketMode, m.user, m.prependConfDirs,
                m.appendConfDirs, m.startupEvent, m.noLog, m.defaultConsole, m.verbose, m.debug, m.quiet);
    }

    /** The fast path is only a shortcut: wherever it answers, picocli must give the same options. */
    @ParameterizedTest
    @ValueSource(strings = {"--confdir /a --confdir=/b --socket s.sock --log-dir log --state-dir=state",
            "--no-startup-event --event-log ev.json --node n1 --metrics-port 9100 --metrics-address=127.0.0.1",
            "--runlevel 3 --no-inherit-env --socket-mode 0660", "--node=web-1 --state-dir /var/lib/x --confdir c",
            "--user --prepend-confdir /p --append-confdir=/q --append-confdir /r",
            "--logdir /l --no-log --default-console none --startup-event boot", "--default-console=owner",
            "-v --quiet", "--verbose --debug -q"})
    void whereTheFastPathAnswersPicocliAgrees(String line) {
        AgentMain quick = AgentMain.quickParse(line.split(" "));
        AgentMain picocli = new AgentMain();
        new picocli.CommandLine(picocli).parseArgs(line.split(" "));
        assertThat(quick).isNotNull();
        assertThat(fields(quick)).isEqualTo(fields(picocli));
    }

    @Test
    void upstartsOwnSpellingsOfTheLogOptions() {
        AgentMain m = AgentMain.quickParse(new String[] {"--logdir", "/l", "--no-log", "--default-console", "output",
                "--startup-event", "boot"});
        assertThat(m).isNotNull();
        assertThat(m.logDir).isEqualTo(Path.of("/l"));
        assertThat(m.noLog).isTrue();
        assertThat(m.defaultConsole).isEqualTo("output");
        assertThat(m.startupEvent).isEqualTo("boot");
        assertThat(dev.upfleet.core.job.Console.fromWireName("owner")).contains(dev.upfleet.core.job.Console.OWNER);
        assertThat(dev.upfleet.core.job.Console.fromWireName("Owner")).isEmpty(); // as Upstart's strcmp
    }

    @Test
    void theMostTalkativeLogOptionWins() {
        assertThat(AgentMain.quickParse(new String[0]).logPriority()).isEqualTo(LogPriority.MESSAGE);
        assertThat(AgentMain.quickParse(new String[] {"-q"}).logPriority()).isEqualTo(LogPriority.ERROR);
        assertThat(AgentMain.quickParse(new String[] {"-q", "-v"}).logPriority()).isEqualTo(LogPriority.INFO);
        assertThat(AgentMain.quickParse(new String[] {"--verbose", "--debug"}).logPriority()).isEqualTo(LogPriority.DEBUG);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "--version", "--controller=h:1", "--label=a=b", "--insecure", "--bogus",
            "positional", "--socket", "--socket --log-dir", "--metrics-port=x", "--socket-mode=9",
            "--no-startup-event=true", "--confdir=a\0b", "--default-console=loud", "--default-console LOG"})
    void anythingElseIsLeftToPicocli(String line) {
        assertThat(AgentMain.quickParse(line.split(" "))).isNull();
    }
}
