package dev.upfleet.functional.harness;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Bounded polling: every wait in the functional tests has a deadline and says what it waited for. Correctness never
 * depends on a fixed sleep; the short pause between polls only keeps the loop from spinning.
 */
public final class Poll {
    private static final Duration PAUSE = Duration.ofMillis(25);

    private Poll() {}

    /** Waits until {@code condition} holds; fails with {@code what} and the last value after {@code limit}. */
    public static void until(String what, Duration limit, BooleanSupplier condition) {
        value(what, limit, () -> condition.getAsBoolean(), Boolean::booleanValue);
    }

    /**
     * Polls {@code source} until its value satisfies {@code done} and returns that value. Exceptions from the source
     * count as "not yet" (an agent may not be listening yet) and are reported if the deadline passes.
     */
    public static <T> T value(String what, Duration limit, Supplier<T> source, Predicate<? super T> done) {
        long deadline = System.nanoTime() + limit.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = source.get();
                lastError = null;
                if (last != null && done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError failure = new AssertionError("timed out after " + limit.toMillis() + " ms waiting for "
                        + what + " (last value: " + last + ")");
                if (lastError != null) {
                    failure.initCause(lastError);
                }
                throw failure;
            }
            pause();
        }
    }

    /** Like {@link #value} but returns null instead of failing when {@code limit} passes. */
    public static <T> T valueOrNull(Duration limit, Supplier<T> source) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                T v = source.get();
                if (v != null) {
                    return v;
                }
            } catch (RuntimeException e) {
                // not yet
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            pause();
        }
    }

    static void pause() {
        try {
            Thread.sleep(PAUSE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while polling", e);
        }
    }
}
