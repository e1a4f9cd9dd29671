package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironTest {
    @Test
    void pairsNeedAVariableNameBeforeTheEqualsSign() {
        assertThat(Environ.allValid(List.of("A=1", "_b2=", "PATH=/x=y"))).isTrue();
        assertThat(Environ.allValid(List.of("A"))).isFalse();
        assertThat(Environ.allValid(List.of("=x"))).isFalse();
        assertThat(Environ.allValid(List.of("1A=x"))).isFalse();
        assertThat(Environ.allValid(List.of("A-B=x"))).isFalse();
        assertThat(Environ.allValid(List.of("A B=x"))).isFalse();
    }
}
