package dev.eryx.internal.wasi;

import dev.eryx.internal.vfs.Vfs;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Everything the guest may see of the outside world, fixed at build time. The guest gets exactly
 * these args, environment, clocks, randomness and filesystem; nothing else from the host.
 */
public final class WasiConfig {
    private final List<String> args;
    private final Map<String, String> environment;
    private final Supplier<InputStream> stdin;
    private final OutputSink stdout;
    private final OutputSink stderr;
    private final Clock wallClock;
    private final LongSupplier monotonicNanos;
    private final Supplier<RandomGenerator> random;
    private final Sleeper sleeper;
    private final PollWaiter pollWaiter;
    private final Vfs vfs;
    private final int maxOpenFiles;

    private WasiConfig(Builder b) {
        this.args = List.copyOf(b.args);
        this.environment =
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.wallClock = b.wallClock;
        this.monotonicNanos = b.monotonicNanos;
        this.random = b.random;
        this.sleeper = b.sleeper;
        this.pollWaiter = b.pollWaiter;
        this.vfs = Objects.requireNonNull(b.vfs, "vfs is required");
        this.maxOpenFiles = b.maxOpenFiles;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<String> args() {
        return args;
    }

    public Map<String, String> environment() {
        return environment;
    }

    Supplier<InputStream> stdin() {
        return stdin;
    }

    public OutputSink stdout() {
        return stdout;
    }

    public OutputSink stderr() {
        return stderr;
    }

    public Clock wallClock() {
        return wallClock;
    }

    public LongSupplier monotonicNanos() {
        return monotonicNanos;
    }

    Supplier<RandomGenerator> random() {
        return random;
    }

    public Sleeper sleeper() {
        return sleeper;
    }

    /** Waits for socket descriptors in poll_oneoff; null when nothing makes sockets. */
    public PollWaiter pollWaiter() {
        return pollWaiter;
    }

    public Vfs vfs() {
        return vfs;
    }

    public int maxOpenFiles() {
        return maxOpenFiles;
    }

    /**
     * Rejects what {@code environ_get} could not hand to the guest intact: an empty name, a name
     * containing {@code =}, or NUL anywhere. Public so the API can fail at the call that set it.
     */
    public static void checkEnvironmentVariable(String name, String value) {
        Builder.requireNoNul(name, "environment name");
        Builder.requireNoNul(value, "environment value");
        if (name.isEmpty() || name.indexOf('=') >= 0) {
            throw new IllegalArgumentException(
                    "invalid environment variable name: \"" + name + "\"");
        }
    }

    /** Builder; every setting has a safe default except the {@link Vfs}. */
    public static final class Builder {
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Supplier<InputStream> stdin = InputStream::nullInputStream;
        private OutputSink stdout = OutputSink.discarding();
        private OutputSink stderr = OutputSink.discarding();
        private Clock wallClock = Clock.systemUTC();
        private LongSupplier monotonicNanos = System::nanoTime;
        private Supplier<RandomGenerator> random = SecureRandom::new;
        private Sleeper sleeper = Sleeper.threadSleep();
        private PollWaiter pollWaiter;
        private Vfs vfs;
        private int maxOpenFiles = 1024;

        private Builder() {}

        /** argv, including argv[0]. */
        public Builder args(List<String> args) {
            Objects.requireNonNull(args, "args").forEach(a -> requireNoNul(a, "arg"));
            this.args.clear();
            this.args.addAll(args);
            return this;
        }

        public Builder env(String name, String value) {
            checkEnvironmentVariable(name, value);
            environment.put(name, value);
            return this;
        }

        public Builder environment(Map<String, String> environment) {
            this.environment.clear();
            Objects.requireNonNull(environment, "environment").forEach(this::env);
            return this;
        }

        /** The guest's stdin; read lazily, never closed by us. Default: empty. */
        public Builder stdin(InputStream stdin) {
            Objects.requireNonNull(stdin, "stdin");
            this.stdin = () -> stdin;
            return this;
        }

        public Builder stdout(OutputSink stdout) {
            this.stdout = Objects.requireNonNull(stdout, "stdout");
            return this;
        }

        public Builder stderr(OutputSink stderr) {
            this.stderr = Objects.requireNonNull(stderr, "stderr");
            return this;
        }

        /** Wall time (CLOCK_REALTIME); a fixed clock is fine. */
        public Builder wallClock(Clock wallClock) {
            this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
            return this;
        }

        /** Source of monotonic nanoseconds; the guest clock is forced to advance on every read. */
        public Builder monotonicNanos(LongSupplier monotonicNanos) {
            this.monotonicNanos = Objects.requireNonNull(monotonicNanos, "monotonicNanos");
            return this;
        }

        /** Deterministic randomness: the same seed gives the guest the same bytes. */
        public Builder randomSeed(long seed) {
            this.random = () -> new Random(seed);
            return this;
        }

        /** Randomness source factory; each WASI instance gets its own generator. */
        public Builder random(Supplier<RandomGenerator> random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        public Builder pollWaiter(PollWaiter pollWaiter) {
            this.pollWaiter = Objects.requireNonNull(pollWaiter, "pollWaiter");
            return this;
        }

        public Builder vfs(Vfs vfs) {
            this.vfs = Objects.requireNonNull(vfs, "vfs");
            return this;
        }

        /**
         * Cap on simultaneously open descriptors (stdio and the preopen included); EMFILE beyond.
         */
        public Builder maxOpenFiles(int maxOpenFiles) {
            if (maxOpenFiles < 4 || maxOpenFiles > 1 << 20) {
                throw new IllegalArgumentException("maxOpenFiles out of range: " + maxOpenFiles);
            }
            this.maxOpenFiles = maxOpenFiles;
            return this;
        }

        public WasiConfig build() {
            return new WasiConfig(this);
        }

        private static void requireNoNul(String s, String what) {
            Objects.requireNonNull(s, what);
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " contains NUL");
            }
        }
    }
}
