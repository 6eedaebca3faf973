package dev.eryx.internal.execution;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.engine.GuestSnapshot;
import dev.eryx.internal.engine.GuestTrap;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The machinery behind a {@code Sandbox}: a guest thread that owns the interpreter, a watchdog
 * that enforces timeouts and cancellation, and the translation of guest outcomes into results and
 * exceptions.
 *
 * <p>Stopping is two-stage. First the interpreter is asked to raise {@code KeyboardInterrupt} at
 * its next safe point; that leaves it consistent and the sandbox usable. If the guest has not
 * yielded after {@link #COOPERATIVE_GRACE} (it may be deep in C code, or catching the interrupt),
 * the guest thread is interrupted, which Chicory turns into an exception at the next call or loop
 * back-edge; the interpreter is then in an unknown state and the sandbox is poisoned.
 */
public final class SandboxRuntime implements AutoCloseable {
    static final Duration COOPERATIVE_GRACE = Duration.ofMillis(100);
    /** Guest code recurses on the host stack (each wasm call is a JVM frame); give it room. */
    private static final long GUEST_STACK_BYTES = 512L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private enum State { USABLE, POISONED, CLOSED }

    private final SandboxSpec spec;
    private final ExecutorService guestExecutor;
    private final ScheduledExecutorService watchdog;
    private final GuestEnvironment environment;
    private volatile Thread guestThread;
    private volatile State state = State.USABLE;
    private GuestInstance guest;
    /** The execution running on the guest thread; guarded by {@code this}. */
    private Execution current;
    /** Whether the guest runtime has taken on this sandbox's environment (first request does it). */
    private boolean adopted;

    private SandboxRuntime(SandboxSpec spec) {
        this.spec = spec;
        String id = Integer.toHexString(System.identityHashCode(this));
        this.guestExecutor = Executors.newSingleThreadExecutor(guestThreadFactory("eryx-guest-" + id));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("eryx-watchdog-" + id, 0));
        this.environment = new GuestEnvironment(spec);
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
            throw new SandboxCrashedException("the interpreter failed to start: " + e.getCause().getMessage()
                    + (stderr.isEmpty() ? "" : "\n" + stderr), null, e.getCause());
        }
    }

    private void boot() {
        guestThread = Thread.currentThread();
        BridgeHost bridge = new BridgeHost(new Bridge());
        guest = spec.image == null
                ? GuestInstance.boot(GuestModule.python(), environment.wasi(), bridge, spec.limits.maxMemoryBytes())
                : GuestInstance.restore(GuestModule.python(), spec.image, environment.wasi(), bridge,
                        spec.limits.maxMemoryBytes());
    }

    /**
     * Boots an interpreter from scratch, imports {@code preloadModules} (into {@code sys.modules},
     * not into the globals users see) and captures the result. Every sandbox restored from the
     * image shares only this immutable state; see docs/architecture.md for what it fixes for all.
     */
    public static GuestSnapshot captureImage(List<String> preloadModules) {
        SandboxSpec templateSpec = SandboxSpec.builder()
                .limits(ResourceLimits.unlimited())
                .build();
        try (SandboxRuntime template = start(templateSpec)) {
            StringBuilder code = new StringBuilder();
            for (String module : preloadModules) {
                if (!module.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                    throw new IllegalArgumentException("not a module name: " + module);
                }
                code.append("__import__('").append(module).append("')\n");
            }
            template.submit(code.toString(), ResourceLimits.unlimited()).get();
            Future<GuestSnapshot> capture = template.guestExecutor.submit(() -> template.guest.snapshot());
            try {
                return capture.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EryxException("interrupted while capturing the interpreter image", null, e);
            } catch (ExecutionException e) {
                throw new EryxException("cannot capture the interpreter image", null, e.getCause());
            }
        }
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
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("the sandbox is closed");
        }
        return execution;
    }

    private void requireUsable() {
        State s = state;
        if (s != State.USABLE) {
            throw new IllegalStateException(s == State.CLOSED ? "the sandbox is closed"
                    : "the sandbox is no longer usable: an earlier execution left the interpreter in an unknown state");
        }
    }

    /** Runs on the guest thread. */
    private void run(Execution execution) {
        if (execution.stopReason != null) {
            execution.future.completeExceptionally(stoppedBeforeStart(execution));
            return;
        }
        if (state != State.USABLE) {
            execution.future.completeExceptionally(new IllegalStateException("the sandbox is no longer usable"));
            return;
        }
        synchronized (this) {
            current = execution;
        }
        ScheduledFuture<?> timeout = scheduleTimeout(execution);
        long started = System.nanoTime();
        long fuelLimit = execution.limits.maxFuel();
        OutputBudget budget = new OutputBudget(execution.limits.maxOutputBytes());
        execution.stdout = new CapturedStream(spec.stdoutListener, budget);
        execution.stderr = new CapturedStream(spec.stderrListener, budget);
        environment.beginExecution(execution.stdout, execution.stderr, execution.limits);
        try {
            guest.clearInterrupt();
            guest.setFuel(fuelLimit);
            int status = guest.exec();
            ExecutionResult result = result(execution, started, fuelLimit);
            execution.future.complete(interpret(execution, status, result));
        } catch (Throwable failure) {
            execution.future.completeExceptionally(translate(execution, failure, started, fuelLimit));
        } finally {
            if (timeout != null) {
                timeout.cancel(false);
            }
            environment.endExecution();
            synchronized (this) {
                current = null;
            }
            Thread.interrupted(); // a late hard stop must not leak into the next execution
        }
    }

    private ExecutionResult result(Execution execution, long started, long fuelLimit) {
        long remaining = guest.fuel();
        // A negative counter means the fuel trap fired: everything was consumed.
        long consumed = remaining < 0 ? fuelLimit : fuelLimit - remaining;
        ExecutionStats stats = new ExecutionStats(Math.max(0, consumed), guest.memoryBytes(), 0);
        GuestOutcome outcome = execution.outcome;
        return new ExecutionResult(execution.stdout.finish(), execution.stderr.finish(),
                outcome == null ? null : outcome.result,
                Duration.ofNanos(System.nanoTime() - started), stats,
                outcome == null ? 0 : outcome.exitCode);
    }

    private ExecutionResult interpret(Execution execution, int status, ExecutionResult result) {
        GuestOutcome outcome = execution.outcome;
        if (status != 0 || outcome == null) {
            throw new SandboxCrashedException("the guest runtime failed without reporting an outcome"
                    + (result.stderr().isEmpty() ? "" : ": " + result.stderr()), result, null);
        }
        if (outcome.ok) {
            return result;
        }
        StopReason stop = execution.stopReason;
        if (stop != null && "KeyboardInterrupt".equals(outcome.errorType)) {
            throw stopped(execution, stop, result);
        }
        throw new PythonException(outcome.errorType, outcome.errorMessage, outcome.traceback, result);
    }

    private EryxException translate(Execution execution, Throwable failure, long started, long fuelLimit) {
        ExecutionResult partial;
        try {
            partial = result(execution, started, fuelLimit);
        } catch (RuntimeException e) {
            partial = null;
        }
        if (failure instanceof EryxException) {
            return (EryxException) failure; // already interpreted; the interpreter is consistent
        }
        state = State.POISONED;
        if (failure instanceof OutputLimitExceeded) {
            return new OutputLimitException("output exceeded " + execution.limits.maxOutputBytes() + " bytes", partial);
        }
        if (failure instanceof GuestTrap) {
            GuestTrap trap = (GuestTrap) failure;
            if (trap.kind() == GuestTrap.Kind.INTERRUPTED && execution.stopReason != null) {
                return stopped(execution, execution.stopReason, partial);
            }
            if (trap.kind() == GuestTrap.Kind.TRAP && guest.fuel() < 0) {
                return new FuelExhaustedException(partial.stats().fuelConsumed(), fuelLimit, partial);
            }
            if (trap.kind() == GuestTrap.Kind.TRAP
                    && guest.memoryBytes() + (1 << 20) >= Math.min(execution.limits.maxMemoryBytes(), 4L << 30)) {
                return new MemoryLimitException("the guest ran out of memory at "
                        + guest.memoryBytes() + " bytes and could not recover", partial);
            }
            return new SandboxCrashedException(trap.getMessage(), partial, trap);
        }
        if (environment.isExit(failure)) {
            return new SandboxCrashedException("the guest exited the interpreter (os._exit)", partial, failure);
        }
        return new SandboxCrashedException("internal failure while running the guest: " + failure, partial, failure);
    }

    private static EryxException stopped(Execution execution, StopReason reason, ExecutionResult partial) {
        if (reason == StopReason.TIMEOUT) {
            return new ExecutionTimeoutException("execution exceeded " + execution.limits.executionTimeout(), partial);
        }
        return new ExecutionCancelledException("execution cancelled", partial);
    }

    private static EryxException stoppedBeforeStart(Execution execution) {
        return stopped(execution, execution.stopReason, null);
    }

    private ScheduledFuture<?> scheduleTimeout(Execution execution) {
        Duration timeout = execution.limits.executionTimeout();
        if (timeout == null) {
            return null;
        }
        return watchdog.schedule(() -> stop(execution, StopReason.TIMEOUT), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops an execution, cooperatively first; see the class comment. Any thread. */
    void stop(Execution execution, StopReason reason) {
        synchronized (this) {
            if (execution.stopReason != null || execution.isDone()) {
                return;
            }
            execution.stopReason = reason;
            if (current != execution) {
                return; // still queued: run() completes it without starting it
            }
            guest.requestInterrupt();
            environment.wakeUp();
        }
        try {
            watchdog.schedule(() -> hardStop(execution), COOPERATIVE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
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
                case REQUEST: {
                    if (execution == null) {
                        throw new BridgeFailure(BridgeFailure.ERROR, "no execution is pending");
                    }
                    ObjectNode json = JSON.createObjectNode().put("code", execution.code);
                    if (!adopted) {
                        ObjectNode env = json.putObject("env");
                        spec.env.forEach(env::put);
                        adopted = true;
                    }
                    return json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
                case COMPLETE: {
                    if (execution == null) {
                        throw new BridgeFailure(BridgeFailure.ERROR, "no execution is pending");
                    }
                    try {
                        JsonNode outcome = JSON.readTree(request);
                        execution.outcome = GuestOutcome.fromJson(outcome);
                    } catch (IOException e) {
                        throw new BridgeFailure(BridgeFailure.ERROR, "malformed outcome: " + e.getMessage());
                    }
                    return new byte[0];
                }
                default:
                    throw new BridgeFailure(BridgeFailure.UNKNOWN_OP, op + " is not supported yet");
            }
        }
    }

    private static ThreadFactory guestThreadFactory(String name) {
        return daemon(name, GUEST_STACK_BYTES);
    }

    private static ThreadFactory daemon(String name, long stackBytes) {
        return runnable -> {
            Thread thread = new Thread(null, runnable, name, stackBytes);
            thread.setDaemon(true);
            return thread;
        };
    }
}
