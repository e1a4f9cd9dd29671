package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code debug}: the launcher stops each process before exec (see the process tests); the engine logs it as Upstart
 * does and, with no expect, moves on as soon as the process is spawned.
 */
class DebugStanzaTest {
    private final EngineHarness h = new EngineHarness();

    @Test
    void everySpawnIsLoggedAsPausedBeforeItsProcessLine() throws Exception {
        h.engine.logPriority(LogPriority.INFO);
        h.job("d", "debug\npre-start exec pre\nexec main\n");
        h.launcher.lines.clear();
        var started = h.start("d");
        h.exit("d", "pre-start", 0);
        assertThat(started.get().state()).isEqualTo("running");
        assertThat(h.log).containsSubsequence("Pausing d (100) [pre-exec] for debug", "d pre-start process (100)",
                "Pausing d (101) [pre-exec] for debug", "d main process (101)");
        assertThat(h.launcher.request("d", "main").job().debug()).isTrue();
    }
}
