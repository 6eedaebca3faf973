package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Effect;
import dev.eryx.internal.values.HumanDuration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** Set by {@link #dispatch}; null for a call refused before it. */
    private volatile CallbackGate gate;

    /** While positive, this call holds a place of its gate ({@link #takePlace()}). */
    private final AtomicInteger holds = new AtomicInteger();

    private final ResultEncoder encoder;

    /** The sandbox's host threads now running one of its functions, and the call each runs. */
    private final Map<Thread, Invocation> runningOn;

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
            ResultEncoder encoder,
            Map<Thread, Invocation> runningOn,
            Consumer<Invocation> onSettled) {
        this.id = id;
        this.encoder = encoder;
        this.runningOn = runningOn;
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

    /**
     * Starts the callback timeout (waiting for a place counts toward it) and hands the call to the
     * sandbox's gate, which runs it now or when a place is free, or refuses it.
     */
    void dispatch(CallbackGate gate, Timers timers, Duration timeout) {
        this.gate = gate;
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
                                                    + HumanDuration.of(timeout)),
                            timeout.toNanos(),
                            TimeUnit.NANOSECONDS);
        }
        String refused = gate.submit(this);
        if (refused != null) {
            settle(
                    Effect.Outcome.REJECTED,
                    null,
                    "CallbackError",
                    "callback '" + name() + "' was not run: " + refused);
        }
    }

    /**
     * The gate gave this call a place (called under the gate's lock): it holds it until its task
     * has returned from the executor and it is settled, whichever is last.
     */
    void takePlace() {
        holds.set(2);
    }

    /** Called by the gate once this call has a place, outside the gate's lock. */
    void handTo(Executor executor) {
        try {
            executor.execute(
                    () -> {
                        try {
                            task.run();
                        } finally {
                            dropHold();
                        }
                    });
        } catch (RuntimeException refused) {
            // The host's executor refused (RejectedExecutionException) or failed: the guest gets a
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
            dropHold();
        }
    }

    private void dropHold() {
        CallbackGate g = gate;
        if (holds.getAndUpdate(h -> h > 0 ? h - 1 : 0) == 1 && g != null) {
            g.release();
        }
    }

    /** On a host thread: calls the function and waits (without blocking) for its stage. */
    private void invoke() {
        Thread current = Thread.currentThread();
        runningOn.put(current, this);
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
        } finally {
            runningOn.remove(current, this);
        }
    }

    /**
     * The function returned or failed: settles the call now, whatever the value is. Any {@link
     * Throwable} (a mapper's {@code AssertionError}, a {@code StackOverflowError}) becomes the
     * guest's error at its {@code await}, never a call that does not settle.
     */
    private void complete(Object value, Throwable failure) {
        if (isSettled()) {
            return; // timed out or cancelled: nothing to encode
        }
        try {
            if (failure != null) {
                settle(Effect.Outcome.ERROR, null, "CallbackError", message(failure));
                return;
            }
            byte[] json;
            try {
                json = encoder.encode(value);
            } catch (ResultEncoder.NotJson e) {
                refuseValue(e.describe());
                return;
            }
            settle(Effect.Outcome.OK, json, null, null);
        } catch (Throwable unexpected) {
            refuseValue(message(unexpected));
        }
    }

    /** The host's value cannot go to the guest: the guest gets a CallbackError saying why. */
    private void refuseValue(String why) {
        settle(
                Effect.Outcome.ERROR,
                null,
                "CallbackError",
                "callback '" + name() + "' returned a value Python cannot receive: " + why);
    }

    /**
     * Ends the call exactly once: stops what still runs, writes the response, hands it to the
     * owner. Any thread; later calls do nothing.
     *
     * @param value the result's JSON text when {@code how} is OK
     */
    void settle(Effect.Outcome how, byte[] value, String errorType, String message) {
        if (!outcome.compareAndSet(null, how)) {
            return;
        }
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        CallbackGate g = gate;
        if (g != null) {
            g.withdraw(this);
        }
        if (how == Effect.Outcome.TIMEOUT || how == Effect.Outcome.CANCELLED) {
            task.cancel(true);
            CompletableFuture<?> s = stage;
            if (s != null) {
                s.cancel(true);
            }
        }
        // The guest reads the id first (eryx/_callbacks.py), so it can fail the right call even
        // when it cannot decode the rest.
        if (how == Effect.Outcome.OK) {
            byte[] head =
                    ("{\"id\":" + id + ",\"ok\":true,\"value\":").getBytes(StandardCharsets.UTF_8);
            byte[] whole = new byte[head.length + value.length + 1];
            System.arraycopy(head, 0, whole, 0, head.length);
            System.arraycopy(value, 0, whole, head.length, value.length);
            whole[whole.length - 1] = '}';
            resultBytes = value.length;
            response = whole;
        } else {
            ObjectNode json =
                    CallbackDispatcher.JSON
                            .createObjectNode()
                            .put("id", id)
                            .put("ok", false)
                            .put("error", message)
                            .put("type", errorType);
            error = message;
            response = json.toString().getBytes(StandardCharsets.UTF_8);
        }
        durationNanos = System.nanoTime() - started;
        dropHold();
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
