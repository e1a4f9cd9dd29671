package dev.upfleet.controller.relay;

import dev.upfleet.proto.cluster.v1.RelayedEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The controller's relay metrics: agents, events stored and delivered, relay latency, leadership. (etcd request
 * latency and failures are recorded where every request passes: {@code EtcdRegistry}.)
 */
public final class RelayMetrics {
    private final AtomicInteger agents = new AtomicInteger();
    private final AtomicInteger leader = new AtomicInteger();
    private final Counter stored;
    private final Counter delivered;
    private final Timer relayLatency;

    public RelayMetrics(MeterRegistry registry) {
        Gauge.builder("upfleet_agents_connected", agents, AtomicInteger::get).description("Agents with a session here").register(registry);
        Gauge.builder("upfleet_leader", leader, AtomicInteger::get).description("1 while this controller leads").register(registry);
        stored = Counter.builder("upfleet_events_relayed").description("Events stored in etcd for relay").register(registry);
        delivered = Counter.builder("upfleet_events_delivered").description("Events delivered to agents").register(registry);
        relayLatency = Timer.builder("upfleet_relay_latency").description("From publish on the origin to delivery here")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    }

    void agentJoined() {
        agents.incrementAndGet();
    }

    void agentLeft() {
        agents.decrementAndGet();
    }

    void stored(int count) {
        stored.increment(count);
    }

    void delivered(RelayedEvent event) {
        delivered.increment();
        long age = System.currentTimeMillis() - event.getEmittedUnixMillis();
        if (event.getEmittedUnixMillis() > 0 && age >= 0) {
            relayLatency.record(Duration.ofMillis(age));
        }
    }


    public void leading(boolean leading) {
        leader.set(leading ? 1 : 0);
    }
}
