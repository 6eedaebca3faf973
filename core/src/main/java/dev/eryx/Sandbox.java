package dev.eryx;

import dev.eryx.internal.callbacks.CallbackSetup;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import dev.eryx.internal.state.SavedState;
import dev.eryx.internal.vfs.host.HostMount;
import dev.eryx.internal.wasi.WasiConfig;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A CPython 3.14 interpreter isolated in WebAssembly. The guest sees only what the builder grants:
 * an in-memory filesystem, the mounted host directories, the given environment, clock, randomness
 * and standard streams.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.builder().build()) {
 *     ExecutionResult r = sandbox.execute("result = sum(range(10))");
 *     r.result();   // 45
 * }
 * }</pre>
 *
 * <p>Globals persist between executions, like a REPL; so does the asyncio loop top-level {@code
 * await} runs on, so a task created in one execution can be awaited in the next. Calls on one
 * sandbox are serialized; run sandboxes in parallel for parallelism. Close it to release its memory
 * and threads.
 *
 * <p>A timeout, a cancellation or the output cap stops Python code with a {@code KeyboardInterrupt}
 * and the sandbox stays usable; code stuck in C (for example {@code sum(range(10**12))}) or that
 * keeps swallowing the interrupt is stopped hard, and the sandbox then reports itself unusable
 * ({@link #isUsable()}). {@code os._exit()} ends the interpreter like a process exit: the execution
 * fails with {@link SandboxCrashedException} and the sandbox is unusable.
 */
public final class Sandbox implements AutoCloseable {
    private final SandboxRuntime runtime;

    private Sandbox(SandboxRuntime runtime) {
        this.runtime = runtime;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs Python source in this sandbox and waits for it. Top-level {@code await} is allowed.
     *
     * @throws PythonException the code raised an exception it did not catch
     * @throws EryxException a limit tripped, the execution was cancelled, or the guest crashed
     * @throws IllegalStateException the sandbox is closed or no longer usable, or this is called
     *     from one of its own callbacks while the execution waits for it
     */
    public ExecutionResult execute(String code) {
        return executeAsync(code).get();
    }

    /**
     * Starts an execution; it runs after any earlier one on this sandbox finishes.
     *
     * @throws IllegalStateException the sandbox is closed or no longer usable, or this is called
     *     from one of its own callbacks while the execution waits for it
     */
    public ExecutionHandle executeAsync(String code) {
        Objects.requireNonNull(code, "code");
        return runtime.submit(code, runtime.limits());
    }

    /**
     * Runs code under other limits for this one execution (timeout, fuel, output). The memory and
     * filesystem caps are fixed when the sandbox is built: this sandbox's own apply whatever {@code
     * limits} says about them.
     */
    public ExecutionResult execute(String code, ResourceLimits limits) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(limits, "limits");
        ResourceLimits own = runtime.limits();
        ResourceLimits effective =
                limits.toBuilder()
                        .maxMemoryBytes(own.maxMemoryBytes())
                        .maxVfsBytes(own.maxVfsBytes())
                        .build();
        return runtime.submit(code, effective).get();
    }

    /**
     * Captures the whole interpreter (variables, imported modules, objects) and the in-memory
     * filesystem as versioned, compressed bytes, after any execution already queued. {@link
     * Builder#restoreFrom(byte[])} continues from them, in this JVM or another running the same
     * eryx build. Not saved: host mounts (the restoring builder mounts what it wants), open file
     * descriptors other than stdio, and per-sandbox configuration (env, limits, clock, seed,
     * callbacks come from the restoring builder).
     *
     * @throws IllegalStateException the sandbox is closed or no longer usable, or this is called
     *     from one of its own callbacks while the execution waits for it
     */
    public byte[] saveState() {
        List<String> mountPoints = runtime.mountPoints();
        return runtime.captureState(
                image -> SavedState.encode(image, runtime.files(), mountPoints));
    }

    /**
     * False once the sandbox is closed, or after a failure left the interpreter in an unknown
     * state.
     */
    public boolean isUsable() {
        return runtime.isUsable();
    }

    /**
     * Returns this sandbox to the state right after {@link Builder#build()}, after any execution
     * already queued: the interpreter as in its image and fresh files, descriptors, environment,
     * clocks and randomness from the same configuration. Cheap (proportional to the memory pages
     * written since the build). Used by {@code SandboxPool} between users.
     *
     * @return false, with nothing changed, if this sandbox cannot be reset (unusable or closed); a
     *     sandbox built with {@link Builder#restoreFrom(byte[])} resets to that saved state's
     *     interpreter, files and empty directories
     * @throws IllegalStateException called from one of its own callbacks while the execution waits
     *     for it
     */
    public boolean reset() {
        return runtime.reset();
    }

    /** The limits every execution of this sandbox runs under. */
    public ResourceLimits resourceLimits() {
        return runtime.limits();
    }

    /**
     * Host access to the sandbox's files: the in-memory filesystem and the mounts, nothing else.
     */
    public SandboxFiles files() {
        return runtime.files();
    }

    @Override
    public void close() {
        runtime.close();
    }

    /** Configures a sandbox. Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {
        private final SandboxSpec.Builder spec = SandboxSpec.builder();
        private final List<Callback> callbacks = new ArrayList<>();
        private TraceListener tracer;
        private Executor callbackExecutor;
        private final List<Map.Entry<Class<?>, Function<Object, ?>>> valueMappers =
                new ArrayList<>();
        private SandboxImage image;
        private SavedState restored;

        private Builder() {}

        public Builder resourceLimits(ResourceLimits limits) {
            spec.limits(Objects.requireNonNull(limits, "limits"));
            return this;
        }

        /**
         * Makes a host directory visible at {@code guestPath}. The guest cannot leave it through
         * {@code ..}, symlinks or hard links; with {@code readOnly} every write fails with OSError.
         */
        public Builder mount(Path hostDir, String guestPath, boolean readOnly) {
            Objects.requireNonNull(hostDir, "hostDir");
            if (!HostMount.isMountable(hostDir)) {
                throw new IllegalArgumentException("not a directory: " + hostDir);
            }
            spec.mount(new SandboxSpec.Mount(hostDir, requireGuestPath(guestPath), readOnly));
            return this;
        }

        /** Creates a file in the in-memory filesystem (parent directories are created too). */
        public Builder file(String guestPath, byte[] content) {
            spec.file(requireGuestPath(guestPath), Objects.requireNonNull(content, "content"));
            return this;
        }

        public Builder env(String key, String value) {
            WasiConfig.checkEnvironmentVariable(key, value);
            spec.env(key, value);
            return this;
        }

        /**
         * Receives stdout text while the code runs (in addition to {@link
         * ExecutionResult#stdout()}).
         */
        public Builder stdout(Consumer<String> listener) {
            spec.stdout(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public Builder stderr(Consumer<String> listener) {
            spec.stderr(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** What the guest reads from stdin; by default stdin is empty. */
        public Builder stdin(InputStream in) {
            spec.stdin(Objects.requireNonNull(in, "in"));
            return this;
        }

        /**
         * The guest's wall clock ({@code time.time()}, {@code datetime.now()}); a fixed clock makes
         * runs deterministic. Monotonic time always advances, so sleeps and timeouts still work.
         */
        public Builder clock(Clock clock) {
            spec.clock(Objects.requireNonNull(clock, "clock"));
            return this;
        }

        /**
         * Seeds the guest's randomness ({@code os.urandom}, {@code random}) for reproducible runs.
         */
        public Builder randomSeed(long seed) {
            spec.randomSeed(seed);
            return this;
        }

        /**
         * Exposes a host function to Python as an {@code async def} under its name, at top level
         * and in {@code eryx.tools}; see {@link Callback}. Repeatable; names must be distinct.
         */
        public Builder callback(Callback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /**
         * Streams trace events of every execution to {@code listener}: line, call, return and
         * exception events of the submitted code, and host callback start/end with durations. Off
         * by default; without a tracer the guest does not trace at all.
         */
        public Builder tracer(TraceListener listener) {
            this.tracer = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Runs the host functions of {@link #callback callbacks} on {@code executor} instead of the
         * sandbox's own threads. The executor is the host's: eryx never shuts it down, and it may
         * be shared by many sandboxes. A call the executor rejects fails in the guest with {@code
         * CallbackError} and is in the ledger as an ERROR; a cancelled or timed-out call interrupts
         * the thread running it. Whatever the executor, a sandbox hands it at most {@link
         * ResourceLimits#maxConcurrentCallbacks()} calls at once (the others wait in the sandbox's
         * own queue). By default each sandbox has its own pool of at most that many threads, which
         * end when idle and which closes with the sandbox.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Lets host functions return values of {@code type} (and its subtypes): {@code mapper}
         * turns each into a JSON-like value, which then reaches Python as any result does. Without
         * a mapper a callback may return only JSON-like values: {@code null}, strings, characters,
         * booleans, numbers (the boxed primitives, {@code BigInteger} and {@code BigDecimal}), maps
         * with string keys, collections and arrays, {@code JsonNode}s, enums (by name) and {@code
         * Optional}s of them (a record needs a mapper too: eryx uses no reflection); anything else
         * (a {@code Thread}, a {@code Path}, a bean) raises {@code eryx.CallbackError} naming its
         * Java type, and none of its methods run. Mappers run on the callback's host thread and are
         * tried in the order they were registered; one that throws fails the call the same way.
         *
         * <pre>{@code
         * builder.callbackValueMapper(Instant.class, Instant::toString)
         *        .callbackValueMapper(Money.class, m -> Map.of("amount", m.amount(), "currency", m.code()));
         * }</pre>
         */
        public <T> Builder callbackValueMapper(Class<T> type, Function<? super T, ?> mapper) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(mapper, "mapper");
            valueMappers.add(Map.entry(type, value -> mapper.apply(type.cast(value))));
            return this;
        }

        /**
         * Boots the interpreter.
         *
         * @throws EryxException the interpreter failed to start
         */
        public Sandbox build() {
            spec.image(
                    restored != null
                            ? restored.interpreter()
                            : image != null ? image.state() : DefaultImage.get());
            return new Sandbox(
                    SandboxRuntime.start(
                            spec.callbacks(
                                            CallbackSetup.of(
                                                    callbacks,
                                                    tracer,
                                                    callbackExecutor,
                                                    valueMappers))
                                    .build()));
        }

        /**
         * Restores from a prepared interpreter image (for example one with modules preloaded)
         * instead of the default one. Per-sandbox configuration still comes from this builder.
         */
        public Builder image(SandboxImage image) {
            this.image = Objects.requireNonNull(image, "image");
            return this;
        }

        /**
         * Continues a sandbox saved with {@link Sandbox#saveState()}: its interpreter and its
         * in-memory files. Environment, mounts, limits, clock, seed and callbacks are this
         * builder's; the guest adopts the environment (and reseeds {@code random}) on its first
         * execution. Files given to {@link #file} after this call replace saved files of the same
         * path.
         *
         * @throws IllegalArgumentException the bytes are not a saved state, are corrupt or
         *     truncated, or were made by a different build of the interpreter
         */
        public Builder restoreFrom(byte[] state) {
            SavedState decoded = SavedState.decode(state);
            for (java.util.Map.Entry<String, byte[]> file : decoded.files().entrySet()) {
                spec.file(file.getKey(), file.getValue());
            }
            for (String directory : decoded.directories()) {
                spec.directory(directory);
            }
            this.restored = decoded;
            return this;
        }

        private static String requireGuestPath(String guestPath) {
            Objects.requireNonNull(guestPath, "guestPath");
            if (!guestPath.startsWith("/") || guestPath.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(
                        "guest paths are absolute POSIX paths: " + guestPath);
            }
            return guestPath;
        }
    }
}
