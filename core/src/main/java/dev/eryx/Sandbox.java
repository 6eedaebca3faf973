package dev.eryx;

import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A CPython 3.14 interpreter isolated in WebAssembly. The guest sees only what the builder
 * grants: an in-memory filesystem, the mounted host directories, the given environment, clock,
 * randomness and standard streams.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.builder().build()) {
 *     ExecutionResult r = sandbox.execute("result = sum(range(10))");
 *     r.result();   // 45
 * }
 * }</pre>
 *
 * <p>Globals persist between executions, like a REPL. Calls on one sandbox are serialized; run
 * sandboxes in parallel for parallelism. Close it to release its memory and threads.
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
     * @throws IllegalStateException the sandbox is closed or no longer usable
     */
    public ExecutionResult execute(String code) {
        return executeAsync(code).get();
    }

    /** Starts an execution; it runs after any earlier one on this sandbox finishes. */
    public ExecutionHandle executeAsync(String code) {
        Objects.requireNonNull(code, "code");
        return runtime.submit(code, runtime.limits());
    }

    /** False once the sandbox is closed, or after a failure left the interpreter in an unknown state. */
    public boolean isUsable() {
        return runtime.isUsable();
    }

    /** The limits every execution of this sandbox runs under. */
    public ResourceLimits resourceLimits() {
        return runtime.limits();
    }

    /** Host access to the sandbox's files: the in-memory filesystem and the mounts, nothing else. */
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

        private Builder() {
        }

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
            if (!Files.isDirectory(hostDir)) {
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
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment variable: " + key);
            }
            spec.env(key, value);
            return this;
        }

        /** Receives stdout text while the code runs (in addition to {@link ExecutionResult#stdout()}). */
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

        /** Seeds the guest's randomness ({@code os.urandom}, {@code random}) for reproducible runs. */
        public Builder randomSeed(long seed) {
            spec.randomSeed(seed);
            return this;
        }

        /**
         * Boots the interpreter.
         *
         * @throws EryxException the interpreter failed to start
         */
        public Sandbox build() {
            return new Sandbox(SandboxRuntime.start(spec.image(DefaultImage.get()).build()));
        }

        private static String requireGuestPath(String guestPath) {
            Objects.requireNonNull(guestPath, "guestPath");
            if (!guestPath.startsWith("/") || guestPath.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("guest paths are absolute POSIX paths: " + guestPath);
            }
            return guestPath;
        }
    }
}
