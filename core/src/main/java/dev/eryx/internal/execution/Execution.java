package dev.eryx.internal.execution;

import dev.eryx.EryxException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.net.secrets.Redactor;
import dev.eryx.internal.net.secrets.SecretSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** One requested execution: its input, its live output, and the future its caller waits on. */
final class Execution implements ExecutionHandle {
    /** The source as text, or {@code null} when it is {@link #source}. */
    final String code;

    /** The source as a script's bytes, which the guest decodes; or {@code null}. */
    final byte[] source;

    /** The name the code is compiled under: {@code <string>} for text, else the script's. */
    final String filename;

    final ResourceLimits limits;

    /** Receives this execution's output besides the sandbox's listeners; or {@code null}. */
    private final OutputListener listener;

    final CompletableFuture<ExecutionResult> future = new CompletableFuture<>();
    private final Watchdog watchdog;

    /**
     * Set by the guest thread when it takes the execution from its queue (guarded by the sandbox's
     * lock): from then on only that thread completes it.
     */
    boolean started;

    /** Set once, by whoever stops the execution first. */
    volatile StopReason stopReason;

    CapturedStream stdout;
    CapturedStream stderr;

    /** Its text on the way to the sandbox's listeners. */
    OutputDelivery.Session output;

    /**
     * A stop ended one of its network waits with ECANCELED: the OSError that raised may reach the
     * outcome before the interrupt does, and is then the stop's, not the guest's.
     */
    boolean networkWaitCancelled;

    /** Some of its text never reached the listeners (they were abandoned at a stop). */
    boolean outputIncomplete;

    GuestOutcome outcome;

    /** Real secret values → [REDACTED] in its output, result and errors. */
    Redactor redactor = SecretSet.none().redactor();

    Execution(Watchdog watchdog, String code, ResourceLimits limits) {
        this(watchdog, code, limits, null);
    }

    Execution(Watchdog watchdog, String code, ResourceLimits limits, OutputListener listener) {
        this(watchdog, code, null, "<string>", limits, listener);
    }

    Execution(Watchdog watchdog, byte[] source, String filename, ResourceLimits limits) {
        this(watchdog, null, source, filename, limits, null);
    }

    private Execution(
            Watchdog watchdog,
            String code,
            byte[] source,
            String filename,
            ResourceLimits limits,
            OutputListener listener) {
        this.watchdog = watchdog;
        this.code = code;
        this.source = source;
        this.filename = filename;
        this.limits = limits;
        this.listener = listener;
    }

    /**
     * Starts capturing the output, stdout and stderr sharing the output allowance (counted as the
     * guest writes, whenever the listeners receive it). The text goes to the sandbox's listeners
     * and to this execution's own through one delivery.
     */
    void captureOutput(
            Consumer<String> stdoutListener,
            Consumer<String> stderrListener,
            Consumer<byte[]> stdoutBytesListener,
            Consumer<byte[]> stderrBytesListener,
            OutputDelivery delivery,
            Redactor redactor) {
        this.redactor = redactor;
        OutputBudget budget =
                new OutputBudget(
                        limits.maxOutputBytes(),
                        () -> watchdog.stop(this, StopReason.OUTPUT_LIMIT));
        output = delivery.begin();
        stdout =
                new CapturedStream(
                        output.to(stdoutListener, listener == null ? null : listener::stdout),
                        output.toBytes(stdoutBytesListener),
                        budget,
                        redactor);
        stderr =
                new CapturedStream(
                        output.to(stderrListener, listener == null ? null : listener::stderr),
                        output.toBytes(stderrBytesListener),
                        budget,
                        redactor);
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
            RuntimeException failure = rethrow(e.getCause());
            // The failure was made on the guest thread, so its stack says nothing of the call
            // that waited for it: add the caller's, keeping the type callers catch on.
            failure.addSuppressed(new CallerStack());
            throw failure;
        }
    }

    /** The stack of a thread that waited for an execution's outcome, as a suppressed exception. */
    private static final class CallerStack extends Exception {
        CallerStack() {
            super("the execution's outcome was waited for here (" + Thread.currentThread() + ")");
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
