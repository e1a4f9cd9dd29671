package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Upstart's job_next_state, row by row (spec §6.2). */
class TransitionsTest {

    @ParameterizedTest(name = "{0} + goal {1} (main alive {2}) -> {3} with goal {4}")
    @CsvSource({
        "WAITING, START, false, STARTING, START",
        "STARTING, START, false, SECURITY, START",
        "STARTING, STOP, false, STOPPING, STOP",
        "SECURITY, START, false, PRE_START, START",
        "SECURITY, STOP, false, STOPPING, STOP",
        "PRE_START, START, false, SPAWNED, START",
        "PRE_START, STOP, false, STOPPING, STOP",
        "SPAWNED, START, true, POST_START, START",
        "SPAWNED, STOP, true, STOPPING, STOP",
        "POST_START, START, true, RUNNING, START",
        "POST_START, STOP, true, STOPPING, STOP",
        "POST_START, RESPAWN, false, STOPPING, START",
        "RUNNING, START, false, STOPPING, START",
        "RUNNING, STOP, true, PRE_STOP, STOP",
        "RUNNING, STOP, false, STOPPING, STOP",
        "RUNNING, RESPAWN, false, STOPPING, START",
        "PRE_STOP, START, true, RUNNING, START",
        "PRE_STOP, STOP, true, STOPPING, STOP",
        "PRE_STOP, RESPAWN, false, STOPPING, START",
        "STOPPING, START, true, KILLED, START",
        "STOPPING, STOP, true, KILLED, STOP",
        "KILLED, START, false, POST_STOP, START",
        "KILLED, STOP, false, POST_STOP, STOP",
        "POST_STOP, START, false, STARTING, START",
        "POST_STOP, STOP, false, WAITING, STOP",
    })
    void nextState(JobState state, Goal goal, boolean mainAlive, JobState next, Goal nextGoal) {
        assertThat(Transitions.next(state, goal, mainAlive)).isEqualTo(new Transitions.Next(next, nextGoal));
    }

    @ParameterizedTest
    @CsvSource({"WAITING, waiting", "STARTING, starting", "SECURITY, security", "PRE_START, pre-start",
        "SPAWNED, spawned", "POST_START, post-start", "RUNNING, running", "PRE_STOP, pre-stop", "STOPPING, stopping",
        "KILLED, killed", "POST_STOP, post-stop"})
    void wireNamesRoundTrip(JobState state, String wire) {
        assertThat(state.wireName()).isEqualTo(wire);
        assertThat(JobState.fromWireName(wire)).isEqualTo(state);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bogus", "pre_start", "stop"})
    void unknownStateNamesAreRejected(String wire) {
        assertThatThrownBy(() -> JobState.fromWireName(wire)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"STOP, stop", "START, start", "RESPAWN, respawn"})
    void goalWireNames(Goal goal, String wire) {
        assertThat(goal.wireName()).isEqualTo(wire);
    }
}
