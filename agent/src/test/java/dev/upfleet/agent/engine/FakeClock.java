package dev.upfleet.agent.engine;

import java.time.Instant;
import java.time.InstantSource;

final class FakeClock implements InstantSource {
    private long millis = 1_000_000;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    void set(long millis) {
        this.millis = millis;
    }
}
