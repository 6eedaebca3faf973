package dev.eryx.internal.execution;

import dev.eryx.EryxException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.SandboxCrashedException;
import dev.eryx.SandboxFiles;
import dev.eryx.internal.callbacks.CallbackDispatcher;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.GuestTrap;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.ledger.EffectLedger;
import dev.eryx.internal.net.NetBridge;
import dev.eryx.internal.net.NetSession;
import dev.eryx.internal.net.secrets.SecretSet;
import dev.eryx.internal.vfs.Vfs;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The machinery behind a {@code Sandbox}: runs its executions one after another on the {@link
 * GuestThread}, each under a {@link Watchdog}, and hands out results and exceptions through the
 * {@link OutcomeMapper}. After a failure below Python the interpreter is in an unknown state: it is
 * rolled back to the start of the execution ({@link #rollBack()}), or the sandbox is poisoned.
 */
public final class SandboxRuntime implements AutoCloseable {
    private final SandboxSpec spec;
    private final GuestThread thread;
    private final Watchdog watchdog;

    /** The secrets with their placeholders: bound once, kept across resets. */
    private final SecretSet secrets;

    /** What executions did outside the interpreter: callbacks and files report to it. */
    private final EffectLedger ledger;

    /** Host callbacks and tracing (dev.eryx.internal.callbacks). */
    private final CallbackDispatcher callbacks;

    private final ExecutionBridge bridge;

    /** The guest's network (sockets, waits, limits); serves the notifier even without a policy. */
    private final NetSession net;

    /** The host's stdin, read ahead on its own thread; null when the guest's stdin is empty. */
    private final StdinPump stdin;

    /** Tells the execution listeners how each execution ended. */
    private final ExecutionNotifier notifier;

    /** Calls the stdout/stderr listeners, off the guest thread. */
    private final OutputDelivery output;

    /** Guards the running execution, its outcome and stop, rollback and reset. */
    private final Object lock = new Object();

    /** Replaced by {@link #reset()}; otherwise fixed. */
    private volatile GuestEnvironment environment;

    /** Set by {@link #start}, before anything else can reach the runtime. */
    private GuestInstance guest;

    private SandboxRuntime(SandboxSpec spec) {
        this.spec = spec;
        String id = Integer.toHexString(System.identityHashCode(this));
        this.thread = new GuestThread("eryx-guest-" + id, spec.guestStackBytes);
        this.watchdog = new Watchdog(lock, new StopTarget(), thread);
        this.secrets = SecretSet.bind(spec.secrets, secretRandom(spec), spec.restoredPlaceholders);
        this.ledger = new EffectLedger(secrets.redactor()::redact);
        this.callbacks = new CallbackDispatcher(spec.callbacks, ledger, SharedScheduler::schedule);
        this.net = new NetSession(spec.network, secrets, ledger, callbacks::hasFinishedCall);
        callbacks.onCallFinished(net::callbackFinished);
        this.bridge =
                new ExecutionBridge(
                        watchdog::running,
                        lock,
                        callbacks,
                        new NetBridge(net, () -> environment.wasi()),
                        GuestEnvironment.environment(spec, secrets),
                        spec.packages == null ? List.of() : GuestLayers.sysPathOf(spec.packages),
                        spec.codeCache != null
                                        && spec.codeCache.bind(spec.image, spec.codeCachePackages)
                                ? spec.codeCache
                                : null);
        this.stdin = spec.stdin == null ? null : new StdinPump(spec.stdin, "eryx-stdin-" + id);
        this.output = new OutputDelivery("eryx-output-" + id);
        this.notifier = new ExecutionNotifier(spec.executionListeners);
        this.environment = new GuestEnvironment(spec, secrets, ledger, guestStdin(), net);
    }

    /**
     * The placeholders come from the sandbox's randomness: a seeded sandbox gets the same ones
     * every time (from a generator of their own, so the guest's random stream is unchanged).
     */
    private static RandomGenerator secretRandom(SandboxSpec spec) {
        return spec.randomSeed.isPresent()
                ? new SplittableRandom(spec.randomSeed.getAsLong() ^ 0x5ec2e75e_c2e75ec2L)
                : new SecureRandom();
    }

    /** The sandbox's secrets (network filters and redaction). */
    public SecretSet secrets() {
        return secrets;
    }

    /** Builds the guest environment and boots the interpreter on the guest thread. */
    public static SandboxRuntime start(SandboxSpec spec) {
        SandboxRuntime runtime = new SandboxRuntime(spec);
        try {
            runtime.guest =
                    runtime.thread.call(
                            "starting the interpreter",
                            () -> runtime.environment.startInterpreter(spec, runtime.bridge));
            return runtime;
        } catch (RuntimeException | Error e) {
            runtime.close();
            throw e;
        }
    }

    /**
     * Captures the interpreter between executions (after any queued one) and hands its state to
     * {@code withState}, which also runs on the guest thread, so nothing executes in between (the
     * saved-state encoder reads the in-memory files there).
     */
    public <T> T captureState(Function<InterpreterState, T> withState) {
        return captureWithFiles((image, files) -> withState.apply(image));
    }

    /**
     * Like {@link #captureState}, also handing over the filesystem, which {@code withState} reads
     * on the guest thread while nothing executes (the saved-state encoder walks its tree).
     */
    public <T> T captureWithFiles(BiFunction<InterpreterState, Vfs, T> withState) {
        refuseFromOwnCallback("saveState()");
        thread.requireUsable();
        return thread.call(
                "capturing the interpreter state",
                () -> {
                    thread.requireUsable();
                    // A saved state holds no connection: the guest's sockets end here.
                    environment.closeSockets();
                    net.reset();
                    return withState.apply(guest.captureState(), environment.vfs());
                });
    }

    /**
     * See {@code Sandbox.reset()}: memory and globals as in the image (in O(pages written since the
     * restore), see {@code PagedMemory}) and a new {@link GuestEnvironment} from the same spec,
     * which the guest adopts again on the next execution.
     *
     * @return false, with the sandbox unchanged, if it cannot be reset (not restored from an image,
     *     unusable, or closed): discard it instead
     */
    public boolean reset() {
        refuseFromOwnCallback("reset()");
        if (!thread.isUsable() || spec.image == null) {
            return false;
        }
        try {
            return thread.call("resetting the sandbox", this::resetOnGuestThread);
        } catch (IllegalStateException | EryxException closedOrInterrupted) {
            return false;
        }
    }

    private boolean resetOnGuestThread() {
        if (!thread.isUsable()) {
            return false;
        }
        try {
            GuestEnvironment old = environment;
            GuestEnvironment fresh = new GuestEnvironment(spec, secrets, ledger, guestStdin(), net);
            boolean reset;
            synchronized (lock) {
                reset = watchdog.running() == null && guest.resetTo(spec.image, fresh.wasi());
                if (reset) {
                    environment = fresh;
                    bridge.forgetAdoption();
                    net.reset(); // the old environment's sockets close with it
                }
            }
            (reset ? old : fresh).close();
            return reset;
        } catch (RuntimeException | Error e) {
            // A failure half-way leaves the sandbox in no known state.
            thread.poison("resetting it failed half-way (" + e + ")");
            return false;
        }
    }

    private InputStream guestStdin() {
        return stdin == null ? null : stdin.guestStream();
    }

    /**
     * For measurements (docs/performance.md, "Guest memory"): see {@link
     * GuestInstance#memoryFootprint()}; read on the guest thread after queued executions.
     */
    public long[] memoryFootprint() {
        return thread.call("measuring memory", () -> guest.memoryFootprint());
    }

    public ResourceLimits limits() {
        return spec.limits;
    }

    public boolean isUsable() {
        return thread.isUsable();
    }

    public SandboxFiles files() {
        return environment.files();
    }

    public ExecutionHandle submit(String code, ResourceLimits limits) {
        return submit(code, limits, null);
    }

    /**
     * Queues {@code code} under {@code limits}; {@code listener} (or {@code null}) receives its
     * output as the sandbox's stdout/stderr listeners do.
     */
    public ExecutionHandle submit(String code, ResourceLimits limits, OutputListener listener) {
        refuseFromOwnCallback("execute()");
        thread.requireUsable();
        return submit(new Execution(watchdog, code, limits, listener));
    }

    /** A script's source bytes, decoded by the guest as CPython decodes a file. */
    public ExecutionHandle submit(byte[] source, String filename, ResourceLimits limits) {
        refuseFromOwnCallback("execute()");
        thread.requireUsable();
        return submit(new Execution(watchdog, source, filename, limits));
    }

    private ExecutionHandle submit(Execution execution) {
        thread.execute(() -> run(execution));
        return execution;
    }

    /**
     * A host function of this sandbox, running for the execution in flight, asks for work that
     * queues behind that execution, which waits for the function: it would wait for itself (until
     * the callback timeout, or forever). The guest thread itself (a tracer calling back) likewise.
     * Any other thread keeps the usual queueing.
     */
    private void refuseFromOwnCallback(String operation) {
        if (callbacks.onCallbackThread() || thread.isCurrent()) {
            throw new IllegalStateException(
                    operation
                            + " called from one of this sandbox's own callbacks (or its tracer)"
                            + " while its execution waits for it: it would wait for itself. Return"
                            + " a value to the guest instead, or use another sandbox");
        }
    }

    /** Runs on the guest thread. */
    private void run(Execution execution) {
        long started = System.nanoTime();
        RuntimeException refused;
        synchronized (lock) {
            if (execution.stopReason != null || execution.isDone()) {
                return; // stopped while queued: the stop completes it
            }
            execution.started = true; // from here on, only this thread completes it
            refused = thread.notUsable();
            if (refused == null) {
                try {
                    begin(execution);
                } catch (RuntimeException | Error unexpected) {
                    watchdog.end();
                    thread.poison("an internal failure prevented an execution: " + unexpected);
                    refused =
                            new SandboxCrashedException(
                                    "internal failure while starting the execution: " + unexpected,
                                    null,
                                    unexpected);
                }
            }
        }
        if (refused != null) {
            complete(execution, null, refused, started);
            return;
        }
        ExecutionResult outcome = null;
        Throwable error = null;
        try {
            Throwable failure = null;
            int status = -1;
            try {
                status = guest.exec();
            } catch (Throwable t) {
                failure = t;
            }
            execution.networkWaitCancelled = net.cancelledAWait();
            ExecutionResult result = null;
            try {
                result = finish(execution, Duration.ofNanos(System.nanoTime() - started));
            } catch (Throwable t) {
                failure = failure == null ? t : failure;
            }
            // Everything reaches the listeners before execute() returns, unless a stop abandons it.
            execution.outputIncomplete = !execution.output.drain();
            if (failure == null && status == 0 && execution.outcome != null) {
                outcome = OutcomeMapper.reported(execution, result);
            } else {
                EryxException failed = OutcomeMapper.failed(execution, failure, result, guest);
                // The interpreter was unwound mid-call or its runtime failed: its state is unknown.
                // os._exit() ends the interpreter on purpose, like a process exit: not undone.
                if (!(failure instanceof GuestTrap && rollBack())) {
                    thread.poison(
                            "an earlier execution ended the interpreter: " + failed.getMessage());
                }
                error = failed;
            }
        } catch (EryxException stopOrPythonError) {
            error = stopOrPythonError;
        } catch (RuntimeException | Error unexpected) {
            // A host bug while concluding: the caller still gets an outcome, never a hang.
            thread.poison("an internal failure ended an earlier execution: " + unexpected);
            error =
                    new SandboxCrashedException(
                            "internal failure while ending the execution: " + unexpected,
                            null,
                            unexpected);
        } finally {
            try {
                watchdog.end();
                environment.endExecution();
                Thread.interrupted(); // a late hard stop must not leak into the next execution
            } finally {
                // After the watchdog let go of it: a stop can no longer reach this thread while
                // the listeners run.
                complete(execution, outcome, error, started);
            }
        }
    }

    /** Prepares the guest for {@code execution} and arms its watchdog; holding {@link #lock}. */
    private void begin(Execution execution) {
        execution.captureOutput(
                spec.stdoutListener,
                spec.stderrListener,
                spec.stdoutBytesListener,
                spec.stderrBytesListener,
                output,
                secrets.redactor());
        if (stdin != null) {
            stdin.rearm();
        }
        environment.beginExecution(execution.stdout, execution.stderr);
        // The rollback point of a hard stop: memory, globals, and the host state tied to them.
        guest.beginExecution();
        bridge.beginExecution();
        guest.clearInterrupt();
        guest.setFuel(execution.limits.maxFuel());
        ledger.begin();
        net.beginExecution();
        callbacks.beginExecution(execution.limits);
        watchdog.begin(execution);
    }

    /**
     * Tells the listeners how the execution ended, then hands its caller the outcome: the listeners
     * have run by the time {@code execute()} returns or throws.
     */
    private void complete(
            Execution execution, ExecutionResult result, Throwable failure, long startedNanos) {
        try {
            notifier.finished(result, failure, Duration.ofNanos(System.nanoTime() - startedNanos));
        } finally {
            if (failure == null) {
                execution.future.complete(result);
            } else {
                execution.future.completeExceptionally(failure);
            }
        }
    }

    /**
     * Ends the execution's ledger, exactly once (which also cancels host calls still running), and
     * collects its result so far.
     */
    private ExecutionResult finish(Execution execution, Duration duration) {
        int calls;
        try {
            environment.flushFileEffects(); // files still open: their reads/writes belong here
        } finally {
            calls = callbacks.finishExecution(); // its cancelled calls go to the ledger
            net.endExecution(); // connections still open: their entries so far
        }
        return OutcomeMapper.result(execution, duration, guest, calls, ledger.finish());
    }

    /**
     * Puts the guest back as it was when the execution began: memory and globals (the journal of
     * {@link GuestInstance#rollback()}), whether it had adopted the environment, and descriptors it
     * opened since (closed: nothing in the restored memory refers to them). Not undone (see
     * docs/architecture.md, "Stopping the guest"): VFS writes, which stay like a crashed process's
     * completed writes; offsets of descriptors that were open before; descriptors closed during the
     * execution (a file object of the restored interpreter that used one gets EBADF).
     */
    private boolean rollBack() {
        synchronized (lock) {
            if (!thread.isUsable() || !guest.rollback()) {
                return false;
            }
            bridge.rollBack();
        }
        environment.closeDescriptorsOpenedSinceBegin(); // its sockets too
        net.rollBack();
        return true;
    }

    @Override
    public void close() {
        Execution running;
        synchronized (lock) {
            if (!thread.markClosed()) {
                return;
            }
            running = watchdog.running();
        }
        if (running != null) {
            watchdog.stop(running, StopReason.CANCELLED);
            watchdog.hardStop(running);
        }
        watchdog.close();
        thread.close();
        callbacks.close();
        environment.close();
        net.close();
        output.close();
        if (stdin != null) {
            stdin.close();
        }
    }

    /** What the watchdog acts on; called holding {@link #lock}. */
    private final class StopTarget implements Watchdog.Guest {
        @Override
        public Runnable refuse(Execution execution, StopReason reason) {
            EryxException refused =
                    OutcomeMapper.stopped(
                            execution, reason, OutcomeMapper.notStarted(guest.memoryBytes()));
            return () -> complete(execution, null, refused, System.nanoTime());
        }

        @Override
        public void requestInterrupt(boolean first) {
            guest.requestInterrupt();
            environment.wakeUp();
            net.wakeUp(); // ends a wait on a socket or in poll_oneoff
            if (first) {
                // Cancels the pending host calls and wakes a guest waiting for one.
                callbacks.stopExecution();
            }
        }

        @Override
        public boolean interruptPending() {
            return guest.interruptPending();
        }

        @Override
        public void endWaits(Execution execution) {
            if (stdin != null) {
                stdin.wake();
            }
            if (execution.output != null) {
                execution.output.wake();
            }
        }
    }
}
