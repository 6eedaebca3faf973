package dev.eryx;

import java.time.Duration;

/**
 * Told when each execution of a sandbox ends: the hook for metrics and logs without a framework
 * (see {@code Sandbox.Builder#executionListener}; pools add acquire and release events with {@code
 * dev.eryx.pool.PoolListener}).
 *
 * <p>Called on the thread that ran the execution, after it ended and before {@code execute} returns
 * or throws, so a slow listener delays only its own caller (and the sandbox's next execution). An
 * execution cancelled while still queued never ran: the thread that cancelled it reports it. An
 * exception a listener throws is caught and dropped: a listener can never change an outcome.
 */
@FunctionalInterface
public interface ExecutionListener {
    /**
     * An execution ended.
     *
     * @param verdict how it ended ({@link Verdict#of(Throwable)} of what {@code execute} threw, or
     *     {@link Verdict#of(ExecutionResult)} of what it returned)
     * @param duration its wall-clock time
     * @param stats its fuel, peak memory and callback count ({@link ExecutionStats#none()} when the
     *     failure carried no result)
     */
    void executionFinished(Verdict verdict, Duration duration, ExecutionStats stats);
}
