package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.function.Executable;

/** Assertions for limits that must stop the guest: the right exception, and soon enough. */
public final class StopAssertions {
    private StopAssertions() {}

    /**
     * Runs {@code action}, which must throw {@code type} within {@code bound} of its start. Bounds
     * are generous (a deadline plus seconds of slack) so CI on a loaded machine stays stable; the
     * harness measures the real latencies.
     */
    public static <T extends Throwable> T assertStopsWithin(
            Class<T> type, Duration bound, Executable action) {
        long start = System.nanoTime();
        T thrown = assertThrows(type, action);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(
                elapsedMillis < bound.toMillis(),
                "stopped after " + elapsedMillis + " ms, bound " + bound.toMillis() + " ms");
        return thrown;
    }
}
