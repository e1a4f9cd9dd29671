package dev.upfleet.cli.initctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The AOT training run needs no agent: every command it runs succeeds (or is refused) against its stand-in. */
class AotTrainingTest {
    @Test
    void trainingRunSucceedsWithoutAnAgent() {
        assertThat(AotTraining.run(Map.of())).isZero();
    }
}
