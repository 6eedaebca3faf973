package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.ledger.EffectLedger;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host half of callbacks for one sandbox: answers the bridge's CALL, START, POLL, CANCEL and
 * EMIT operations (docs/bridge-abi.md) for the running execution, and owns the sandbox's callback
 * threads unless the host injected its own executor.
 *
 * <p>The calls themselves live in {@link Invocations} (each one an {@link Invocation}); trace
 * events go through {@link TraceRelay}; every call's entry goes to the sandbox's {@link
 * EffectLedger}.
 */
public final class CallbackDispatcher implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The default executor's most threads, whatever maxConcurrentCallbacks says (it may be
     * unlimited): calls beyond wait in its queue, already counted by the gate.
     */
    private static final int MAX_OWN_THREADS = 4_096;

    /** How long an idle default thread lives: an idle sandbox soon holds no callback thread. */
    private static final long KEEP_ALIVE_SECONDS = 5;

    private final CallbackSetup setup;
    private final TraceRelay trace;
    private final Invocations invocations;
    private final CallbackGate gate;

    /** The default executor, which this dispatcher owns; null when the host injected one. */
    private final ThreadPoolExecutor ownExecutor;

    // Guest thread only.
    private boolean active;
    private int lastCount;

    /**
     * @param ledger receives an entry for every call
     * @param timers runs the callback timeouts; shared, never shut down here
     */
    public CallbackDispatcher(CallbackSetup setup, EffectLedger ledger, Timers timers) {
        this.setup = setup == null ? CallbackSetup.NONE : setup;
        this.trace = new TraceRelay(this.setup.tracer());
        Executor injected = this.setup.executor();
        this.ownExecutor =
                injected == null
                        ? boundedExecutor(
                                "eryx-callback-"
                                        + Integer.toHexString(System.identityHashCode(this)))
                        : null;
        this.gate = new CallbackGate(injected != null ? injected : ownExecutor);
        this.invocations =
                new Invocations(
                        this.setup,
                        trace,
                        Objects.requireNonNull(ledger, "ledger"),
                        gate,
                        Objects.requireNonNull(timers, "timers"));
    }

    /**
     * A pool per sandbox rather than one shared by all: a sandbox whose callbacks are slow cannot
     * starve another's, and the bound is easy to state (threads per sandbox). Its size follows
     * maxConcurrentCallbacks ({@link #beginExecution}); the {@link CallbackGate} in front of it
     * never hands it more calls than that, so its queue stays short. Core threads time out, so an
     * idle sandbox holds none; {@link #close()} shuts it down.
     */
    private static ThreadPoolExecutor boundedExecutor(String prefix) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor executor =
                new ThreadPoolExecutor(
                        1,
                        1,
                        KEEP_ALIVE_SECONDS,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(),
                        runnable -> {
                            Thread thread =
                                    new Thread(runnable, prefix + "-" + count.incrementAndGet());
                            thread.setDaemon(true);
                            return thread;
                        });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    private static void resize(ThreadPoolExecutor executor, int threads) {
        // The core size may never exceed the maximum: grow the maximum first, shrink it last.
        if (threads > executor.getMaximumPoolSize()) {
            executor.setMaximumPoolSize(threads);
            executor.setCorePoolSize(threads);
        } else if (threads < executor.getMaximumPoolSize()) {
            executor.setCorePoolSize(threads);
            executor.setMaximumPoolSize(threads);
        }
    }

    /**
     * Whether the calling thread is running one of this sandbox's callbacks for the execution in
     * flight: the sandbox must not wait for itself there.
     */
    public boolean onCallbackThread() {
        return invocations.onCallbackThread();
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
        if (trace.enabled()) {
            request.put("trace", true);
        }
    }

    /**
     * Whether a host call of the running execution has finished and not been POLLed yet: the
     * network notifier's readiness. Any thread.
     */
    public boolean hasFinishedCall() {
        return invocations.hasFinished();
    }

    /** Runs {@code listener} (on the settling thread) whenever a host call finishes. */
    public void onCallFinished(Runnable listener) {
        invocations.onFinished(listener);
    }

    /** Called on the guest thread before the execution runs. */
    public void beginExecution(ResourceLimits limits) {
        if (ownExecutor != null) {
            resize(ownExecutor, Math.min(limits.maxConcurrentCallbacks(), MAX_OWN_THREADS));
        }
        invocations.begin(limits);
        lastCount = 0;
        active = true;
    }

    /**
     * The execution is being stopped (timeout, cancellation, close): cancels every pending host
     * call and wakes a guest waiting in POLL. Any thread, any number of times.
     */
    public void stopExecution() {
        invocations.stop();
    }

    /**
     * Ends the execution: cancels the calls still running (they are recorded as CANCELLED) and
     * returns how many calls it made. Called on the guest thread; repeated calls return the same.
     */
    public int finishExecution() {
        if (active) {
            active = false;
            lastCount = invocations.finish();
        }
        return lastCount;
    }

    public byte[] handle(BridgeOp op, byte[] request) {
        if (!active) {
            throw new BridgeFailure(BridgeFailure.ERROR, "no execution is running");
        }
        switch (op) {
            case START:
                return Long.toString(invocations.start(request)).getBytes(StandardCharsets.UTF_8);
            case CALL:
                return invocations.call(request);
            case POLL:
                return invocations.poll(parseLong(request));
            case CANCEL:
                invocations.cancel(parseLong(request));
                return new byte[0];
            case EMIT:
                trace.emit(request);
                return new byte[0];
            default:
                throw new BridgeFailure(
                        BridgeFailure.UNKNOWN_OP, op + " is not a callback operation");
        }
    }

    /**
     * Stops the default executor's threads (interrupting calls still running). An injected executor
     * belongs to the host and is left alone.
     */
    @Override
    public void close() {
        stopExecution();
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }

    private static long parseLong(byte[] request) {
        try {
            return Long.parseLong(new String(request, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "expected a decimal number");
        }
    }
}
