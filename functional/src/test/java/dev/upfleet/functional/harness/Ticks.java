package dev.upfleet.functional.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.proto.control.v1.EmitRequest;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A numbered stream of {@code tick N=i} events emitted on one agent and followed by another through a job naming
 * {@code tick NODE=...}: so every tick is relayed, and the follower's event log must show each exactly once and in
 * order. Tick 0 is the warm-up, emitted until it arrives; real ticks count from 1.
 */
public final class Ticks {
    public static final String EVENT = "tick";

    private Ticks() {}

    /** A job file for the follower: started by every tick of {@code from}. */
    public static String listenerJob(String from) {
        return "start on " + EVENT + " NODE=" + from + "\n";
    }

    /** Emits {@code tick N=n} on {@code emitter} (no_wait), retrying until the agent takes it. */
    public static void emit(AgentProcess emitter, int n, Duration limit) {
        Poll.until(emitter.node() + " to take tick " + n, limit, () -> {
            emitter.control().emit(EmitRequest.newBuilder().setName(EVENT).addEnv("N=" + n).setNoWait(true).build());
            return true;
        });
    }

    /** Emits ticks {@code first..last} on {@code emitter}, in order. */
    public static void emitRange(AgentProcess emitter, int first, int last, Duration limit) {
        for (int n = first; n <= last; n++) {
            emit(emitter, n, limit);
        }
    }

    /** Emits tick 0 on {@code emitter} until {@code follower} logs one: the relay path between them is live. */
    public static void warmUp(AgentProcess emitter, AgentProcess follower, Duration limit) {
        Poll.until("a warm-up tick from " + emitter.node() + " to reach " + follower.node(), limit, () -> {
            emit(emitter, 0, limit);
            return Poll.valueOrNull(Duration.ofMillis(500),
                    () -> LoggedEvent.of(follower, emitter.node(), EVENT).isEmpty() ? null : true) != null;
        });
    }

    /** The numbers of the ticks (not the warm-up) of {@code from} in {@code follower}'s event log, as logged. */
    /** Agents a and b on {@code controllers}, b's listener following a's ticks, warmed up. */
    public static List<AgentProcess> pair(Cluster cl, List<ControllerProcess> controllers, Duration limit) {
        List<AgentProcess> ab = Cluster.parallel(
                () -> cl.agent(Cluster.agentOptions("a", controllers, java.util.Map.of()), a -> {}),
                () -> cl.agent(Cluster.agentOptions("b", controllers, java.util.Map.of()),
                        b -> b.writeJob("listener", listenerJob("a"))));
        Cluster.awaitNodes(ab.get(0), "a", "b");
        warmUp(ab.get(0), ab.get(1), limit);
        return ab;
    }

    public static List<Integer> received(AgentProcess follower, String from) {
        return LoggedEvent.of(follower, from, EVENT).stream().map(e -> Integer.parseInt(e.get("N")))
                .filter(n -> n > 0).toList();
    }

    /** Waits until {@code follower} logged at least {@code atLeast} ticks of {@code from}. */
    public static void await(AgentProcess follower, String from, int atLeast, Duration limit) {
        Poll.value(follower.node() + " to have received " + atLeast + " ticks from " + from, limit,
                () -> received(follower, from), t -> t.size() >= atLeast);
    }

    /** Waits for ticks 1..{@code last} on {@code follower} and checks it got each exactly once, in order. */
    public static void assertExactlyOnceInOrder(AgentProcess follower, String from, int last, Duration limit) {
        await(follower, from, last, limit);
        assertThat(received(follower, from)).as("ticks of " + from + " on " + follower.node())
                .containsExactlyElementsOf(range(1, last));
    }

    public static List<Integer> range(int first, int last) {
        return IntStream.rangeClosed(first, last).boxed().toList();
    }
}
