package dev.eryx.internal.execution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.EryxException;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.MemoryLimitException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.SandboxCrashedException;
import dev.eryx.SandboxFiles;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeHandler;
import dev.eryx.internal.bridge.BridgeHost;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.callbacks.CallbackDispatcher;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.engine.GuestSnapshot;
import dev.eryx.internal.engine.GuestTrap;
import dev.eryx.internal.values.ApiValues;
import dev.eryx.internal.wasi.WasiExitException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The machinery behind a {@code Sandbox}: a guest thread that owns the interpreter, a watchdog that
 * enforces timeouts and cancellation, and the translation of guest outcomes into results and
 * exceptions.
 *
 * <p>Stopping is two-stage. First the interpreter is asked to raise {@code KeyboardInterrupt} at
 * its next safe point (it polls a flag in its memory once per bytecode and clears it when it takes
 * the request); that leaves it consistent and the sandbox usable. If the flag is still set after
 * {@link #COOPERATIVE_GRACE}, the guest is stuck in C code, and its thread is interrupted, which
 * Chicory turns into an exception at the next call or loop back-edge; the interpreter is then in an
 * unknown state, so it is rolled back to the start of the execution ({@link #rollBack()}), or
 * poisoned where that is impossible. If the flag was taken, the guest is unwinding (which can take
 * a while in cold code) or caught the interrupt; it is asked again every grace period and stopped
 * hard once {@link #WIND_DOWN} has passed.
 */
public final class SandboxRuntime implements AutoCloseable {
    /**
     * Python code takes the flag within microseconds (it is polled per bytecode), so a flag still
     * set after this long means C code; half the 100 ms stop contract leaves the hard stop its
     * margin (measured: C loops and regex backtracking stopped ~101 ms after the request with 100).
     */
    static final Duration COOPERATIVE_GRACE = Duration.ofMillis(50);

    /**
     * How long a guest that took the interrupt request may take to finish before it is stopped
     * hard.
     */
    static final Duration WIND_DOWN = Duration.ofSeconds(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private enum State {
        USABLE,
        POISONED,
        CLOSED
    }

    private final SandboxSpec spec;
    private final ExecutorService guestExecutor;
    private final ScheduledExecutorService watchdog;

    /** Replaced by {@link #reset()}; otherwise fixed. */
    private volatile GuestEnvironment environment;

    /** Host callbacks, tracing and the audit ledger (dev.eryx.internal.callbacks). */
    private final CallbackDispatcher callbacks;

    private volatile Thread guestThread;
    private volatile State state = State.USABLE;
    private GuestInstance guest;

    /** The execution running on the guest thread; guarded by {@code this}. */
    private Execution current;

    /**
     * Whether the guest runtime has taken on this sandbox's environment (first request does it).
     */
    private boolean adopted;

    /** Host state at the start of the running execution, for a rollback; guest thread only. */
    private boolean adoptedAtStart;

    private java.util.BitSet descriptorsAtStart;

    private SandboxRuntime(SandboxSpec spec) {
        this.spec = spec;
        String id = Integer.toHexString(System.identityHashCode(this));
        this.guestExecutor =
                Executors.newSingleThreadExecutor(daemon("eryx-guest-" + id, spec.guestStackBytes));
        this.watchdog =
                Executors.newSingleThreadScheduledExecutor(daemon("eryx-watchdog-" + id, 0));
        this.callbacks = new CallbackDispatcher(spec.callbacks);
        this.environment = new GuestEnvironment(spec, callbacks::record);
    }

    /** Builds the guest environment and boots the interpreter on the guest thread. */
    public static SandboxRuntime start(SandboxSpec spec) {
        SandboxRuntime runtime = new SandboxRuntime(spec);
        Future<?> boot = runtime.guestExecutor.submit(runtime::boot);
        try {
            boot.get();
            return runtime;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            runtime.close();
            throw new EryxException("interrupted while starting the interpreter", null, e);
        } catch (ExecutionException e) {
            runtime.close();
            String stderr = runtime.environment.bootDiagnostics();
            throw new SandboxCrashedException(
                    "the interpreter failed to start: "
                            + e.getCause().getMessage()
                            + (stderr.isEmpty() ? "" : "\n" + stderr),
                    null,
                    e.getCause());
        }
    }

    private void boot() {
        guestThread = Thread.currentThread();
        BridgeHost bridge = new BridgeHost(new Bridge());
        guest =
                spec.image == null
                        ? GuestInstance.boot(
                                GuestModule.python(),
                                environment.wasi(),
                                bridge,
                                spec.limits.maxMemoryBytes(),
                                spec.memoryOptions)
                        : GuestInstance.restore(
                                GuestModule.python(),
                                spec.image,
                                environment.wasi(),
                                bridge,
                                spec.limits.maxMemoryBytes(),
                                spec.memoryOptions);
    }

    /**
     * Boots an interpreter from scratch, imports {@code preloadModules} (into {@code sys.modules},
     * not into the globals users see) and captures the result. Every sandbox restored from the
     * image shares only this immutable state; see docs/architecture.md for what it fixes for all.
     */
    public static GuestSnapshot captureImage(List<String> preloadModules) {
        SandboxSpec templateSpec = SandboxSpec.builder().limits(ResourceLimits.unlimited()).build();
        try (SandboxRuntime template = start(templateSpec)) {
            StringBuilder code = new StringBuilder();
            for (String module : preloadModules) {
                if (!module.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                    throw new IllegalArgumentException("not a module name: " + module);
                }
                code.append("__import__('").append(module).append("')\n");
            }
            template.submit(code.toString(), ResourceLimits.unlimited()).get();
            Future<GuestSnapshot> capture =
                    template.guestExecutor.submit(() -> template.guest.snapshot());
            try {
                return capture.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EryxException(
                        "interrupted while capturing the interpreter image", null, e);
            } catch (ExecutionException e) {
                throw new EryxException("cannot capture the interpreter image", null, e.getCause());
            }
        }
    }

    /**
     * Captures the interpreter between executions (after any queued one) and hands the snapshot to
     * {@code withState}, which also runs on the guest thread, so nothing executes in between (the
     * saved-state encoder reads the in-memory files there).
     */
    public <T> T captureState(java.util.function.Function<GuestSnapshot, T> withState) {
        requireUsable();
        Future<T> capture;
        try {
            capture =
                    guestExecutor.submit(
                            () -> {
                                requireUsable();
                                return withState.apply(guest.snapshot());
                            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the sandbox is closed");
        }
        try {
            return capture.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EryxException("interrupted while capturing the interpreter state", null, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new EryxException("cannot capture the interpreter state", null, e.getCause());
        }
    }

    /**
     * Returns the sandbox to the state right after it was built, after any execution already
     * queued: the interpreter's memory and globals as in the image (in O(pages written since the
     * restore), see {@code PagedMemory}), and a new guest environment built from the same spec (a
     * new filesystem with the spec's files and mounts, new descriptors, clocks and randomness); the
     * guest adopts the environment again on the next execution.
     *
     * @return false, with the sandbox unchanged, if it cannot be reset (not restored from an image,
     *     unusable, or closed): discard it instead
     */
    public boolean reset() {
        if (state != State.USABLE || spec.image == null) {
            return false;
        }
        Future<Boolean> reset;
        try {
            reset = guestExecutor.submit(this::resetOnGuestThread);
        } catch (RejectedExecutionException closed) {
            return false;
        }
        try {
            while (true) {
                try {
                    return reset.get(COOPERATIVE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException stillQueued) {
                    if (state == State.CLOSED) {
                        return false; // close() dropped the queued reset: it will never run
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.CancellationException e) {
            return false;
        } catch (ExecutionException e) {
            // A failure half-way leaves the sandbox in no known state.
            state = State.POISONED;
            return false;
        }
    }

    private boolean resetOnGuestThread() {
        if (state != State.USABLE) {
            return false;
        }
        GuestEnvironment fresh = new GuestEnvironment(spec, callbacks::record);
        GuestEnvironment old;
        synchronized (this) {
            if (current != null || !guest.resetTo(spec.image, fresh.wasi())) {
                old = null;
            } else {
                old = environment;
                environment = fresh;
                adopted = false;
            }
        }
        if (old == null) {
            fresh.close();
            return false;
        }
        old.close();
        return true;
    }

    /**
     * For measurements (docs/performance.md, "Guest memory"): see {@link
     * GuestInstance#memoryFootprint()}; read on the guest thread after queued executions.
     */
    public long[] memoryFootprint() {
        try {
            return guestExecutor.submit(() -> guest.memoryFootprint()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EryxException("interrupted while measuring memory", null, e);
        } catch (ExecutionException | RejectedExecutionException e) {
            throw new IllegalStateException("cannot measure memory: " + e);
        }
    }

    /**
     * Guest paths where other filesystems are mounted (shared layers and host mounts); not sandbox
     * state.
     */
    public List<String> mountPoints() {
        return spec.mountPoints();
    }

    public ResourceLimits limits() {
        return spec.limits;
    }

    public boolean isUsable() {
        return state == State.USABLE;
    }

    public SandboxFiles files() {
        return environment.files();
    }

    public ExecutionHandle submit(String code, ResourceLimits limits) {
        requireUsable();
        Execution execution = new Execution(this, code, limits);
        try {
            guestExecutor.execute(() -> run(execution));
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the sandbox is closed");
        }
        return execution;
    }

    private void requireUsable() {
        State s = state;
        if (s != State.USABLE) {
            throw new IllegalStateException(
                    s == State.CLOSED
                            ? "the sandbox is closed"
                            : "the sandbox is no longer usable: an earlier execution left the interpreter in an unknown state");
        }
    }

    /** Runs on the guest thread. */
    private void run(Execution execution) {
        if (state != State.USABLE) {
            execution.future.completeExceptionally(
                    new IllegalStateException(
                            state == State.CLOSED
                                    ? "the sandbox is closed"
                                    : "the sandbox is no longer usable"));
            return;
        }
        long started = System.nanoTime();
        long fuelLimit = execution.limits.maxFuel();
        synchronized (this) {
            if (execution.isDone()) {
                return; // cancelled while queued
            }
            OutputBudget budget =
                    new OutputBudget(
                            execution.limits.maxOutputBytes(),
                            () -> stop(execution, StopReason.OUTPUT_LIMIT));
            execution.stdout = new CapturedStream(spec.stdoutListener, budget);
            execution.stderr = new CapturedStream(spec.stderrListener, budget);
            environment.beginExecution(execution.stdout, execution.stderr);
            // The rollback point of a hard stop: memory, globals, and the host state tied to them.
            guest.beginExecution();
            adoptedAtStart = adopted;
            descriptorsAtStart = environment.wasi().fdTable().openDescriptors();
            guest.clearInterrupt();
            guest.setFuel(fuelLimit);
            callbacks.beginExecution(execution.limits);
            current = execution;
        }
        ScheduledFuture<?> timeout = scheduleTimeout(execution);
        try {
            int status = guest.exec();
            ExecutionResult result = result(execution, started, fuelLimit);
            execution.future.complete(interpret(execution, status, result));
        } catch (EryxException interpreted) {
            execution.future.completeExceptionally(interpreted);
        } catch (Throwable failure) {
            execution.future.completeExceptionally(
                    translate(execution, failure, started, fuelLimit));
        } finally {
            if (timeout != null) {
                timeout.cancel(false);
            }
            environment.endExecution();
            callbacks.finishExecution(); // cancels host calls still running; idempotent
            synchronized (this) {
                current = null;
            }
            Thread.interrupted(); // a late hard stop must not leak into the next execution
        }
    }

    private ExecutionResult result(Execution execution, long started, long fuelLimit) {
        long remaining = guest.fuel();
        // A negative counter means the fuel trap fired: everything was consumed. A module that
        // never
        // decrements the counter reports 0.
        long consumed = remaining < 0 ? fuelLimit : fuelLimit - remaining;
        environment
                .flushFileEffects(); // files still open: their reads/writes belong to this ledger
        CallbackDispatcher.Summary calls = callbacks.finishExecution();
        ExecutionStats stats =
                ApiValues.executionStats(
                        Math.max(0, consumed), guest.peakMemoryBytes(), calls.invocations());
        GuestOutcome outcome = execution.outcome;
        return ApiValues.executionResult(
                execution.stdout.finish(),
                execution.stderr.finish(),
                outcome == null ? null : outcome.result,
                Duration.ofNanos(System.nanoTime() - started),
                stats,
                outcome == null ? 0 : outcome.exitCode,
                calls.effects());
    }

    /** The partial result of an execution stopped before it ran. */
    private ExecutionResult notStarted() {
        return ApiValues.executionResult(
                "",
                "",
                null,
                Duration.ZERO,
                ApiValues.executionStats(0, guest.memoryBytes(), 0),
                0,
                List.of());
    }

    private ExecutionResult interpret(Execution execution, int status, ExecutionResult result) {
        GuestOutcome outcome = execution.outcome;
        if (status != 0 || outcome == null) {
            state = State.POISONED; // the runtime itself failed; its state is unknown
            throw new SandboxCrashedException(
                    "the guest runtime failed without reporting an outcome"
                            + (result.stderr().isEmpty() ? "" : ": " + result.stderr()),
                    result,
                    null);
        }
        StopReason stop = execution.stopReason;
        if (stop == StopReason.OUTPUT_LIMIT) {
            // Output was dropped, so even a successful outcome is incomplete.
            throw stopped(execution, stop, result);
        }
        if (outcome.ok) {
            return result;
        }
        if (stop != null && "KeyboardInterrupt".equals(outcome.errorType)) {
            throw stopped(execution, stop, result);
        }
        throw new PythonException(
                outcome.errorType, outcome.errorMessage, outcome.traceback, result);
    }

    /**
     * Maps a failure below Python. The interpreter was unwound mid-call, so its memory is in an
     * unknown state: it is rolled back to the start of the execution, or, where that is impossible,
     * the sandbox is poisoned.
     */
    private EryxException translate(
            Execution execution, Throwable failure, long started, long fuelLimit) {
        EryxException mapped = mapFailure(execution, failure, started, fuelLimit);
        // os._exit() ends the interpreter on purpose, like a process exit: not undone.
        boolean undo = failure instanceof GuestTrap;
        if (!(undo && rollBack())) {
            state = State.POISONED;
        }
        return mapped;
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
        synchronized (this) {
            if (state != State.USABLE || !guest.rollback()) {
                return false;
            }
            adopted = adoptedAtStart;
        }
        environment.wasi().fdTable().closeAllExcept(descriptorsAtStart);
        return true;
    }

    private EryxException mapFailure(
            Execution execution, Throwable failure, long started, long fuelLimit) {
        ExecutionResult partial;
        try {
            partial = result(execution, started, fuelLimit);
        } catch (RuntimeException e) {
            partial = null;
        }
        if (failure instanceof GuestTrap) {
            GuestTrap trap = (GuestTrap) failure;
            if (trap.kind() == GuestTrap.Kind.INTERRUPTED && execution.stopReason != null) {
                return stopped(execution, execution.stopReason, partial);
            }
            if (trap.kind() == GuestTrap.Kind.TRAP && guest.fuel() < 0) {
                return new FuelExhaustedException(fuelLimit, fuelLimit, partial);
            }
            if (trap.kind() == GuestTrap.Kind.TRAP
                    && (guest.memoryRefused()
                            || guest.memoryBytes() + (1 << 20)
                                    >= Math.min(execution.limits.maxMemoryBytes(), 4L << 30))) {
                return new MemoryLimitException(
                        "the guest ran out of memory at "
                                + guest.memoryBytes()
                                + " bytes and could not recover",
                        partial);
            }
            return new SandboxCrashedException(trap.getMessage(), partial, trap);
        }
        if (failure instanceof WasiExitException) {
            // os._exit() unwinds the interpreter without cleaning up, like a process exit: nothing
            // can run in this interpreter afterwards.
            return new SandboxCrashedException(
                    "the guest ended the interpreter with os._exit("
                            + ((WasiExitException) failure).exitCode()
                            + ")",
                    partial,
                    failure);
        }
        return new SandboxCrashedException(
                "internal failure while running the guest: " + failure, partial, failure);
    }

    private static EryxException stopped(
            Execution execution, StopReason reason, ExecutionResult partial) {
        switch (reason) {
            case TIMEOUT:
                return new ExecutionTimeoutException(
                        "execution exceeded " + execution.limits.executionTimeout(), partial);
            case OUTPUT_LIMIT:
                return new OutputLimitException(
                        "output exceeded " + execution.limits.maxOutputBytes() + " bytes", partial);
            default:
                return new ExecutionCancelledException("execution cancelled", partial);
        }
    }

    private ScheduledFuture<?> scheduleTimeout(Execution execution) {
        Duration timeout = execution.limits.executionTimeout();
        if (timeout == null) {
            return null;
        }
        return watchdog.schedule(
                () -> stop(execution, StopReason.TIMEOUT), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops an execution, cooperatively first; see the class comment. Any thread, any number of
     * times.
     */
    void stop(Execution execution, StopReason reason) {
        synchronized (this) {
            if (execution.stopReason != null || execution.isDone()) {
                return;
            }
            execution.stopReason = reason;
            if (current != execution) {
                // Still queued: it never starts (run() checks under this lock).
                execution.future.completeExceptionally(stopped(execution, reason, notStarted()));
                return;
            }
            // Once an outcome is reported, interrupting could only hit the runtime on its way out;
            // but
            // guest code can report a forged one and keep running, so the hard stop stays armed.
            if (execution.outcome == null) {
                guest.requestInterrupt();
                environment.wakeUp();
                callbacks.stopExecution(); // cancels pending host calls, wakes a guest waiting for
                // one
            }
        }
        scheduleEnforcement(execution, System.nanoTime() + WIND_DOWN.toNanos());
    }

    /**
     * Checks on a stop request after a grace period. If the interpreter has not even taken the
     * request (the flag is still set) it is stuck below Python, so it is stopped hard at once. If
     * it has, it is unwinding or its code caught the KeyboardInterrupt: it is asked again, and
     * stopped hard only once the wind-down budget is spent.
     */
    private void enforceStop(Execution execution, long windDownDeadline) {
        synchronized (this) {
            if (current != execution) {
                return;
            }
            boolean windDownSpent = System.nanoTime() - windDownDeadline >= 0;
            if (execution.outcome != null) {
                // The runtime returns right after reporting: still running at the deadline means
                // user code reported the outcome itself and went on.
                if (windDownSpent) {
                    hardStop(execution);
                    return;
                }
            } else if (guest.interruptPending() || windDownSpent) {
                hardStop(execution);
                return;
            } else {
                guest.requestInterrupt();
                environment.wakeUp();
            }
        }
        scheduleEnforcement(execution, windDownDeadline);
    }

    private void scheduleEnforcement(Execution execution, long windDownDeadline) {
        try {
            watchdog.schedule(
                    () -> enforceStop(execution, windDownDeadline),
                    COOPERATIVE_GRACE.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            hardStop(execution);
        }
    }

    private synchronized void hardStop(Execution execution) {
        if (current == execution && guestThread != null) {
            guestThread.interrupt();
        }
    }

    @Override
    public void close() {
        Execution running;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            running = current;
        }
        if (running != null) {
            stop(running, StopReason.CANCELLED);
            hardStop(running);
        }
        guestExecutor.shutdownNow();
        watchdog.shutdownNow();
        environment.close();
    }

    /** Answers the guest runtime's bridge operations for the current execution. */
    private final class Bridge implements BridgeHandler {
        @Override
        public byte[] handle(BridgeOp op, byte[] request) {
            Execution execution = current;
            switch (op) {
                case REQUEST:
                    {
                        if (execution == null) {
                            throw new BridgeFailure(BridgeFailure.ERROR, "no execution is pending");
                        }
                        ObjectNode json = JSON.createObjectNode().put("code", execution.code);
                        callbacks.addToRequest(json, !adopted);
                        if (!adopted) {
                            ObjectNode env = json.putObject("env");
                            spec.env.forEach(env::put);
                            adopted = true;
                        }
                        return json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    }
                case COMPLETE:
                    {
                        if (execution == null) {
                            throw new BridgeFailure(BridgeFailure.ERROR, "no execution is pending");
                        }
                        GuestOutcome outcome;
                        try {
                            outcome = GuestOutcome.fromJson(JSON.readTree(request));
                        } catch (IOException e) {
                            throw new BridgeFailure(
                                    BridgeFailure.ERROR, "malformed outcome: " + e.getMessage());
                        }
                        synchronized (SandboxRuntime.this) {
                            execution.outcome =
                                    outcome; // from now on stop() leaves the guest alone
                        }
                        return new byte[0];
                    }
                case CALL:
                case START:
                case POLL:
                case CANCEL:
                case EMIT:
                    return callbacks.handle(op, request);
                default:
                    throw new BridgeFailure(BridgeFailure.UNKNOWN_OP, op + " is not supported yet");
            }
        }
    }

    private static ThreadFactory daemon(String name, long stackBytes) {
        return runnable -> {
            Thread thread = new Thread(null, runnable, name, stackBytes);
            thread.setDaemon(true);
            return thread;
        };
    }
}
