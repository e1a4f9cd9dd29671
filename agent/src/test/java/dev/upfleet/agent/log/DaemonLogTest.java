package dev.upfleet.agent.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** The daemon log's levels and line format (those of the Logback configuration it replaced). */
class DaemonLogTest {

    @Test
    void nettyAndGrpcLogOnlyWarningsAndTheMostSpecificPrefixWins() {
        DaemonLog log = new DaemonLog();
        log.initialize();
        assertThat(log.levelOf("init")).isEqualTo(Level.INFO);
        assertThat(log.levelOf("io.grpc.netty.NettyServer")).isEqualTo(Level.WARN);
        assertThat(log.levelOf("io.netty.channel.Foo")).isEqualTo(Level.WARN);
        assertThat(log.levelOf("io.netty.bootstrap.ServerBootstrap")).isEqualTo(Level.ERROR);
        assertThat(log.levelOf("io.nettyx")).isEqualTo(Level.INFO);
    }

    @Test
    void levelNamesAsLogbackReadsThem() {
        assertThat(DaemonLog.parseLevel("debug", Level.INFO)).isEqualTo(Level.DEBUG);
        assertThat(DaemonLog.parseLevel(" WARN ", Level.INFO)).isEqualTo(Level.WARN);
        assertThat(DaemonLog.parseLevel("ALL", Level.INFO)).isEqualTo(Level.TRACE);
        assertThat(DaemonLog.parseLevel("OFF", Level.INFO)).isNull();
        assertThat(DaemonLog.parseLevel("loud", Level.INFO)).isEqualTo(Level.INFO);
        assertThat(DaemonLog.parseLevel(null, Level.INFO)).isEqualTo(Level.INFO);
    }

    @Test
    void oneLinePerRecordThenTheStackTrace() {
        String nl = System.lineSeparator();
        assertThat(DaemonLog.render("a {} c {}", new Object[] {"b", 4}, null)).isEqualTo("upfleet-agent: a b c 4" + nl);
        assertThat(DaemonLog.render("plain", null, null)).isEqualTo("upfleet-agent: plain" + nl);
        assertThat(DaemonLog.render("failed", null, new IllegalStateException("boom")))
                .startsWith("upfleet-agent: failed" + nl + "java.lang.IllegalStateException: boom" + nl + "\tat ");
    }
}
