package dev.eryx.pool;

import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxFiles;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A sandbox lent by a {@link SandboxPool}. Globals persist between its executions until it is
 * closed; closing hands it back, and the pool never lends its state to anyone else. Use it from one
 * thread at a time, like a {@link Sandbox}.
 */
public final class PooledSandbox implements AutoCloseable {
    private final SandboxPool pool;
    private final Sandbox sandbox;
    private final AtomicBoolean returned = new AtomicBoolean();

    /**
     * Executions hold it shared, {@link #close()} exclusively: the pool resets the sandbox for the
     * next user only after every execution of this user has ended, so none can run after the reset.
     */
    private final ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock();

    PooledSandbox(SandboxPool pool, Sandbox sandbox) {
        this.pool = pool;
        this.sandbox = sandbox;
    }

    /** Runs code under the pool's limits; see {@link Sandbox#execute(String)}. */
    public ExecutionResult execute(String code) {
        inFlight.readLock().lock();
        try {
            return live().execute(code);
        } finally {
            inFlight.readLock().unlock();
        }
    }

    /**
     * Runs code under other limits for this execution (timeout, fuel, output); the memory and
     * filesystem caps stay the pool's, fixed when the sandbox was created.
     */
    public ExecutionResult execute(String code, ResourceLimits limits) {
        Objects.requireNonNull(limits, "limits");
        inFlight.readLock().lock();
        try {
            return live().execute(code, limits);
        } finally {
            inFlight.readLock().unlock();
        }
    }

    /**
     * Starts an execution under other limits for this one execution (timeout, fuel, output); cancel
     * it through the handle.
     */
    public ExecutionHandle executeAsync(String code, ResourceLimits limits) {
        throw new UnsupportedOperationException("contract: implemented by the core part");
    }

    /** The sandbox's files (in-memory filesystem and the template's mounts). */
    public SandboxFiles files() {
        return live().files();
    }

    /** False after a hard stop left the interpreter unusable; close it and acquire another. */
    public boolean isUsable() {
        return !returned.get() && sandbox.isUsable();
    }

    /**
     * Returns the sandbox to the pool. Idempotent. Waits for executions other threads are running
     * on it (each ends by its timeout at the latest).
     */
    @Override
    public void close() {
        inFlight.writeLock().lock();
        try {
            if (!returned.compareAndSet(false, true)) {
                return;
            }
        } finally {
            inFlight.writeLock().unlock();
        }
        pool.release(sandbox);
    }

    private Sandbox live() {
        if (returned.get()) {
            throw new IllegalStateException("this pooled sandbox was returned to its pool");
        }
        return sandbox;
    }
}
