package dev.eryx;

import java.util.concurrent.CompletableFuture;

/** A running (or queued) execution started by {@link Sandbox#executeAsync(String)}. */
public interface ExecutionHandle {
    /**
     * Stops the execution: first through a cooperative {@code KeyboardInterrupt}, then, if the
     * guest does not yield promptly, by stopping the guest thread. Returns at once; safe to call
     * from any thread, any number of times, also after the execution finished.
     */
    void cancel();

    boolean isDone();

    /**
     * Waits for the outcome.
     *
     * @throws EryxException the same unchecked exceptions {@link Sandbox#execute(String)} throws
     */
    ExecutionResult get();

    /** The outcome as a future; it completes exceptionally with the {@link EryxException}. */
    CompletableFuture<ExecutionResult> toCompletableFuture();
}
