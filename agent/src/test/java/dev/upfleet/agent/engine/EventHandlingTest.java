package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How the queue hands events to start on and stop on, and what holds them (spec §4.4, §5.2): a waiting emit returns
 * exactly when nothing holds its event any more.
 */
class EventHandlingTest {
    private final EngineHarness h = new EngineHarness();

    @Test
    void aPartlyMatchedStartOnReleasesItsEventWhenTheClassGoes() {
        h.job("j", "start on a and b\nexec main\n");
        var a = h.emit("a");
        assertThat(a).isNotDone();

        h.engine.removeClass("j");
        h.engine.poll();

        assertThat(a).isCompletedWithValue(null);
    }

    @Test
    void aPartlyMatchedStartOnReleasesItsEventWhenANewDefinitionChangesIt() {
        h.job("j", "start on a and b\nexec main\n");
        var a = h.emit("a");

        h.job("j", "start on a and c\nexec main\n");
        h.engine.poll();

        assertThat(a).isCompletedWithValue(null);
        h.emit("c");
        assertThat(h.takeSpawns()).isEmpty();
    }

    @Test
    void eventsInAFalseSubTreeAreReleasedWhenTheExpressionFires() {
        h.job("t", "start on (p and q) or r\ntask\nexec work\n");
        var p = h.emit("p", "P=1");
        var r = h.emit("r", "R=2");

        assertThat(h.takeSpawns()).containsExactly("spawn t main");
        assertThat(h.env("t", "main")).containsEntry("UPSTART_EVENTS", "r").doesNotContainKey("P");
        // The task holds only the event that made the expression true, until it has finished.
        assertThat(p).isCompletedWithValue(null);
        assertThat(r).isNotDone();
        h.exit("t", "main", 0);
        assertThat(r).isCompletedWithValue(null);
    }

    @Test
    void anInstanceNameThatCannotBeExpandedStartsNothingAndResetsTheCondition() {
        h.job("w", "instance $NAME\nstart on a and b\nexec main\n");
        var a = h.emit("a");
        h.emit("b");

        assertThat(h.takeSpawns()).isEmpty();
        assertThat(h.log).contains("Failed to obtain w instance: Unknown parameter: NAME");
        assertThat(a).isCompletedWithValue(null);
        // The first half was forgotten: b with a name is not enough on its own.
        h.emit("b", "NAME=x");
        assertThat(h.takeSpawns()).isEmpty();
        h.emit("a");
        assertThat(h.takeSpawns()).containsExactly("spawn w (x) main");
    }

    @Test
    void aStopEventForAnInstanceAlreadyStoppingIsNeitherHeldNorApplied() {
        h.job("s", "stop on down\nexec main\npost-stop exec post\n");
        h.start("s");
        h.stop("s", "WHY=cmd");
        h.kill("s", "main", 15);
        h.takeEvents();

        var down = h.emit("down", "WHY=event");

        assertThat(down).isCompletedWithValue(null);
        assertThat(h.takeEvents()).containsExactly("down WHY=event");
        assertThat(h.env("s", "post-stop")).containsEntry("WHY", "cmd").doesNotContainKey("UPSTART_STOP_EVENTS");
    }

    @Test
    void aFailedFailedEventHasNoFailedEventOfItsOwn() {
        h.job("t", "start on go\ntask\nexec work\n").job("f", "start on go/failed\ntask\nexec handle\n");
        h.emit("go", "A=1");
        h.exit("t", "main", 1);
        h.exit("f", "main", 1);

        assertThat(h.takeEvents()).filteredOn(e -> e.startsWith("go")).containsExactly("go A=1", "go/failed A=1");
    }
}
