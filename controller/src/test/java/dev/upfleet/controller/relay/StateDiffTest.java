package dev.upfleet.controller.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.proto.control.v1.InstanceStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateDiffTest {
    private static InstanceStatus s(String job, String instance, String state) {
        return InstanceStatus.newBuilder().setJob(job).setInstance(instance).setGoal("start").setState(state).build();
    }

    @Test
    void onlyChangedAndNewInstancesArePutAndVanishedOnesDeleted() {
        var stored = StateDiff.index(List.of(s("db", "", "running"), s("web", "1", "running"), s("web", "2", "running")));
        var reported = StateDiff.index(List.of(s("db", "", "running"), s("web", "1", "stopping"), s("cron", "", "waiting")));
        StateDiff diff = StateDiff.between(stored, reported, false);
        assertThat(diff.put()).containsExactly(s("web", "1", "stopping"), s("cron", "", "waiting"));
        assertThat(diff.delete()).containsExactly(s("web", "2", "running"));
    }

    @Test
    void aNewSessionRewritesEverythingOnItsLease() {
        var both = StateDiff.index(List.of(s("db", "", "running")));
        assertThat(StateDiff.between(both, both, false).isEmpty()).isTrue();
        assertThat(StateDiff.between(both, both, true).put()).containsExactly(s("db", "", "running"));
    }

    @Test
    void jobAndInstanceNamesDoNotRunTogether() {
        // "a" instance "b/c" and "a/b" instance "c" are different instances.
        var stored = StateDiff.index(List.of(s("a", "b/c", "running")));
        var reported = StateDiff.index(List.of(s("a/b", "c", "running")));
        StateDiff diff = StateDiff.between(stored, reported, false);
        assertThat(diff.put()).hasSize(1);
        assertThat(diff.delete()).hasSize(1);
    }
}
