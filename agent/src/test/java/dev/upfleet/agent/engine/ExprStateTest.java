package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.event.Event;
import dev.upfleet.core.event.EventMatcher;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The runtime state of an event expression: Upstart's event_operator handle/update/events/reset (spec §4.4). */
class ExprStateTest {
    private static final TermMatcher MATCHER = (term, event, env) -> EventMatcher.matches(term, event, env, "local");
    private long nextId = 1;

    private static ExprState expr(String startOn) {
        return switch (JobParser.parse("j", "j.conf", "start on " + startOn + "\n")) {
            case ParseResult.Parsed p -> new ExprState(p.job().startOn().orElseThrow());
            case ParseResult.Failed f -> throw new AssertionError(f.problem().render());
        };
    }

    /** An event named by the first word, its environment the other words. */
    private EventRecord event(String text) {
        List<String> words = Arrays.asList(text.split(" "));
        return new EventRecord(nextId++, new Event(words.getFirst(), words.subList(1, words.size()), "local"));
    }

    private static List<String> contributing(ExprState state) {
        List<EventRecord> out = new ArrayList<>();
        state.contributing(out);
        return out.stream().map(e -> e.name() + (e.event.env().isEmpty() ? "" : " " + String.join(" ", e.event.env())))
                .toList();
    }

    @ParameterizedTest(name = "{0}: left {1}, right {2} -> {3}")
    @CsvSource({
        "or, false, false, false",
        "or, true, false, true",
        "or, false, true, true",
        "or, true, true, true",
        "and, false, false, false",
        "and, true, false, false",
        "and, false, true, false",
        "and, true, true, true",
    })
    void operatorTruthTable(String operator, boolean left, boolean right, boolean expected) {
        ExprState state = expr("l " + operator + " r");
        if (left) {
            state.handle(event("l"), Map.of(), MATCHER);
        }
        if (right) {
            state.handle(event("r"), Map.of(), MATCHER);
        }
        assertThat(state.value()).isEqualTo(expected);
    }

    @Test
    void aNonMatchingEventLeavesTheTreeAndTheEventAlone() {
        ExprState state = expr("(foo and bar) or baz");
        EventRecord frodo = event("frodo");
        EventRecord fooWithWrongValue = event("foo");
        ExprState valued = expr("foo A=1");

        assertThat(state.handle(frodo, Map.of(), MATCHER)).isFalse();
        assertThat(valued.handle(fooWithWrongValue, Map.of(), MATCHER)).isFalse();
        assertThat(frodo.blockers).isZero();
        assertThat(fooWithWrongValue.blockers).isZero();
        assertThat(contributing(state)).isEmpty();
    }

    @Test
    void aMatchingLeafHoldsItsEventAndTheRootWaitsForTheRest() {
        ExprState state = expr("(foo and bar) or baz");
        EventRecord foo = event("foo");
        assertThat(state.handle(foo, Map.of(), MATCHER)).isTrue();
        assertThat(state.value()).isFalse();
        assertThat(foo.blockers).isOne();

        // A second foo finds its leaf already true: it is neither recorded nor held.
        EventRecord again = event("foo X=2");
        assertThat(state.handle(again, Map.of(), MATCHER)).isFalse();
        assertThat(again.blockers).isZero();

        EventRecord bar = event("bar");
        assertThat(state.handle(bar, Map.of(), MATCHER)).isTrue();
        assertThat(state.value()).isTrue();
        assertThat(contributing(state)).containsExactly("foo", "bar");
    }

    @Test
    void theEnvironmentGivenToHandleExpandsTheTerms() {
        ExprState state = expr("down IFACE=$IFACE");
        assertThat(state.handle(event("down IFACE=eth1"), Map.of("IFACE", "eth0"), MATCHER)).isFalse();
        assertThat(state.handle(event("down IFACE=eth0"), Map.of("IFACE", "eth0"), MATCHER)).isTrue();
        assertThat(state.value()).isTrue();
    }

    @Test
    void onlyTheTruePartOfTheTreeContributesLeftToRight() {
        // Upstart's test: the matched events of true sub-trees, left to right; "frodo" is matched but its and is
        // false, so it adds nothing.
        ExprState state = expr("((foo or bar) and (frodo and bilbo)) or (baz or (tea and coffee))");
        for (String e : List.of("bar BAR=ORANGE", "frodo FRODO=RING", "coffee COFFEE=NO", "baz TEA=YES",
                "foo FOO=APPLE", "tea TEA=GREEN")) {
            state.handle(event(e), Map.of(), MATCHER);
        }
        assertThat(state.value()).isTrue();
        assertThat(contributing(state)).containsExactly("baz TEA=YES", "tea TEA=GREEN", "coffee COFFEE=NO");
    }

    @Test
    void nothingContributesBeforeTheExpressionIsTrue() {
        ExprState state = expr("foo and bar");
        state.handle(event("foo"), Map.of(), MATCHER);
        assertThat(contributing(state)).isEmpty();
    }

    @Test
    void resetClearsEveryLeafAndReleasesItsEvent() {
        ExprState state = expr("(foo and bar) or baz");
        EventRecord foo = event("foo");
        EventRecord baz = event("baz");
        state.handle(foo, Map.of(), MATCHER);
        state.handle(baz, Map.of(), MATCHER);
        assertThat(state.value()).isTrue();

        state.reset();

        assertThat(state.value()).isFalse();
        assertThat(foo.blockers).isZero();
        assertThat(baz.blockers).isZero();
        assertThat(contributing(state)).isEmpty();
        // Cleared leaves match again.
        assertThat(state.handle(event("baz"), Map.of(), MATCHER)).isTrue();
        assertThat(state.value()).isTrue();
    }
}
