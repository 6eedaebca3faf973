package dev.eryx.internal.callbacks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The per-sandbox bound in front of the callback executor: at most {@code maxConcurrent} calls of
 * this sandbox are handed to the executor at once, up to {@code maxQueued} more wait here in order,
 * and a call beyond that is refused. Applied before the executor so that the bound holds for any
 * executor, an unbounded one the host injected included, and so that one sandbox cannot fill an
 * executor it shares with others.
 *
 * <p>A call holds its place from the moment it is handed over until both its task has returned from
 * the executor and it is settled (see {@link Invocation}): a timed-out host function that ignores
 * its interrupt keeps its thread busy, so it keeps its place too. The gate outlives executions, so
 * places held by calls of an earlier execution still count.
 */
final class CallbackGate {
    private final Executor executor;

    // Guarded by this.
    private final ArrayDeque<Invocation> waiting = new ArrayDeque<>();
    private int running;
    private int maxConcurrent = 64;
    private int maxQueued = 1_024;

    CallbackGate(Executor executor) {
        this.executor = executor;
    }

    /** The limits of the execution about to run; more room starts calls still waiting. */
    void configure(int maxConcurrent, int maxQueued) {
        if (maxConcurrent < 1 || maxQueued < 0) {
            throw new IllegalArgumentException(
                    "maxConcurrent " + maxConcurrent + ", maxQueued " + maxQueued);
        }
        synchronized (this) {
            this.maxConcurrent = maxConcurrent;
            this.maxQueued = maxQueued;
        }
        startWaiting();
    }

    /**
     * Hands {@code invocation} to the executor now or queues it.
     *
     * @return null if it runs or waits; otherwise why it was refused (the queue is full)
     */
    String submit(Invocation invocation) {
        synchronized (this) {
            if (invocation.isSettled()) {
                return null; // timed out or cancelled before it got here
            }
            if (running >= maxConcurrent) {
                if (waiting.size() >= maxQueued) {
                    return running
                            + " calls of this sandbox are running (maxConcurrentCallbacks "
                            + maxConcurrent
                            + ") and "
                            + waiting.size()
                            + " are waiting (maxQueuedCallbacks "
                            + maxQueued
                            + ")";
                }
                waiting.add(invocation);
                return null;
            }
            running++;
            invocation.takePlace();
        }
        invocation.handTo(executor);
        return null;
    }

    /** {@code invocation} was settled: if it still waits, it never runs. */
    synchronized void withdraw(Invocation invocation) {
        waiting.remove(invocation);
    }

    /** A call gave its place back: the next waiting ones may run. Any thread. */
    void release() {
        synchronized (this) {
            running--;
        }
        startWaiting();
    }

    /** Calls handed to the executor and not yet given back; for tests and diagnostics. */
    synchronized int running() {
        return running;
    }

    private void startWaiting() {
        List<Invocation> start = new ArrayList<>();
        synchronized (this) {
            while (running < maxConcurrent && !waiting.isEmpty()) {
                Invocation next = waiting.poll();
                if (!next.isSettled()) {
                    running++;
                    next.takePlace();
                    start.add(next);
                }
            }
        }
        // Outside the lock: an executor may run the task on this thread.
        for (Invocation invocation : start) {
            invocation.handTo(executor);
        }
    }
}
