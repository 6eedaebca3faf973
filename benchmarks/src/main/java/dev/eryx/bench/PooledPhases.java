package dev.eryx.bench;

import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;

/**
 * One pooled execution timed phase by phase, alike in every harness that reports the phases ({@link
 * FixedCost}, {@link PoolMeasurements}): {@code acquire()}, the execution on the acquired sandbox,
 * and {@code close()}, the reset in place that makes it idle again.
 */
record PooledPhases(long acquireNanos, long executeNanos, long releaseNanos) {

    /** Acquires a sandbox of {@code pool}, runs {@code code} on it and closes it. */
    static PooledPhases time(SandboxPool pool, String code) {
        long acquiring = System.nanoTime();
        long executing;
        long releasing;
        try (PooledSandbox s = pool.acquire()) {
            executing = System.nanoTime();
            s.execute(code);
            releasing = System.nanoTime();
        }
        long released = System.nanoTime();
        return new PooledPhases(executing - acquiring, releasing - executing, released - releasing);
    }
}
