package dev.eryx.internal.execution;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Calls a sandbox's stdout/stderr listeners, and those given to one execution ({@code
 * OutputListener}), on a thread of their own ({@code eryx-output-…}, one per sandbox, started by
 * the first output to a listener), so a listener that blocks cannot hold the guest past its timeout
 * or cancellation, and one that throws cannot break the guest.
 *
 * <p>Text is queued in the order the guest wrote it, stdout and stderr in one queue, so listeners
 * see the order {@code ExecutionResult.stdout()} and {@code stderr()} record. The queue holds at
 * most {@link #MAX_QUEUED_CHARS}: a guest writing faster than its listener takes the text waits for
 * room, as on a full pipe, until its execution is stopped. The end of an execution waits until the
 * listeners have everything ({@link Session#drain}); if the execution is stopped meanwhile, it
 * waits {@link #ABANDON_GRACE_NANOS} more, then abandons that execution's undelivered text
 * (logged), so the stop is reported on time. A listener still blocked keeps the thread: later
 * output waits behind it, bounded by each execution's own limits. A listener that throws is logged
 * once per execution and keeps receiving text.
 */
final class OutputDelivery implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.eryx");

    /** Characters queued for the listeners before the guest's writes wait. */
    static final int MAX_QUEUED_CHARS = 1 << 20;

    /** How long a stopped execution still waits for its listeners: within the stop contract. */
    static final long ABANDON_GRACE_NANOS = Watchdog.COOPERATIVE_GRACE.toNanos();

    private final String threadName;
    private final Object lock = new Object();

    // All guarded by lock.
    private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    private long queuedChars;
    private boolean closed;
    private Thread thread;

    /**
     * One piece of output for its listeners (one delivery each, so one that throws does not keep it
     * from the others); {@code size} counts chars or bytes alike, once for all listeners.
     */
    private record Chunk(Session session, List<Runnable> deliveries, int size) {}

    OutputDelivery(String threadName) {
        this.threadName = threadName;
    }

    /** The output of one execution. */
    Session begin() {
        return new Session();
    }

    /** One execution's share of the queue; methods other than {@link #wake} on the guest thread. */
    final class Session {
        // All guarded by lock.
        private int pending; // queued or being delivered
        private long stoppedAt;
        private boolean stopped;
        private boolean incomplete;
        private boolean failureLogged;

        /**
         * A listener for {@link CapturedStream}: queues the text for the sandbox's listener and
         * this execution's own, either of which may be null; null when both are.
         */
        Consumer<String> to(Consumer<String> sandboxListener, Consumer<String> executionListener) {
            return queueing(sandboxListener, executionListener, String::length);
        }

        /** As {@link #to}, for a listener of raw bytes (each array its own). */
        Consumer<byte[]> toBytes(Consumer<byte[]> listener) {
            return queueing(listener, null, bytes -> bytes.length);
        }

        private <T> Consumer<T> queueing(
                Consumer<T> first, Consumer<T> second, ToIntFunction<T> size) {
            List<Consumer<T>> listeners = new ArrayList<>(2);
            if (first != null) {
                listeners.add(first);
            }
            if (second != null) {
                listeners.add(second);
            }
            if (listeners.isEmpty()) {
                return null;
            }
            return value -> {
                List<Runnable> deliveries = new ArrayList<>(listeners.size());
                for (Consumer<T> listener : listeners) {
                    deliveries.add(() -> listener.accept(value));
                }
                enqueue(this, deliveries, size.applyAsInt(value));
            };
        }

        /**
         * The execution is being stopped: a write waiting for room goes on at once (its text for
         * the listeners is dropped), and {@link #drain} waits at most {@link #ABANDON_GRACE_NANOS}
         * more. Any thread.
         */
        void wake() {
            synchronized (lock) {
                if (!stopped) {
                    stopped = true;
                    stoppedAt = System.nanoTime();
                }
                lock.notifyAll();
            }
        }

        /**
         * Waits until the listeners have received this execution's text; see the class comment.
         *
         * @return false if some of it was dropped or abandoned
         */
        boolean drain() {
            boolean interrupted = Thread.interrupted(); // a hard stop: keep the grace all the same
            boolean complete;
            synchronized (lock) {
                while (pending > 0 && !closed) {
                    long waitNanos = 0;
                    if (stopped) {
                        waitNanos = ABANDON_GRACE_NANOS - (System.nanoTime() - stoppedAt);
                        if (waitNanos <= 0) {
                            break;
                        }
                    }
                    try {
                        if (waitNanos == 0) {
                            lock.wait();
                        } else {
                            TimeUnit.NANOSECONDS.timedWait(lock, waitNanos);
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                        if (!stopped) {
                            stopped = true; // only a hard stop interrupts the guest thread
                            stoppedAt = System.nanoTime();
                        }
                    }
                }
                if (pending > 0) {
                    int dropped = pending;
                    queue.removeIf(chunk -> chunk.session == this);
                    queuedChars = queue.stream().mapToLong(Chunk::size).sum();
                    pending = 0; // a chunk in delivery decrements nothing any more: see deliver
                    incomplete = true;
                    if (!closed) { // closing drops the queue anyway: nothing to report
                        LOG.log(
                                Level.WARNING,
                                "a stdout/stderr listener did not take the output of a stopped"
                                        + " execution in time; "
                                        + dropped
                                        + " pieces of it were not delivered");
                    }
                    lock.notifyAll(); // writes of the next execution may fit now
                }
                complete = !incomplete;
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return complete;
        }
    }

    /** Queues text for a listener; waits for room unless the execution is being stopped. */
    private void enqueue(Session session, List<Runnable> deliveries, int size) {
        synchronized (lock) {
            while (queuedChars > 0
                    && queuedChars + size > MAX_QUEUED_CHARS
                    && !session.stopped
                    && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    // A hard stop: the guest stops at its next call or loop back-edge.
                    Thread.currentThread().interrupt();
                    session.incomplete = true;
                    return;
                }
            }
            if (closed) {
                return;
            }
            if (queuedChars > 0 && queuedChars + size > MAX_QUEUED_CHARS) {
                session.incomplete = true; // stopping: the guest must not wait
                return;
            }
            queue.add(new Chunk(session, deliveries, size));
            queuedChars += size;
            session.pending++;
            if (thread == null) {
                thread = new Thread(null, this::deliver, threadName, 0, false);
                thread.setDaemon(true);
                thread.start();
            } else {
                lock.notifyAll();
            }
        }
    }

    /** The delivery thread: hands queued text to the listeners until the sandbox closes. */
    private void deliver() {
        while (true) {
            Chunk chunk;
            synchronized (lock) {
                while (queue.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // Not used to stop this thread (close does that); go on.
                    }
                }
                if (closed) {
                    return;
                }
                chunk = queue.poll();
                queuedChars -= chunk.size;
                lock.notifyAll(); // room for a waiting write
            }
            Throwable failure = null;
            for (Runnable delivery : chunk.deliveries) {
                try {
                    delivery.run();
                } catch (Throwable t) { // a listener's failure is its own: never the guest's
                    failure = failure == null ? t : failure;
                }
            }
            synchronized (lock) {
                Session session = chunk.session;
                if (failure != null && !session.failureLogged) {
                    session.failureLogged = true;
                    LOG.log(
                            Level.WARNING,
                            "a stdout/stderr listener threw; it keeps receiving output (logged once"
                                    + " per execution)",
                            failure);
                }
                if (session.pending > 0) {
                    session.pending--;
                }
                lock.notifyAll();
            }
        }
    }

    /** Ends the delivery thread (once a listener blocked in it returns); drops queued text. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            queue.clear();
            queuedChars = 0;
            lock.notifyAll();
        }
    }
}
