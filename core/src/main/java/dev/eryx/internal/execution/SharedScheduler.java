package dev.eryx.internal.execution;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The timers of every sandbox in the JVM (execution timeouts, the watchdog's checks of a stop
 * request), on two daemon threads started on first use. A timer thread per sandbox would sit idle
 * almost always; a pool of a hundred sandboxes needed a hundred of them.
 *
 * <p>Tasks must be short and must not block for long: they delay every other sandbox's timers. Two
 * threads, so that one task waiting briefly on a sandbox's lock (a rollback holds it for
 * milliseconds) does not hold up the rest. Only {@link #schedule} is exposed, so no caller can shut
 * the scheduler down; cancel a task to drop it (cancelled tasks leave the queue at once).
 */
public final class SharedScheduler {
    private static final int THREADS = 2;

    private SharedScheduler() {}

    private static final class Holder {
        static final ScheduledThreadPoolExecutor EXECUTOR = create();
    }

    /** Runs {@code task} once after {@code delay}. */
    public static ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return Holder.EXECUTOR.schedule(task, delay, unit);
    }

    private static ScheduledThreadPoolExecutor create() {
        AtomicInteger count = new AtomicInteger();
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(
                        THREADS,
                        runnable -> {
                            // Started from whichever thread schedules first: inherit nothing of it.
                            Thread thread =
                                    new Thread(
                                            null,
                                            runnable,
                                            "eryx-scheduler-" + count.incrementAndGet(),
                                            0,
                                            false);
                            thread.setDaemon(true);
                            return thread;
                        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
