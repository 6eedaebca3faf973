package dev.eryx;

import dev.eryx.internal.callbacks.CallbackSetup;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import dev.eryx.internal.net.secrets.SecretValue;
import dev.eryx.internal.packages.PackageIdentity;
import dev.eryx.internal.state.SavedState;
import dev.eryx.internal.vfs.Vfs;
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
 * keeps swallowing the interrupt is stopped hard, and the interpreter is then rolled back to where
 * the execution began, so the sandbox stays usable too (files it wrote stay written; see {@code
 * docs/architecture.md}, "Stopping the guest"). Only if that rollback is impossible does the
 * sandbox report itself unusable ({@link #isUsable()}). {@code os._exit(n)} ends the interpreter
 * like a process exit: the execution fails with {@link InterpreterExitException} (a {@link
 * SandboxCrashedException} carrying {@code n}) and the sandbox is unusable.
 */
public final class Sandbox implements AutoCloseable {
    private final SandboxRuntime runtime;

    /** Signs {@link #saveState()}; null: states are saved unsigned. */
    private final byte[] stateKey;

    /** What {@link #saveState()} records of the sandbox's packages; empty: none. */
    private final List<PackageIdentity> packages;

    private Sandbox(SandboxRuntime runtime, byte[] stateKey, List<PackageIdentity> packages) {
        this.runtime = runtime;
        this.stateKey = stateKey;
        this.packages = packages;
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
        return runtime.submit(code, runtime.limits(), null);
    }

    /**
     * Starts an execution under other limits for this one execution, as {@link #execute(String,
     * ResourceLimits)} runs it; cancel it through the handle.
     */
    public ExecutionHandle executeAsync(String code, ResourceLimits limits) {
        return start(code, limits, null);
    }

    /**
     * Starts an execution under other limits for this one execution, as {@link
     * #executeAsync(String, ResourceLimits)} does, and streams its output to {@code output} while
     * it runs, in addition to the builder's {@link Builder#stdout stdout} and {@link Builder#stderr
     * stderr} listeners and to the result's {@code stdout()} and {@code stderr()}. {@code output}
     * is called as those listeners are (see {@link Builder#stdout(Consumer)}): on the sandbox's
     * output thread, after the builder's listener for each piece of text, in the order the guest
     * wrote, with everything before the execution's outcome is delivered; abandoned if still busy
     * at the execution's timeout or cancellation; logged once and kept if it throws. Secret values
     * are already {@code [REDACTED]} in the text, as in the result.
     *
     * @throws IllegalStateException the sandbox is closed or no longer usable, or this is called
     *     from one of its own callbacks while the execution waits for it
     */
    public ExecutionHandle executeAsync(String code, ResourceLimits limits, OutputListener output) {
        return start(
                code,
                limits,
                Objects.requireNonNull(
                        output,
                        "output: pass an OutputListener, or use executeAsync(code, limits)"));
    }

    /** Submits {@code code} under {@code limits} with this sandbox's memory and VFS caps. */
    private ExecutionHandle start(String code, ResourceLimits limits, OutputListener output) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(limits, "limits");
        ResourceLimits own = runtime.limits();
        ResourceLimits effective =
                limits.toBuilder()
                        .maxMemoryBytes(own.maxMemoryBytes())
                        .maxVfsBytes(own.maxVfsBytes())
                        .build();
        return runtime.submit(code, effective, output);
    }

    /**
     * {@code text} with every value and placeholder of this sandbox's {@link Builder#secret
     * secrets} replaced by {@code [secret NAME]}: for logs and dashboards that show code and
     * output. Placeholders restored from a {@link Builder#restoreFrom saved state} count, those of
     * secrets the restoring builder did not give included; where one value or placeholder contains
     * another, the longer is replaced. Returns {@code text} itself when nothing matches (always
     * without secrets). Only reads the secrets, so it also works once the sandbox is closed.
     *
     * @throws NullPointerException {@code text} is null
     */
    public String redact(String text) {
        return runtime.secrets().redactNamed(text);
    }

    /**
     * Runs a Python file's bytes as CPython runs a script, and waits for it: CPython decodes them
     * (a PEP 263 coding cookie or a UTF-8 BOM, else UTF-8; bytes that do not decode raise {@code
     * SyntaxError}), and tracebacks name {@code filename} and show its lines. Otherwise as {@link
     * #execute(String)}; the file itself is never read, {@code filename} is only a name.
     *
     * @throws PythonException the code raised an exception it did not catch
     * @throws EryxException a limit tripped, the execution was cancelled, or the guest crashed
     * @throws IllegalStateException the sandbox is closed or no longer usable
     */
    public ExecutionResult execute(byte[] source, String filename) {
        return executeAsync(source, filename).get();
    }

    /** Starts running a file's bytes as {@link #execute(byte[], String)} does. */
    public ExecutionHandle executeAsync(byte[] source, String filename) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(filename, "filename");
        return runtime.submit(source.clone(), filename, runtime.limits());
    }

    /**
     * Runs code under other limits for this one execution (timeout, fuel, output). The memory and
     * filesystem caps are fixed when the sandbox is built: this sandbox's own apply whatever {@code
     * limits} says about them.
     */
    public ExecutionResult execute(String code, ResourceLimits limits) {
        return executeAsync(code, limits).get();
    }

    /**
     * Captures the whole interpreter (variables, imported modules, objects) and the in-memory
     * filesystem as versioned, compressed bytes, after any execution already queued. {@link
     * Builder#restoreFrom(byte[])} continues from them, in this JVM or another running the same
     * eryx build. The pending changes of {@link MountMode#STAGED} mounts are saved (the restoring
     * builder must mount a staged directory at the same guest paths). Not saved: host mounts (the
     * restoring builder mounts what it wants), open file descriptors other than stdio (sockets
     * included), and per-sandbox configuration (env, limits, clock, seed, callbacks and execution
     * listeners come from the restoring builder). Symlinks are saved as symlinks and never
     * followed, so the state is bounded by the memory and filesystem caps. The files of the
     * sandbox's {@link Builder#packages packages} are not saved, only their names, versions and
     * digests: the restoring builder must have the same packages. Of its {@link Builder#secret
     * secrets} only the names and placeholders are saved, never the values (see {@link
     * Builder#restoreFrom(byte[])}). With a {@link Builder#stateKey(byte[]) stateKey} the state is
     * signed (HMAC-SHA256). The format is described in docs/saved-state.md.
     *
     * @throws IllegalStateException the sandbox is closed or no longer usable, or this is called
     *     from one of its own callbacks while the execution waits for it
     */
    public byte[] saveState() {
        return runtime.captureWithFiles(
                (image, vfs) ->
                        SavedState.encode(
                                image, vfs, stateKey, packages, runtime.secrets().placeholders()));
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
     *     interpreter, files, directories and symlinks
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

        /** The normalized guest paths of the mounts so far, to refuse overlapping ones early. */
        private final List<String> mountPaths = new ArrayList<>();

        private final java.util.Set<String> secretNames = new java.util.HashSet<>();

        private TraceListener tracer;
        private Executor callbackExecutor;
        private final List<Map.Entry<Class<?>, Function<Object, ?>>> valueMappers =
                new ArrayList<>();
        private SandboxImage image;

        /** What {@link #packages} was given; null: the image's, if any. */
        private PythonPackages packages;

        /** What {@link #restoreFrom} was given; decoded by {@link #build()}, under the limits. */
        private byte[] restored;

        private byte[] stateKey;
        private ResourceLimits limits = ResourceLimits.defaults();
        private CompiledCodeCache codeCache;

        private Builder() {}

        /**
         * Shares compiled code with the other sandboxes given the same {@code cache} (see there),
         * which only a sandbox restored from an image uses (not one {@linkplain #restoreFrom
         * restored from a saved state}). Off by default. Sandboxes of one cache can tell whether
         * another one ran exactly a given source: give a cache to one tenant's sandboxes only.
         *
         * @param cache the cache, or {@code null} for none
         */
        public Builder codeCache(CompiledCodeCache cache) {
            this.codeCache = cache;
            return this;
        }

        public Builder resourceLimits(ResourceLimits limits) {
            spec.limits(Objects.requireNonNull(limits, "limits"));
            this.limits = limits;
            return this;
        }

        /**
         * Makes a host directory visible at {@code guestPath}. The guest cannot leave it through
         * {@code ..} or symlinks, and cannot create hard links; with {@code readOnly} every write
         * fails with OSError. A hard link the host itself left in the directory is another name for
         * a host file that may lie outside it: the guest can read such a file, but opening it for
         * writing, truncating it or setting its times fails with {@code PermissionError} (EACCES)
         * in a read-write mount. Do not mount directories holding hard links to files the guest
         * must not read.
         */
        public Builder mount(Path hostDir, String guestPath, boolean readOnly) {
            return mount(hostDir, guestPath, readOnly ? MountMode.READ_ONLY : MountMode.READ_WRITE);
        }

        /**
         * Makes a host directory visible at {@code guestPath} in the given mode; see {@link
         * #mount(Path, String, boolean)} for the confinement rules, which hold in every mode. With
         * {@link MountMode#STAGED} the guest's writes wait in an overlay for the host's review
         * ({@link SandboxFiles}).
         */
        public Builder mount(Path hostDir, String guestPath, MountMode mode) {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(hostDir, "hostDir");
            if (!HostMount.isMountable(hostDir)) {
                throw new IllegalArgumentException("not a directory: " + hostDir);
            }
            String normalized = Vfs.normalizeAbsolute(requireGuestPath(guestPath));
            if (normalized.equals("/")) {
                throw new IllegalArgumentException(
                        "cannot mount at /: the sandbox's own files live there; mount at a"
                                + " directory such as /data");
            }
            for (String other : mountPaths) {
                if (other.equals(normalized)) {
                    throw new IllegalArgumentException("two mounts at " + normalized);
                }
                if (normalized.startsWith(other + "/") || other.startsWith(normalized + "/")) {
                    throw new IllegalArgumentException(
                            "mounts cannot be nested: " + other + " and " + normalized);
                }
            }
            mountPaths.add(normalized);
            spec.mount(new SandboxSpec.Mount(hostDir, guestPath, mode));
            return this;
        }

        /**
         * Gives the guest the network this policy allows: its sockets, DNS and TLS are the host's,
         * checked against the policy (docs/network.md). Without this call the sandbox has no
         * network.
         */
        public Builder network(NetworkPolicy policy) {
            spec.network(Objects.requireNonNull(policy, "policy"));
            return this;
        }

        /**
         * Gives the guest a credential it uses without seeing it: its environment variable {@link
         * Secret#name()} holds a placeholder the host replaces on the way to the secret's hosts
         * (docs/network.md, "Secrets").
         *
         * @throws IllegalArgumentException a secret of that name was given already
         */
        public Builder secret(Secret secret) {
            Objects.requireNonNull(secret, "secret");
            if (!secretNames.add(secret.name())) {
                throw new IllegalArgumentException("two secrets named " + secret.name());
            }
            spec.secret(
                    new SecretValue(
                            secret.name(),
                            secret.value(),
                            secret.hosts(),
                            secret.allowedInQuery()));
            return this;
        }

        /**
         * Creates a file in the in-memory filesystem (parent directories are created too). It
         * replaces a file of the same path in a state given to {@link #restoreFrom}.
         */
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
         * ExecutionResult#stdout()}, in the same order). Listeners are called on one thread of the
         * sandbox ({@code eryx-output-…}), in the order the guest wrote, stdout and stderr
         * interleaved as written, and have everything before {@code execute()} returns. A slow
         * listener slows the guest's writes (up to about a million characters are queued), but
         * never past its execution's timeout or cancellation: a listener still busy then is
         * abandoned (logged through {@link System.Logger}), its pending text of that execution is
         * dropped, and the execution ends with its timeout or cancellation exception on time. A
         * listener that throws is logged once per execution and keeps receiving text; the guest
         * never sees the failure. The output limit counts what the guest writes, when it writes.
         */
        public Builder stdout(Consumer<String> listener) {
            spec.stdout(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Receives stderr text while the code runs, as {@link #stdout(Consumer)} does stdout. */
        public Builder stderr(Consumer<String> listener) {
            spec.stderr(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Receives stdout bytes unchanged while the code runs, for binary output that text would
         * corrupt (in addition to {@link ExecutionResult#stdoutBytes()}, and to a {@link
         * #stdout(Consumer)} listener if one is set too). Each array is the listener's own.
         */
        public Builder stdoutBytes(Consumer<byte[]> listener) {
            spec.stdoutBytes(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Receives stderr bytes unchanged while the code runs; see {@link #stdoutBytes}. */
        public Builder stderrBytes(Consumer<byte[]> listener) {
            spec.stderrBytes(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * What the guest reads from stdin; by default stdin is empty. A thread of the sandbox
         * ({@code eryx-stdin-…}, started by the guest's first read) reads ahead up to 64 KiB, so a
         * guest waiting for input still ends with its timeout or cancellation (a hard stop: the
         * execution is rolled back) even though {@link InputStream#read} cannot be interrupted.
         * Input read ahead but not consumed by one execution is there for the next; it is lost when
         * the sandbox closes. Closing the sandbox interrupts that thread and never closes {@code
         * in}; a thread blocked in a read that ignores interrupts ends when the read returns.
         */
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
         * Tells {@code listener} when each execution ends, with its verdict, duration and stats
         * (see {@link ExecutionListener}). Several may be added; they are called in order, once per
         * execution ({@link Sandbox#executeAsync(String) asynchronous} ones included), on the
         * sandbox's guest thread after the execution ended and before its {@code execute()} or
         * {@link ExecutionHandle#get()} returns or throws. An execution cancelled while still
         * queued is reported by the cancelling thread, with {@link Verdict#CANCELLED}; one that
         * finds the sandbox closed or unusable, with {@link Verdict#CRASHED}. What a listener
         * throws is dropped (logged through {@link System.Logger}); a slow one delays the next
         * execution of this sandbox. Listeners are not part of a {@link Sandbox#saveState() saved
         * state}: a restored sandbox has its builder's.
         */
        public Builder executionListener(ExecutionListener listener) {
            spec.executionListener(Objects.requireNonNull(listener, "listener"));
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
         * with string keys, collections and arrays, {@code JsonNode}s, records (by component),
         * enums (by name) and {@code Optional}s of them; anything else (a {@code Thread}, a {@code
         * Path}, a bean) raises {@code eryx.CallbackError} naming its Java type, and none of its
         * methods run. Mappers run on the callback's host thread and are tried in the order they
         * were registered; one that throws fails the call the same way.
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
         * @throws IllegalArgumentException the configuration cannot work (a mount over the
         *     sandbox's own files, a memory limit below what the interpreter needs, or packages
         *     other than its image's), or the state given to {@link #restoreFrom} is refused (see
         *     there, also for packages); nothing is started
         * @throws EryxException the interpreter failed to start
         */
        public Sandbox build() {
            PythonPackages effective = effectivePackages();
            List<PackageIdentity> identities =
                    effective == null ? List.of() : effective.layer().identities();
            if (restored != null) {
                // Decoded here, not in restoreFrom, so that nothing the state claims is allocated
                // before the limits it must fit are known.
                SavedState decoded =
                        SavedState.decode(
                                restored,
                                SavedState.Limits.of(limits, GuestModule.python().globalCount()),
                                stateKey);
                PackageMismatch.checkState(decoded.packages(), identities);
                spec.image(decoded.interpreter())
                        .codeCache(null, null) // user code ran in it: no cache (CodeCache)
                        .restoredTree(decoded.tree())
                        .restoredStaged(decoded.staged());
                spec.restoredPlaceholders(decoded.secretPlaceholders());
            } else {
                // The host's own image (no user code ran in it): a compiled-code cache may be
                // filled by a compiler restored from it with its own packages, never the
                // sandbox's. Never from a saved state (CodeCache, threat model).
                PythonPackages imagePackages = image == null ? null : image.packages().orElse(null);
                spec.image(image != null ? image.state() : DefaultImage.get())
                        .codeCache(
                                codeCache == null ? null : codeCache.internal(),
                                imagePackages == null ? null : imagePackages.layer())
                        .restoredTree(List.of())
                        .restoredStaged(java.util.Map.of());
                spec.restoredPlaceholders(java.util.Map.of());
            }
            spec.packages(effective == null ? null : effective.layer());
            return new Sandbox(
                    SandboxRuntime.start(
                            spec.callbacks(
                                            CallbackSetup.of(
                                                    callbacks,
                                                    tracer,
                                                    callbackExecutor,
                                                    valueMappers))
                                    .build()),
                    stateKey,
                    identities);
        }

        /**
         * Gives the sandbox third-party packages: their shared read-only tree is mounted at {@code
         * /usr/local/lib/site-packages} and its directories go on {@code sys.path} after the
         * standard library, so they import as installed packages do ({@code importlib.metadata}
         * included). The guest cannot change them. The tree is shared with every sandbox given the
         * same {@code PythonPackages}: it costs this sandbox no memory and no filesystem quota.
         *
         * <p>Without this call the sandbox has the packages of its {@link #image image}, if any.
         *
         * @throws IllegalArgumentException the {@link #image image} holds other packages (the
         *     message names both sets)
         */
        public Builder packages(PythonPackages packages) {
            PythonPackages previous = this.packages;
            this.packages = Objects.requireNonNull(packages, "packages");
            try {
                effectivePackages();
            } catch (IllegalArgumentException mismatch) {
                this.packages = previous;
                throw mismatch;
            }
            return this;
        }

        /**
         * The packages the sandbox gets: those given to {@link #packages}, else the image's.
         *
         * @throws IllegalArgumentException the image holds other packages than those given
         */
        private PythonPackages effectivePackages() {
            PythonPackages fromImage = image == null ? null : image.packages().orElse(null);
            if (packages == null) {
                return fromImage;
            }
            PackageMismatch.checkImage(fromImage, packages);
            return packages;
        }

        /**
         * Restores from a prepared interpreter image (for example one with modules preloaded)
         * instead of the default one. Per-sandbox configuration still comes from this builder. An
         * image captured with packages ({@link SandboxImage#capture(PythonPackages, String...)})
         * gives the sandbox those packages unless {@link #packages} was given the same ones.
         *
         * @throws IllegalArgumentException {@link #packages} was given other packages than the
         *     image holds (the message names both sets)
         */
        public Builder image(SandboxImage image) {
            SandboxImage previous = this.image;
            this.image = Objects.requireNonNull(image, "image");
            try {
                effectivePackages();
            } catch (IllegalArgumentException mismatch) {
                this.image = previous;
                throw mismatch;
            }
            return this;
        }

        /**
         * Continues a sandbox saved with {@link Sandbox#saveState()}: its interpreter and its
         * in-memory files, directories and symlinks. Environment, mounts, limits, clock, seed and
         * callbacks are this builder's; the guest adopts the environment (and reseeds {@code
         * random}) on its first execution. Files given to {@link #file} replace saved files of the
         * same path; what lies at or below a mount point is the mount's. A {@link #secret} of a
         * name the state has keeps the placeholder the guest already holds (its value must have the
         * same length); one the state has but this builder lacks stays an inert placeholder. The
         * bytes are copied and decoded by {@link #build()}, against this builder's limits and
         * {@link #stateKey}.
         *
         * <p>{@link #build()} then throws {@link IllegalArgumentException} if the bytes are not a
         * saved state, are corrupt or truncated, are of an older format or another build of the
         * interpreter, need more memory or filesystem than the limits allow, fail the {@link
         * #stateKey} check, or were saved by a sandbox with other {@link #packages packages} than
         * this builder gives (its own or its image's): the message lists which differ.
         *
         * @throws IllegalArgumentException {@code state} is null
         */
        public Builder restoreFrom(byte[] state) {
            if (state == null) {
                throw new IllegalArgumentException("saved state is null");
            }
            this.restored = state.clone();
            return this;
        }

        /**
         * Authenticates saved state with HMAC-SHA256 under {@code key} (at least 16 bytes; copied):
         * {@link Sandbox#saveState()} of the built sandbox signs, and {@link #restoreFrom} refuses
         * a state that is unsigned or not signed with this key. The CRC-32 every state carries only
         * detects accidents; use a key when saved bytes pass through anything you do not trust.
         * Without a key, states are saved unsigned and signed states restore without their
         * signature being checked.
         *
         * @throws IllegalArgumentException the key is shorter than 16 bytes
         */
        public Builder stateKey(byte[] key) {
            Objects.requireNonNull(key, "key");
            if (key.length < SavedState.MIN_KEY_BYTES) {
                throw new IllegalArgumentException(
                        "stateKey needs at least "
                                + SavedState.MIN_KEY_BYTES
                                + " bytes, got "
                                + key.length);
            }
            this.stateKey = key.clone();
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
