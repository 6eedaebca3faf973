package dev.eryx.pool;

import dev.eryx.ExecutionListener;
import dev.eryx.ExecutionStats;
import dev.eryx.Verdict;
import java.time.Duration;

/**
 * Told what a {@link SandboxPool} does: acquisitions (with how long they waited), releases, and
 * every execution of its sandboxes. Registered with {@code SandboxPool.Builder#listener}; the
 * metrics binder of {@code eryx-micrometer} is one.
 *
 * <p>Every method has an empty default. Methods are called on the thread doing the work (the caller
 * of {@code acquire}, {@code close} or {@code execute}); an exception a listener throws is caught
 * and dropped, so a listener can never change what the pool does.
 */
public interface PoolListener extends ExecutionListener {
    /** The pool was built (called once, at the end of {@code build()}). */
    default void poolCreated(SandboxPool pool) {}

    /** A sandbox was handed out after waiting {@code waited} for it. */
    default void acquired(Duration waited) {}

    /** No sandbox could be handed out (exhausted, timed out or closed) after {@code waited}. */
    default void acquireFailed(Duration waited) {}

    /** A sandbox came back; {@code reused} is false when it was discarded instead of reset. */
    default void released(boolean reused) {}

    @Override
    default void executionFinished(Verdict verdict, Duration duration, ExecutionStats stats) {}
}
