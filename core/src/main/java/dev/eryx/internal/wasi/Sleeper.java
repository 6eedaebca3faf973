package dev.eryx.internal.wasi;

import java.util.concurrent.TimeUnit;

/** How {@code poll_oneoff} waits; injectable so tests need not really sleep. */
@FunctionalInterface
public interface Sleeper {
    /**
     * Sleeps {@code nanos} (may be huge); must end promptly with InterruptedException when
     * interrupted.
     */
    void sleepNanos(long nanos) throws InterruptedException;

    static Sleeper threadSleep() {
        return nanos -> TimeUnit.NANOSECONDS.sleep(nanos);
    }
}
