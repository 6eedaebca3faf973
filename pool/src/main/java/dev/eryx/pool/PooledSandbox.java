package dev.eryx.pool;

import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxFiles;
import java.util.Objects;
import java.util.function.Function;

/**
 * A sandbox lent by a {@link SandboxPool}. Globals persist between its executions until it is
 * closed; closing hands it back, and the pool never lends its state to anyone else. Use it from one
 * thread at a time, like a {@link Sandbox}.
 */
public final class PooledSandbox implements AutoCloseable {
    private final SandboxPool pool;
    private final Sandbox sandbox;

    /**
     * Guards {@link #returned} and {@link #inFlight}: {@link #close()} hands the sandbox back only
     * after every execution of this user has ended (asynchronous ones included), so none can run
     * after the pool resets it for the next user.
     */
    private final Object lock = new Object();

    private boolean returned;
    private int inFlight;

    PooledSandbox(SandboxPool pool, Sandbox sandbox) {
        this.pool = pool;
        this.sandbox = sandbox;
    }

    /** Runs code under the pool's limits; see {@link Sandbox#execute(String)}. */
    public ExecutionResult execute(String code) {
        Sandbox live = begin();
        try {
            return live.execute(code);
        } finally {
            end();
        }
    }

    /**
     * Runs code under other limits for this execution (timeout, fuel, output); the memory and
     * filesystem caps stay the pool's, fixed when the sandbox was created.
     */
    public ExecutionResult execute(String code, ResourceLimits limits) {
        return executeAsync(code, limits).get();
    }

    /**
     * Starts an execution under other limits for this one execution (timeout, fuel, output); cancel
     * it through the handle. {@link #close()} waits for it to end.
     *
     * @throws IllegalStateException this sandbox was returned to its pool, or is no longer usable
     */
    public ExecutionHandle executeAsync(String code, ResourceLimits limits) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(limits, "limits");
        return startTracked(live -> live.executeAsync(code, limits));
    }

    /**
     * As {@link #executeAsync(String, ResourceLimits)}, streaming the output to {@code output}
     * while it runs ({@link Sandbox#executeAsync(String, ResourceLimits, OutputListener)}).
     *
     * @throws IllegalStateException this sandbox was returned to its pool, or is no longer usable
     */
    public ExecutionHandle executeAsync(String code, ResourceLimits limits, OutputListener output) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(
                output, "output: pass an OutputListener, or use executeAsync(code, limits)");
        return startTracked(live -> live.executeAsync(code, limits, output));
    }

    /** Starts an execution that keeps the sandbox lent until it ends (see {@link #close()}). */
    private ExecutionHandle startTracked(Function<Sandbox, ExecutionHandle> start) {
        Sandbox live = begin();
        ExecutionHandle handle;
        try {
            handle = start.apply(live);
        } catch (RuntimeException | Error e) {
            end();
            throw e;
        }
        handle.toCompletableFuture().whenComplete((result, failure) -> end());
        return handle;
    }

    /**
     * {@link Sandbox#redact(String)} of the lent sandbox: its secrets' values and placeholders
     * replaced by {@code [secret NAME]}. Works after the sandbox was returned too (it only reads
     * the secrets, which are the pool's template's).
     */
    public String redact(String text) {
        return sandbox.redact(text);
    }

    /** The sandbox's files (in-memory filesystem and the template's mounts). */
    public SandboxFiles files() {
        synchronized (lock) {
            requireLent();
            return sandbox.files();
        }
    }

    /** False after a hard stop left the interpreter unusable; close it and acquire another. */
    public boolean isUsable() {
        synchronized (lock) {
            return !returned && sandbox.isUsable();
        }
    }

    /**
     * Returns the sandbox to the pool. Idempotent. Waits for executions other threads are running
     * on it, and for those started with {@link #executeAsync} (each ends by its timeout at the
     * latest).
     */
    @Override
    public void close() {
        boolean interrupted = false;
        synchronized (lock) {
            if (returned) {
                return;
            }
            returned = true;
            while (inFlight > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the sandbox must still go back; keep the status
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        pool.release(sandbox);
    }

    /** An execution starts: the sandbox stays lent until {@link #end()}. */
    private Sandbox begin() {
        synchronized (lock) {
            requireLent();
            inFlight++;
            return sandbox;
        }
    }

    private void end() {
        synchronized (lock) {
            if (--inFlight == 0) {
                lock.notifyAll();
            }
        }
    }

    private void requireLent() {
        if (returned) {
            throw new IllegalStateException("this pooled sandbox was returned to its pool");
        }
    }
}
