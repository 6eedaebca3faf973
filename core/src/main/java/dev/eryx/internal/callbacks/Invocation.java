package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Effect;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One host call, from START until it is settled. It ends exactly once ({@link #settle}), whichever
 * comes first: the host function, the callback timeout, a CANCEL from the guest, the end of the
 * execution, or the executor refusing it. Settling writes the guest's response and hands the call
 * to its owner, which records it and delivers it to POLL.
 */
final class Invocation {
    final long id;
    private final CallbackSetup.Entry entry;
    private final JsonNode arguments;
    final long argumentBytes;
    private final long started = System.nanoTime();
    private final Consumer<Invocation> onSettled;

    /** Non-null once settled: the first outcome wins. */
    private final AtomicReference<Effect.Outcome> outcome = new AtomicReference<>();

    /**
     * Runs the host function. Our own task (not the executor's future), so cancellation interrupts
     * it on any {@link Executor}, and a task cancelled before it starts never runs.
     */
    private final FutureTask<Void> task = new FutureTask<>(this::invoke, null);

    private volatile CompletableFuture<?> stage;
    private volatile ScheduledFuture<?> timer;

    // Written by settle() before onSettled publishes the invocation (under its owner's lock).
    long durationNanos;
    long resultBytes;
    String error;
    byte[] response;

    /** Settled and its response readable; guarded by the owner's lock. */
    boolean published;

    /** Guest thread only: CALLBACK_END was traced. */
    boolean endTraced;

    Invocation(
            long id,
            CallbackSetup.Entry entry,
            JsonNode arguments,
            Consumer<Invocation> onSettled) {
        this.id = id;
        this.entry = entry;
        this.arguments = arguments;
        this.argumentBytes = arguments.toString().getBytes(StandardCharsets.UTF_8).length;
        this.onSettled = onSettled;
    }

    String name() {
        return entry.callback.name();
    }

    /** How it ended; null while it runs. */
    Effect.Outcome outcome() {
        return outcome.get();
    }

    boolean isSettled() {
        return outcome.get() != null;
    }

    /** Hands the host function to {@code executor}, with a timeout unless it is null. */
    void dispatch(Executor executor, Timers timers, Duration timeout) {
        try {
            if (timeout != null) {
                timer =
                        timers.schedule(
                                () ->
                                        settle(
                                                Effect.Outcome.TIMEOUT,
                                                null,
                                                "TimeoutError",
                                                "callback '"
                                                        + name()
                                                        + "' did not finish within "
                                                        + timeout),
                                timeout.toNanos(),
                                TimeUnit.NANOSECONDS);
            }
            executor.execute(task);
        } catch (RejectedExecutionException refused) {
            // The bounded default is saturated, or the host's executor refused: the guest gets a
            // CallbackError like any failed call, and the ledger says why.
            settle(
                    Effect.Outcome.ERROR,
                    null,
                    "CallbackError",
                    "callback '"
                            + name()
                            + "' was not run: the host refused it ("
                            + message(refused)
                            + ")");
        }
    }

    /** On a host thread: calls the function and waits (without blocking) for its stage. */
    private void invoke() {
        try {
            CompletableFuture<?> future =
                    entry.callback.invoke(arguments.deepCopy()).toCompletableFuture();
            stage = future;
            if (isSettled()) {
                future.cancel(true); // settled while the function was returning its stage
            }
            future.whenComplete(this::complete);
        } catch (Throwable failure) {
            complete(null, failure);
        }
    }

    private void complete(Object value, Throwable failure) {
        if (failure != null) {
            settle(Effect.Outcome.ERROR, null, "CallbackError", message(failure));
            return;
        }
        JsonNode json;
        try {
            json = value == null ? NullNode.instance : CallbackDispatcher.JSON.valueToTree(value);
        } catch (IllegalArgumentException e) {
            settle(
                    Effect.Outcome.ERROR,
                    null,
                    "CallbackError",
                    "callback '" + name() + "' returned a value that is not JSON: " + message(e));
            return;
        }
        settle(Effect.Outcome.OK, json == null ? NullNode.instance : json, null, null);
    }

    /**
     * Ends the call exactly once: stops what still runs, writes the response, hands it to the
     * owner. Any thread; later calls do nothing.
     */
    void settle(Effect.Outcome how, JsonNode value, String errorType, String message) {
        if (!outcome.compareAndSet(null, how)) {
            return;
        }
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        if (how == Effect.Outcome.TIMEOUT || how == Effect.Outcome.CANCELLED) {
            task.cancel(true);
            CompletableFuture<?> s = stage;
            if (s != null) {
                s.cancel(true);
            }
        }
        ObjectNode json =
                CallbackDispatcher.JSON
                        .createObjectNode()
                        .put("id", id)
                        .put("ok", how == Effect.Outcome.OK);
        if (how == Effect.Outcome.OK) {
            json.set("value", value);
            resultBytes = value.toString().getBytes(StandardCharsets.UTF_8).length;
        } else {
            json.put("error", message).put("type", errorType);
            error = message;
        }
        durationNanos = System.nanoTime() - started;
        response = json.toString().getBytes(StandardCharsets.UTF_8);
        onSettled.accept(this);
    }

    /**
     * The message of a host failure, without its stack trace or (where it adds nothing) its class.
     */
    static String message(Throwable failure) {
        while ((failure instanceof CompletionException || failure instanceof ExecutionException)
                && failure.getCause() != null) {
            failure = failure.getCause();
        }
        String message = failure.getMessage();
        return message == null || message.isEmpty() ? failure.getClass().getSimpleName() : message;
    }
}
