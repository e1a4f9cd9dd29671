package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The replies and refusals of the job commands (spec §8.2, §8.3), driven with fakes. */
class EngineCommandsTest {
    private final EngineHarness h = new EngineHarness();

    @Test
    void stopOfAnInstancePrintsTheClassAloneOnceItIsGone() throws Exception {
        h.job("w", "instance $NAME\nexec main\n");
        h.start("w", "NAME=a");
        var stopped = h.stop("w", "NAME=a");
        h.kill("w", "main", 15);
        assertThat(stopped.get().job()).isEqualTo("w");
        assertThat(stopped.get().instance()).isEmpty();
        assertThat(stopped.get().goal() + "/" + stopped.get().state()).isEqualTo("stop/waiting");
    }

    @Test
    void finishedInstanceTaskPrintsTheClassAlone() throws Exception {
        h.job("t", "task\ninstance $N\nexec work\n");
        var started = h.start("t", "N=x");
        h.exit("t", "main", 0);
        assertThat(started.get().instance()).isEmpty();
        assertThat(started.get().state()).isEqualTo("waiting");
    }
}
