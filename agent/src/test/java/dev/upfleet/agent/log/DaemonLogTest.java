package dev.upfleet.agent.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
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
        withCapturedStderr((log, err) -> {
            onItsOwnThread(() -> {
                DaemonLog.holdLines();
                log.warn("one");
                log.warn("two");
                assertThat(err.get()).isEmpty();
                DaemonLog.flushHeld();
                assertThat(err.get()).isEqualTo(lines("one", "two"));
                log.warn("three");
                log.error("four");
                assertThat(err.get()).isEqualTo(lines("one", "two", "three", "four"));
            });
            log.warn("other thread"); // a thread that does not hold its lines writes each at once
            assertThat(err.get()).endsWith(lines("other thread"));
        });
    }

    @Test
    void aThreadThatReleasesItsLinesWritesWhatItHeldThenEachRecordAtOnce() throws Exception {
        withCapturedStderr((log, err) -> onItsOwnThread(() -> {
            DaemonLog.holdLines();
            log.warn("killed");
            assertThat(err.get()).isEmpty();
            DaemonLog.releaseLines();
            assertThat(err.get()).isEqualTo(lines("killed"));
            log.warn("later"); // outside a batch: not held until some later flush
            assertThat(err.get()).isEqualTo(lines("killed", "later"));
        }));
    }

    private interface CapturedTest {
        void run(org.slf4j.Logger log, Supplier<String> stderr) throws Exception;
    }

    /** Runs {@code test} with a fresh daemon log's logger and standard error captured (restored after). */
    private static void withCapturedStderr(CapturedTest test) throws Exception {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            DaemonLog factory = new DaemonLog();
            factory.initialize();
            test.run(factory.getLogger("init"), () -> err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    /** Runs {@code body} on a new thread (holding lines is per thread) and fails if it failed. */
    private static void onItsOwnThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(body);
        thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        thread.start();
        thread.join();
        assertThat(failure.get()).isNull();
    }

    private static String lines(String... messages) {
        StringBuilder out = new StringBuilder();
        for (String m : messages) {
            out.append("upfleet-agent: ").append(m).append(System.lineSeparator());
        }
        return out.toString();
    }
}
