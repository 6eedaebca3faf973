package dev.eryx.internal.callbacks;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where callback timeouts are scheduled: the JVM-wide scheduler of the execution package, passed in
 * so that this package does not depend on it. Tasks must be short.
 */
@FunctionalInterface
public interface Timers {
    /** Runs {@code task} once after {@code delay}; cancelling the future drops it. */
    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit);
}
