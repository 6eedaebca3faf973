package dev.eryx.internal.execution;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Stops a sandbox's executions: on timeout, cancellation, the output cap and close. Its timers run
 * on the {@link SharedScheduler}; closing the watchdog cancels those still pending.
 *
 * <p>Stopping is two-stage. First the interpreter is asked to raise {@code KeyboardInterrupt} at
 * its next safe point (it polls a flag in its memory once per bytecode and clears it when it takes
 * the request); that leaves it consistent and the sandbox usable. If the flag is still set after
 * {@link #COOPERATIVE_GRACE}, the guest is stuck in C code, and its thread is interrupted, which
 * Chicory turns into an exception at the next call or loop back-edge; the interpreter is then in an
 * unknown state, so the sandbox rolls it back to the start of the execution, or poisons it where
 * that is impossible. If the flag was taken, the guest is unwinding (which can take a while in cold
 * code) or caught the interrupt; it is asked again every grace period and stopped hard once {@link
 * #WIND_DOWN} has passed.
 */
final class Watchdog implements AutoCloseable {
    /**
     * Python code takes the flag within microseconds (it is polled per bytecode), so a flag still
     * set after this long means C code; half the 100 ms stop contract leaves the hard stop its
     * margin (measured: C loops and regex backtracking stopped ~101 ms after the request with 100).
     */
    static final Duration COOPERATIVE_GRACE = Duration.ofMillis(50);

    /**
     * How long a guest that took the interrupt request may take to finish before it is stopped
     * hard.
     */
    static final Duration WIND_DOWN = Duration.ofSeconds(1);

    /**
     * The sandbox side of a stop. The watchdog calls these holding the sandbox's lock, which also
     * guards which execution runs and its outcome.
     */
    interface Guest {
        /**
         * Ends an execution still queued with the stop as its failure: it never starts. Called
         * holding the lock, to build the failure; the watchdog runs the returned task, which
         * completes the execution (calling the sandbox's listeners), after releasing it.
         */
        Runnable refuse(Execution execution, StopReason reason);

        /**
         * Asks the interpreter to raise {@code KeyboardInterrupt} at its next safe point and ends
         * any sleep early; {@code first} also cancels the pending host calls.
         */
        void requestInterrupt(boolean first);

        /** Whether the interpreter has not taken the last request yet. */
        boolean interruptPending();

        /**
         * Ends the host-side waits of the running {@code execution} (for stdin, for room in the
         * listeners' queue, for the listeners at its end), so the stop is not held up by the host.
         */
        void endWaits(Execution execution);
    }

    private final Object lock;
    private final Guest guest;
    private final GuestThread thread;

    /** Timers not known to be done; guarded by itself. */
    private final List<Future<?>> pending = new ArrayList<>();

    private boolean closed; // guarded by pending

    /** The execution on the guest thread, and its timeout; guarded by lock. */
    private Execution running;

    private Future<?> timeout;

    Watchdog(Object lock, Guest guest, GuestThread thread) {
        this.lock = lock;
        this.guest = guest;
        this.thread = thread;
    }

    /** {@code execution} starts running on the guest thread: arms its timeout, if it has one. */
    void begin(Execution execution) {
        Duration limit = execution.limits.executionTimeout();
        synchronized (lock) {
            running = execution;
            timeout =
                    limit == null
                            ? null
                            : schedule(() -> stop(execution, StopReason.TIMEOUT), limit);
        }
    }

    /** The running execution ended: disarms its timeout; stops still scheduled find it gone. */
    void end() {
        synchronized (lock) {
            running = null;
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }
    }

    /** The execution running on the guest thread, or {@code null}. */
    Execution running() {
        synchronized (lock) {
            return running;
        }
    }

    /**
     * Stops an execution, cooperatively first; see the class comment. Any thread, any number of
     * times.
     */
    void stop(Execution execution, StopReason reason) {
        Runnable refusal;
        synchronized (lock) {
            if (execution.stopReason != null || execution.isDone()) {
                return;
            }
            if (running != execution && execution.started) {
                return; // it ended, and the guest thread is completing it
            }
            execution.stopReason = reason;
            if (running != execution) {
                // Still queued: the sandbox sees the stop reason under the lock and skips it.
                refusal = guest.refuse(execution, reason);
            } else {
                refusal = null;
                // Once an outcome is reported, interrupting could only hit the runtime on its way
                // out; but guest code can report a forged one and keep running, so the hard stop
                // stays armed.
                if (execution.outcome == null) {
                    guest.requestInterrupt(true);
                }
                // Also after an outcome: its output may still be on its way.
                guest.endWaits(execution);
            }
        }
        if (refusal != null) {
            refusal.run();
            return;
        }
        scheduleEnforcement(execution, System.nanoTime() + WIND_DOWN.toNanos());
    }

    /**
     * Checks on a stop request after a grace period. If the interpreter has not even taken the
     * request (the flag is still set) it is stuck below Python, so it is stopped hard at once. If
     * it has, it is unwinding or its code caught the KeyboardInterrupt: it is asked again, and
     * stopped hard only once the wind-down budget is spent.
     */
    private void enforceStop(Execution execution, long windDownDeadline) {
        synchronized (lock) {
            if (running != execution) {
                return;
            }
            boolean windDownSpent = System.nanoTime() - windDownDeadline >= 0;
            if (execution.outcome != null) {
                // The runtime returns right after reporting: still running at the deadline means
                // user code reported the outcome itself and went on.
                if (windDownSpent) {
                    hardStop(execution);
                    return;
                }
            } else if (guest.interruptPending() || windDownSpent) {
                hardStop(execution);
                return;
            } else {
                guest.requestInterrupt(false);
            }
        }
        scheduleEnforcement(execution, windDownDeadline);
    }

    private void scheduleEnforcement(Execution execution, long windDownDeadline) {
        if (schedule(() -> enforceStop(execution, windDownDeadline), COOPERATIVE_GRACE) == null) {
            hardStop(execution); // closed: no second chance
        }
    }

    /** Interrupts the guest thread if {@code execution} still runs on it. */
    void hardStop(Execution execution) {
        synchronized (lock) {
            if (running == execution) {
                thread.interrupt();
            }
        }
    }

    /** Returns the timer, or {@code null} once closed. */
    private Future<?> schedule(Runnable task, Duration delay) {
        synchronized (pending) {
            if (closed) {
                return null;
            }
            pending.removeIf(Future::isDone); // keeps the list at a few entries
            Future<?> timer = SharedScheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            pending.add(timer);
            return timer;
        }
    }

    /** Cancels the pending timers; later stops go straight to the hard stop. */
    @Override
    public void close() {
        synchronized (pending) {
            closed = true;
            pending.forEach(timer -> timer.cancel(false));
            pending.clear();
        }
    }
}
