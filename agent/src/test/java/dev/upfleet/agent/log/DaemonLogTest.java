package dev.upfleet.agent.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    @Test
    void aThreadThatHoldsItsLinesWritesThemWhenItFlushesOrOnAnError() throws Exception {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            DaemonLog factory = new DaemonLog();
            factory.initialize();
            org.slf4j.Logger log = factory.getLogger("init");
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread holder = new Thread(() -> {
                DaemonLog.holdLines();
                log.warn("one");
                log.warn("two");
                assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
                DaemonLog.flushHeld();
                assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(lines("one", "two"));
                log.warn("three");
                log.error("four");
                assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(lines("one", "two", "three", "four"));
            });
            holder.setUncaughtExceptionHandler((t, e) -> failure.set(e));
            holder.start();
            holder.join();
            assertThat(failure.get()).isNull();
            log.warn("other thread"); // a thread that does not hold its lines writes each at once
            assertThat(err.toString(StandardCharsets.UTF_8)).endsWith(lines("other thread"));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void aThreadThatReleasesItsLinesWritesWhatItHeldThenEachRecordAtOnce() throws Exception {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            DaemonLog factory = new DaemonLog();
            factory.initialize();
            org.slf4j.Logger log = factory.getLogger("init");
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread reaper = new Thread(() -> {
                DaemonLog.holdLines();
                log.warn("killed");
                assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
                DaemonLog.releaseLines();
                assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(lines("killed"));
                log.warn("later"); // outside a batch: not held until some later flush
                assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(lines("killed", "later"));
            });
            reaper.setUncaughtExceptionHandler((t, e) -> failure.set(e));
            reaper.start();
            reaper.join();
            assertThat(failure.get()).isNull();
        } finally {
            System.setErr(saved);
        }
    }

    private static String lines(String... messages) {
        StringBuilder out = new StringBuilder();
        for (String m : messages) {
            out.append("upfleet-agent: ").append(m).append(System.lineSeparator());
        }
        return out.toString();
    }
}
