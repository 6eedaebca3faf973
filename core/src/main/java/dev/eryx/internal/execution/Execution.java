package dev.eryx.internal.execution;

import dev.eryx.EryxException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** One requested execution: its input, its live output, and the future its caller waits on. */
final class Execution implements ExecutionHandle {
    final String code;
    final ResourceLimits limits;
    final CompletableFuture<ExecutionResult> future = new CompletableFuture<>();
    private final Watchdog watchdog;

    /** Set once, by whoever stops the execution first. */
    volatile StopReason stopReason;

    CapturedStream stdout;
    CapturedStream stderr;

    /** Its text on the way to the sandbox's listeners. */
    OutputDelivery.Session output;

    /** Some of its text never reached the listeners (they were abandoned at a stop). */
    boolean outputIncomplete;

    GuestOutcome outcome;

    Execution(Watchdog watchdog, String code, ResourceLimits limits) {
        this.watchdog = watchdog;
        this.code = code;
        this.limits = limits;
    }

    /**
     * Starts capturing the output, stdout and stderr sharing the output allowance (counted as the
     * guest writes, whenever the listeners receive it).
     */
    void captureOutput(
            Consumer<String> stdoutListener,
            Consumer<String> stderrListener,
            OutputDelivery delivery) {
        OutputBudget budget =
                new OutputBudget(
                        limits.maxOutputBytes(),
                        () -> watchdog.stop(this, StopReason.OUTPUT_LIMIT));
        output = delivery.begin();
        stdout = new CapturedStream(output.to(stdoutListener), budget);
        stderr = new CapturedStream(output.to(stderrListener), budget);
    }

    @Override
    public void cancel() {
        watchdog.stop(this, StopReason.CANCELLED);
    }

    @Override
    public boolean isDone() {
        return future.isDone();
    }

    @Override
    public ExecutionResult get() {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new dev.eryx.ExecutionCancelledException(
                    "the waiting thread was interrupted", null);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    @Override
    public CompletableFuture<ExecutionResult> toCompletableFuture() {
        return future.copy();
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof EryxException) {
            // Re-create nothing: the exception already carries its partial result. Wrapping would
            // hide the type callers catch on.
            return (EryxException) cause;
        }
        if (cause instanceof RuntimeException) {
            return (RuntimeException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new EryxException("execution failed: " + cause, null, cause);
    }
}
