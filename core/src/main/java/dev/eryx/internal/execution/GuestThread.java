package dev.eryx.internal.execution;

import dev.eryx.EryxException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The one thread a sandbox's interpreter runs on, and whether the interpreter may still be used.
 * The interpreter is not thread-safe, so everything that touches it is queued here and runs in
 * order; the thread has a large stack because Chicory runs each wasm call as a JVM call, so C
 * recursion in the guest recurses on it.
 *
 * <p>States: {@code USABLE}, then {@code POISONED} (an execution left the interpreter in an unknown
 * state) or {@code CLOSED}; a poisoned thread can still be closed, a closed one stays closed.
 * Closing lets the tasks already queued run: each sees the state and returns at once.
 */
final class GuestThread implements AutoCloseable {
    private enum State {
        USABLE,
        POISONED,
        CLOSED
    }

    private final ExecutorService executor;
    private final AtomicReference<State> state = new AtomicReference<>(State.USABLE);
    private volatile Thread thread;

    GuestThread(String name, long stackBytes) {
        this.executor =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread created = new Thread(null, runnable, name, stackBytes);
                            created.setDaemon(true);
                            thread = created; // the executor replaces a thread a task killed
                            return created;
                        });
    }

    /** Whether the caller is this thread (a tracer, say, called from the running guest). */
    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /** Set once, before the state leaves USABLE for POISONED. */
    private volatile String poisonedBy =
            "an earlier execution left the interpreter in an unknown state";

    boolean isUsable() {
        return state.get() == State.USABLE;
    }

    /** Why the interpreter cannot be used, or {@code null} if it can. */
    IllegalStateException notUsable() {
        switch (state.get()) {
            case USABLE:
                return null;
            case CLOSED:
                return new IllegalStateException("the sandbox is closed");
            default:
                return new IllegalStateException("the sandbox is no longer usable: " + poisonedBy);
        }
    }

    void requireUsable() {
        IllegalStateException notUsable = notUsable();
        if (notUsable != null) {
            throw notUsable;
        }
    }

    /**
     * The interpreter is in an unknown state (or has exited): nothing may run in it any more.
     *
     * @param why what ended it, for the exception of every later call
     */
    void poison(String why) {
        if (state.compareAndSet(State.USABLE, State.POISONED)) {
            poisonedBy = why;
        }
    }

    /**
     * Marks the thread closed; the caller then stops what runs and calls {@link #close()}.
     *
     * @return false if it was closed already
     */
    boolean markClosed() {
        return state.getAndSet(State.CLOSED) != State.CLOSED;
    }

    /** Queues {@code task}. */
    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the sandbox is closed");
        }
    }

    /**
     * Runs {@code task} on the guest thread after everything queued and waits for it. What the task
     * throws is rethrown as it is.
     *
     * @param doing what the task does, for the exception if the wait is interrupted
     * @throws IllegalStateException the sandbox is closed
     * @throws EryxException the calling thread was interrupted while waiting (its interrupt status
     *     is set again)
     */
    <T> T call(String doing, Supplier<T> task) {
        Future<T> result;
        try {
            result = executor.submit(task::get);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the sandbox is closed");
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EryxException("interrupted while " + doing, null, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new EryxException("failed while " + doing, null, cause);
        }
    }

    /** Stops the guest hard: Chicory throws at the next call or loop back-edge. */
    void interrupt() {
        Thread current = thread;
        if (current != null) {
            current.interrupt();
        }
    }

    /** Closes (if not yet) and lets the thread end once the queued tasks have returned. */
    @Override
    public void close() {
        markClosed();
        executor.shutdown();
    }
}
