package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RealSchedulerTest {
    @Test
    void aKillTimeoutBeyondNanosecondsMeansNever() {
        assertThat(RealScheduler.saturatedNanos(Duration.ofSeconds(5))).isEqualTo(5_000_000_000L);
        assertThat(RealScheduler.saturatedNanos(Duration.ofSeconds(3_000_000_000L))).isEqualTo(3_000_000_000_000_000_000L);
        assertThat(RealScheduler.saturatedNanos(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    }
}
