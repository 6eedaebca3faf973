package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.eryx.Effect;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.ledger.EffectLedger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host calls of the running execution, from START to delivery: START validates and hands a call
 * to the executor and returns its id at once; POLL blocks the guest thread until one is settled,
 * the guest's next timer is due, or the execution is stopped; CALL is START and wait for exactly
 * that one; CANCEL settles one. Every settled call is written to the ledger before the guest can
 * see it.
 */
final class Invocations {
    private final CallbackSetup setup;
    private final TraceRelay trace;
    private final EffectLedger ledger;
    private final CallbackGate gate;
    private final Timers timers;

    /** The host threads running one of this sandbox's functions (see {@link #onCallbackThread}). */
    private final Map<Thread, Invocation> runningOn = new ConcurrentHashMap<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private final Map<Long, Invocation> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<Invocation> finished = new ArrayDeque<>();
    private boolean wakeRequested;
    private long nextId = 1;

    /** Told when a call finished (the network's notifier wakes its poll); may be null. */
    private volatile Runnable finishedListener;

    // Per execution; guest thread only.
    private int count;
    private int maxCount = Integer.MAX_VALUE;
    private Duration timeout;
    private long maxStringBytes = Long.MAX_VALUE;
    private ResultEncoder encoder;

    Invocations(
            CallbackSetup setup,
            TraceRelay trace,
            EffectLedger ledger,
            CallbackGate gate,
            Timers timers) {
        this.setup = setup;
        this.trace = trace;
        this.ledger = ledger;
        this.gate = gate;
        this.timers = timers;
    }

    /** Guest thread, before the execution runs. */
    void begin(ResourceLimits limits) {
        lock.lock();
        try {
            inFlight.clear();
            finished.clear();
            wakeRequested = false;
        } finally {
            lock.unlock();
        }
        count = 0;
        maxCount = limits.maxCallbackInvocations();
        timeout = limits.callbackTimeout();
        maxStringBytes = limits.maxOutputBytes();
        encoder = new ResultEncoder(setup.mappers(), maxStringBytes);
        gate.configure(limits.maxConcurrentCallbacks(), limits.maxQueuedCallbacks());
    }

    /**
     * Whether the calling thread is running one of this sandbox's host functions for a call the
     * guest still waits for: then the sandbox's execution cannot end before the function returns.
     */
    boolean onCallbackThread() {
        Invocation invocation = runningOn.get(Thread.currentThread());
        return invocation != null && !invocation.isSettled();
    }

    /** Settles every pending call as CANCELLED and wakes a guest waiting in POLL. Any thread. */
    void stop() {
        lock.lock();
        try {
            wakeRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Invocation invocation : pending()) {
            invocation.settle(
                    Effect.Outcome.CANCELLED, null, "CancelledError", "the execution was stopped");
        }
    }

    /**
     * Guest thread, at the end of the execution: cancels the calls still running (recorded as
     * CANCELLED) and returns how many calls the execution started.
     */
    int finish() {
        List<Invocation> pending = pending();
        for (Invocation invocation : pending) {
            invocation.settle(
                    Effect.Outcome.CANCELLED, null, "CancelledError", "the execution ended");
        }
        for (Invocation invocation : pending) {
            trace.callbackEnded(invocation);
        }
        lock.lock();
        try {
            inFlight.clear();
            finished.clear();
        } finally {
            lock.unlock();
        }
        return count;
    }

    long start(byte[] request) {
        JsonNode json;
        try {
            json = CallbackJson.parseRequest(request);
        } catch (IllegalArgumentException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, e.getMessage());
        }
        String name = json.path("name").asText("");
        JsonNode arguments = json.get("args");
        if (arguments == null || arguments.isNull()) {
            arguments = JsonNodeFactory.instance.objectNode();
        }
        try {
            CallbackJson.checkArguments(arguments, maxStringBytes);
        } catch (IllegalArgumentException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, name + "(): " + e.getMessage());
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
                    new Invocation(nextId++, entry, arguments, encoder, runningOn, this::settled);
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
        if (count >= maxCount) {
            ledger.callback(
                    name,
                    request.length,
                    Duration.ZERO,
                    Effect.Outcome.REJECTED,
                    "invocation limit reached");
            throw new BridgeFailure(
                    BridgeFailure.ERROR,
                    "callback invocation limit reached: at most " + maxCount + " per execution");
        }
        count++;
        register(invocation);
        trace.callbackStarted(name);
        invocation.dispatch(gate, timers, timeout);
        return invocation.id;
    }

    /** A synchronous call: START and wait for exactly that result. */
    byte[] call(byte[] request) {
        long id = start(request);
        Invocation invocation;
        lock.lock();
        try {
            invocation = inFlight.get(id);
            while (invocation != null && !invocation.published) {
                if (wakeRequested) {
                    throw new BridgeFailure(
                            BridgeFailure.TIMEOUT, "the execution is being stopped");
                }
                await(-1);
            }
            if (invocation == null) {
                throw new BridgeFailure(BridgeFailure.ERROR, "the callback was cancelled");
            }
            finished.remove(invocation);
            inFlight.remove(id);
        } finally {
            lock.unlock();
        }
        trace.callbackEnded(invocation);
        return invocation.response;
    }

    byte[] poll(long timeoutMillis) {
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
                await(timeoutMillis < 0 ? -1 : left);
            }
            invocation = finished.poll();
            inFlight.remove(invocation.id);
        } finally {
            lock.unlock();
        }
        trace.callbackEnded(invocation);
        return invocation.response;
    }

    void cancel(long id) {
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
        trace.callbackEnded(invocation);
    }

    /** Whether a call has finished that the guest has not taken yet (the notifier is readable). */
    boolean hasFinished() {
        lock.lock();
        try {
            return !finished.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    void onFinished(Runnable listener) {
        this.finishedListener = listener;
    }

    /** Lock held: waits for a change, {@code nanos} at most (forever if negative). */
    private void await(long nanos) {
        try {
            if (nanos < 0) {
                changed.await();
            } else {
                changed.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            // A hard stop: Chicory notices the flag at the guest's next call or back-edge.
            Thread.currentThread().interrupt();
            throw new BridgeFailure(BridgeFailure.TIMEOUT, "interrupted");
        }
    }

    /** Any thread, once per invocation: into the ledger, then visible to POLL. */
    private void settled(Invocation invocation) {
        ledger.callback(
                invocation.name(),
                invocation.argumentBytes + invocation.resultBytes,
                Duration.ofNanos(invocation.durationNanos),
                invocation.outcome(),
                invocation.error);
        lock.lock();
        try {
            invocation.published = true;
            if (inFlight.containsKey(invocation.id)) {
                finished.add(invocation);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        Runnable listener = finishedListener;
        if (listener != null) {
            listener.run();
        }
    }

    private void register(Invocation invocation) {
        lock.lock();
        try {
            inFlight.put(invocation.id, invocation);
        } finally {
            lock.unlock();
        }
    }

    private List<Invocation> pending() {
        lock.lock();
        try {
            return new ArrayList<>(inFlight.values());
        } finally {
            lock.unlock();
        }
    }
}
