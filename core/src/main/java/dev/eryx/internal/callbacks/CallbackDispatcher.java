package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Effect;
import dev.eryx.ResourceLimits;
import dev.eryx.TraceEvent;
import dev.eryx.TraceListener;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.values.ApiValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host half of callbacks for one sandbox: answers the bridge's CALL, START, POLL, CANCEL and
 * EMIT operations (docs/bridge-abi.md).
 *
 * <p>START validates the arguments, hands the call to a shared host executor and returns an id at
 * once; the guest keeps running (its event loop) and collects finished calls with POLL, which
 * blocks the guest thread until one finishes, the guest's next timer is due, or the execution is
 * stopped. Every call ends exactly once ({@link Invocation#settle}), whichever comes first: the
 * host function, the callback timeout, a CANCEL from the guest, or the end of the execution; that
 * moment writes the ledger entry, so the ledger is complete and the guest cannot affect it.
 *
 * <p>Trace listeners are called only on the guest thread (START, POLL, EMIT, and the end of an
 * execution), so they see one ordered stream.
 */
public final class CallbackDispatcher {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Host functions run here; shared by all sandboxes. Threads are created as calls need them. */
    private static final ExecutorService EXECUTOR =
            Executors.newCachedThreadPool(daemon("eryx-callback-"));

    private static final ScheduledExecutorService TIMERS =
            Executors.newSingleThreadScheduledExecutor(daemon("eryx-callback-timer-"));

    /** EMIT kind byte for trace events. */
    static final int EMIT_TRACE = 1;

    /**
     * Entries one execution's ledger keeps; later ones are counted in a final LEDGER_TRUNCATED
     * entry. Bounds the host memory a guest can make the ledger hold (a loop of opens or calls).
     */
    public static final int MAX_LEDGER_ENTRIES = 10_000;

    private final CallbackSetup setup;
    private final TraceListener tracer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private final Map<Long, Invocation> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<Invocation> finished = new ArrayDeque<>();
    private List<Effect> ledger = new ArrayList<>();
    private long droppedEffects;
    private boolean wakeRequested;
    private long nextId = 1;

    // Per execution; touched by the guest thread only (and read by stopExecution under lock).
    private int invocations;
    private int maxInvocations = Integer.MAX_VALUE;
    private Duration callbackTimeout;
    private Summary summary = Summary.EMPTY;
    private boolean active;

    /** What an execution did with callbacks. */
    public static final class Summary {
        static final Summary EMPTY = new Summary(0, List.of());
        private final int invocations;
        private final List<Effect> effects;

        Summary(int invocations, List<Effect> effects) {
            this.invocations = invocations;
            this.effects = List.copyOf(effects);
        }

        public int invocations() {
            return invocations;
        }

        public List<Effect> effects() {
            return effects;
        }
    }

    public CallbackDispatcher(CallbackSetup setup) {
        this.setup = setup == null ? CallbackSetup.NONE : setup;
        this.tracer = this.setup.tracer();
    }

    /**
     * Adds what the guest runtime needs to the REQUEST answer: the callbacks (first request) and
     * the trace switch.
     */
    public void addToRequest(ObjectNode request, boolean firstRequest) {
        if (firstRequest) {
            // Sent even when empty: an interpreter restored from a saved state or an image still
            // has the callbacks of the sandbox it was captured from, and must drop them.
            request.set("callbacks", setup.describe());
        }
        if (tracer != null) {
            request.put("trace", true);
        }
    }

    /** Called on the guest thread before the execution runs. */
    public void beginExecution(ResourceLimits limits) {
        lock.lock();
        try {
            inFlight.clear();
            finished.clear();
            ledger = new ArrayList<>();
            droppedEffects = 0;
            wakeRequested = false;
        } finally {
            lock.unlock();
        }
        invocations = 0;
        maxInvocations = limits.maxCallbackInvocations();
        callbackTimeout = limits.callbackTimeout();
        summary = Summary.EMPTY;
        active = true;
    }

    /**
     * The execution is being stopped (timeout, cancellation, close): cancels every pending host
     * call and wakes a guest waiting in POLL. Any thread, any number of times.
     */
    public void stopExecution() {
        List<Invocation> pending;
        lock.lock();
        try {
            pending = new ArrayList<>(inFlight.values());
            wakeRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Invocation invocation : pending) {
            invocation.settle(
                    Effect.Outcome.CANCELLED, null, "CancelledError", "the execution was stopped");
        }
    }

    /**
     * Ends the execution: cancels the calls still running (they are recorded as CANCELLED) and
     * returns the count and the ledger. Called on the guest thread; repeated calls return the same.
     */
    public Summary finishExecution() {
        if (!active) {
            return summary;
        }
        active = false;
        List<Invocation> pending;
        lock.lock();
        try {
            pending = new ArrayList<>(inFlight.values());
        } finally {
            lock.unlock();
        }
        for (Invocation invocation : pending) {
            invocation.settle(
                    Effect.Outcome.CANCELLED, null, "CancelledError", "the execution ended");
        }
        for (Invocation invocation : pending) {
            traceEnd(invocation);
        }
        lock.lock();
        try {
            inFlight.clear();
            finished.clear();
            if (droppedEffects > 0) {
                ledger.add(
                        ApiValues.effect(
                                Effect.Kind.LEDGER_TRUNCATED,
                                "",
                                droppedEffects,
                                Duration.ZERO,
                                Effect.Outcome.OK,
                                null,
                                null));
            }
            summary = new Summary(invocations, ledger);
            ledger = new ArrayList<>();
            droppedEffects = 0;
        } finally {
            lock.unlock();
        }
        return summary;
    }

    public byte[] handle(BridgeOp op, byte[] request) {
        if (!active) {
            throw new BridgeFailure(BridgeFailure.ERROR, "no execution is running");
        }
        switch (op) {
            case START:
                return Long.toString(start(request)).getBytes(StandardCharsets.UTF_8);
            case CALL:
                return call(request);
            case POLL:
                return poll(parseLong(request));
            case CANCEL:
                cancel(parseLong(request));
                return new byte[0];
            case EMIT:
                emit(request);
                return new byte[0];
            default:
                throw new BridgeFailure(
                        BridgeFailure.UNKNOWN_OP, op + " is not a callback operation");
        }
    }

    private long start(byte[] request) {
        JsonNode json;
        try {
            json = JSON.readTree(request);
        } catch (IOException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "malformed callback request");
        }
        String name = json.path("name").asText("");
        JsonNode arguments = json.get("args");
        if (arguments == null || arguments.isNull()) {
            arguments = JsonNodeFactory.instance.objectNode();
        }
        CallbackSetup.Entry entry = setup.get(name);
        if (entry == null) {
            throw new BridgeFailure(
                    BridgeFailure.ERROR, "no host callback is named '" + name + "'");
        }
        Invocation invocation;
        lock.lock();
        try {
            invocation =
                    new Invocation(
                            nextId++,
                            entry,
                            arguments,
                            arguments.toString().getBytes(StandardCharsets.UTF_8).length);
        } finally {
            lock.unlock();
        }
        String invalid = entry.validate(arguments);
        if (!invalid.isEmpty()) {
            register(invocation);
            invocation.settle(
                    Effect.Outcome.INVALID_ARGUMENTS,
                    null,
                    "TypeError",
                    name + "(): invalid arguments: " + invalid);
            return invocation.id;
        }
        if (invocations >= maxInvocations) {
            record(
                    ApiValues.effect(
                            Effect.Kind.CALLBACK,
                            name,
                            request.length,
                            Duration.ZERO,
                            Effect.Outcome.REJECTED,
                            "invocation limit reached",
                            null));
            throw new BridgeFailure(
                    BridgeFailure.ERROR,
                    "callback invocation limit reached: at most "
                            + maxInvocations
                            + " per execution");
        }
        invocations++;
        register(invocation);
        trace(ApiValues.traceEvent(TraceEvent.Kind.CALLBACK_START, null, 0, name, null, null));
        invocation.dispatch(callbackTimeout);
        return invocation.id;
    }

    /** A synchronous call: START and wait for exactly that result. */
    private byte[] call(byte[] request) {
        long id = start(request);
        Invocation invocation;
        lock.lock();
        try {
            invocation = inFlight.get(id);
            while (invocation != null && !invocation.settled.get()) {
                if (wakeRequested) {
                    throw new BridgeFailure(
                            BridgeFailure.TIMEOUT, "the execution is being stopped");
                }
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BridgeFailure(BridgeFailure.TIMEOUT, "interrupted");
                }
            }
            if (invocation == null) {
                throw new BridgeFailure(BridgeFailure.ERROR, "the callback was cancelled");
            }
            finished.remove(invocation);
            inFlight.remove(id);
        } finally {
            lock.unlock();
        }
        traceEnd(invocation);
        return invocation.response;
    }

    private byte[] poll(long timeoutMillis) {
        Invocation invocation;
        lock.lock();
        try {
            long deadline =
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
            while (finished.isEmpty()) {
                if (inFlight.isEmpty()) {
                    // The guest waits for calls the host does not know (an earlier execution's).
                    throw new BridgeFailure(BridgeFailure.ERROR, "no host callback is pending");
                }
                if (wakeRequested) {
                    wakeRequested = false;
                    throw new BridgeFailure(BridgeFailure.TIMEOUT, "woken");
                }
                long left = deadline - System.nanoTime();
                if (timeoutMillis >= 0 && left <= 0) {
                    throw new BridgeFailure(BridgeFailure.TIMEOUT, "no callback finished in time");
                }
                try {
                    if (timeoutMillis < 0) {
                        changed.await();
                    } else {
                        changed.awaitNanos(left);
                    }
                } catch (InterruptedException e) {
                    // A hard stop: Chicory notices the flag at the guest's next call or back-edge.
                    Thread.currentThread().interrupt();
                    throw new BridgeFailure(BridgeFailure.TIMEOUT, "interrupted");
                }
            }
            invocation = finished.poll();
            inFlight.remove(invocation.id);
        } finally {
            lock.unlock();
        }
        traceEnd(invocation);
        return invocation.response;
    }

    private void cancel(long id) {
        Invocation invocation;
        lock.lock();
        try {
            invocation = inFlight.remove(id);
        } finally {
            lock.unlock();
        }
        if (invocation == null) {
            return; // already delivered, or from an earlier execution
        }
        invocation.settle(
                Effect.Outcome.CANCELLED, null, "CancelledError", "cancelled by the guest");
        traceEnd(invocation);
    }

    private void emit(byte[] request) {
        if (tracer == null || request.length == 0 || request[0] != EMIT_TRACE) {
            return;
        }
        JsonNode json;
        try {
            json = JSON.readTree(request, 1, request.length - 1);
        } catch (IOException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "malformed trace event");
        }
        TraceEvent.Kind kind;
        switch (json.path("k").asText("")) {
            case "line":
                kind = TraceEvent.Kind.LINE;
                break;
            case "call":
                kind = TraceEvent.Kind.CALL;
                break;
            case "return":
                kind = TraceEvent.Kind.RETURN;
                break;
            case "exception":
                kind = TraceEvent.Kind.EXCEPTION;
                break;
            default:
                return; // callback events come from the host, never from the guest
        }
        JsonNode detail = json.get("x");
        trace(
                ApiValues.traceEvent(
                        kind,
                        json.path("f").asText(null),
                        json.path("l").asInt(0),
                        json.path("fn").asText(null),
                        null,
                        detail == null || detail.isNull() ? null : detail.asText()));
    }

    /** Guest thread, lock held or not. */
    private void traceEnd(Invocation invocation) {
        if (tracer != null && invocation.traced && !invocation.endTraced) {
            invocation.endTraced = true;
            trace(
                    ApiValues.traceEvent(
                            TraceEvent.Kind.CALLBACK_END,
                            null,
                            0,
                            invocation.name(),
                            Duration.ofNanos(invocation.durationNanos),
                            invocation.outcome.name()));
        }
    }

    private void trace(TraceEvent event) {
        if (tracer == null) {
            return;
        }
        try {
            tracer.onEvent(event);
        } catch (RuntimeException ignored) {
            // A failing listener must not break the guest.
        }
    }

    private void register(Invocation invocation) {
        invocation.traced = tracer != null;
        lock.lock();
        try {
            inFlight.put(invocation.id, invocation);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends an entry to the running execution's ledger, which the file audit shares, so callback
     * and file entries are in one order. Any thread.
     */
    public void record(Effect effect) {
        lock.lock();
        try {
            appendLocked(effect);
        } finally {
            lock.unlock();
        }
    }

    private void appendLocked(Effect effect) {
        if (ledger.size() < MAX_LEDGER_ENTRIES) {
            ledger.add(effect);
        } else {
            droppedEffects++;
        }
    }

    private static long parseLong(byte[] request) {
        try {
            return Long.parseLong(new String(request, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "expected a decimal number");
        }
    }

    /** One host call, from START until it is settled and delivered. */
    private final class Invocation {
        final long id;
        final CallbackSetup.Entry entry;
        final JsonNode arguments;
        final long argumentBytes;
        final long started = System.nanoTime();
        final AtomicBoolean settled = new AtomicBoolean();
        volatile Future<?> task;
        volatile CompletableFuture<?> stage;
        volatile ScheduledFuture<?> timer;
        // Written once by settle() before the invocation is published to `finished` under the lock.
        Effect.Outcome outcome;
        long durationNanos;
        byte[] response;
        boolean traced;
        boolean endTraced;

        Invocation(long id, CallbackSetup.Entry entry, JsonNode arguments, long argumentBytes) {
            this.id = id;
            this.entry = entry;
            this.arguments = arguments;
            this.argumentBytes = argumentBytes;
        }

        String name() {
            return entry.callback.name();
        }

        void dispatch(Duration timeout) {
            if (timeout != null) {
                timer =
                        TIMERS.schedule(
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
            task =
                    EXECUTOR.submit(
                            () -> {
                                try {
                                    CompletableFuture<?> future =
                                            entry.callback
                                                    .invoke(arguments.deepCopy())
                                                    .toCompletableFuture();
                                    stage = future;
                                    if (settled.get()) {
                                        future.cancel(
                                                true); // cancelled while the function was returning
                                        // its stage
                                    }
                                    future.whenComplete(this::complete);
                                } catch (Throwable failure) {
                                    complete(null, failure);
                                }
                            });
            if (settled.get()) {
                // Cancelled or timed out before `task` was set: settle() could not interrupt it.
                abandonIfCancelled();
            }
        }

        private void abandonIfCancelled() {
            lock.lock();
            Effect.Outcome how;
            try {
                how = outcome;
            } finally {
                lock.unlock();
            }
            if (how == Effect.Outcome.TIMEOUT || how == Effect.Outcome.CANCELLED) {
                task.cancel(true);
            }
        }

        private void complete(Object value, Throwable failure) {
            if (failure != null) {
                settle(Effect.Outcome.ERROR, null, "CallbackError", message(failure));
                return;
            }
            JsonNode json;
            try {
                json = value == null ? NullNode.instance : JSON.valueToTree(value);
            } catch (IllegalArgumentException e) {
                settle(
                        Effect.Outcome.ERROR,
                        null,
                        "CallbackError",
                        "callback '"
                                + name()
                                + "' returned a value that is not JSON: "
                                + message(e));
                return;
            }
            settle(Effect.Outcome.OK, json == null ? NullNode.instance : json, null, null);
        }

        /**
         * Ends the call exactly once: writes its response and ledger entry and hands it to POLL.
         */
        void settle(Effect.Outcome how, JsonNode value, String errorType, String error) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            if (how == Effect.Outcome.TIMEOUT || how == Effect.Outcome.CANCELLED) {
                Future<?> running = task;
                if (running != null) {
                    running.cancel(true);
                }
                CompletableFuture<?> s = stage;
                if (s != null) {
                    s.cancel(true);
                }
            }
            ObjectNode json =
                    JSON.createObjectNode().put("id", id).put("ok", how == Effect.Outcome.OK);
            if (how == Effect.Outcome.OK) {
                json.set("value", value);
            } else {
                json.put("error", error).put("type", errorType);
            }
            byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
            lock.lock();
            try {
                outcome = how;
                durationNanos = System.nanoTime() - started;
                response = bytes;
                long resultBytes =
                        how == Effect.Outcome.OK
                                ? value.toString().getBytes(StandardCharsets.UTF_8).length
                                : 0;
                appendLocked(
                        ApiValues.effect(
                                Effect.Kind.CALLBACK,
                                name(),
                                argumentBytes + resultBytes,
                                Duration.ofNanos(durationNanos),
                                how,
                                how == Effect.Outcome.OK ? null : error,
                                null));
                if (inFlight.containsKey(id)) {
                    finished.add(this);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
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

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
