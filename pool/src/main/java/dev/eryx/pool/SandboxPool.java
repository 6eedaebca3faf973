package dev.eryx.pool;

import dev.eryx.CompiledCodeCache;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxImage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Warm sandboxes for services: every sandbox is restored from one interpreter image (optionally
 * with packages and modules preloaded) and configured by the pool's template, so acquiring one
 * takes microseconds when one is idle.
 *
 * <pre>{@code
 * try (SandboxPool pool = SandboxPool.builder()
 *         .minIdle(2).maxSize(8)
 *         .acquireTimeout(Duration.ofSeconds(2))
 *         .preload("json", "re")
 *         .template(b -> b.env("TENANT", "demo"))
 *         .build()) {
 *     ExecutionResult r = pool.execute("import json; print(json.dumps([1, 2]))");
 * }
 * }</pre>
 *
 * <p><b>No state crosses users.</b> A sandbox returned to the pool is reset in place ({@link
 * Sandbox#reset()}: the interpreter's memory and globals back to the image, in time proportional to
 * the pages the user wrote, and a new filesystem, descriptors, environment, clocks and randomness
 * from the template) and becomes idle again, counted in {@link PoolStats#resets()}. A sandbox that
 * cannot be reset, or that is unusable ({@link PoolStats#poisoned()}), is closed instead, and the
 * pool's housekeeping thread restores a fresh one from the image in the background to keep {@code
 * minIdle} sandboxes ready.
 *
 * <p><b>Admission.</b> At most {@code maxSize} sandboxes exist at once, and no more than the memory
 * budget allows: each sandbox reserves its memory cap ({@link ResourceLimits#maxMemoryBytes()}, at
 * most 4 GiB), so {@code maxTotalMemoryBytes / cap} bounds the pool too. An acquisition beyond that
 * waits up to {@code acquireTimeout}, then fails with {@link PoolExhaustedException}.
 *
 * <p>Thread-safe. {@link #close()} stops everything, including sandboxes still lent out.
 */
public final class SandboxPool implements AutoCloseable {
    private static final long WASM32_MAX_MEMORY = 4L << 30;
    private static final long FAILURE_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SandboxImage image;
    private final Consumer<Sandbox.Builder> template;
    private final ResourceLimits limits;
    private final int minIdle;
    private final int maxSize;
    private final int capacity;
    private final long reservationBytes;
    private final long maxTotalMemoryBytes;
    private final Duration acquireTimeout;
    private final PoolListeners listeners;

    private final ReentrantLock lock = new ReentrantLock(true);

    /** Signalled when an idle sandbox appears or capacity frees up. */
    private final Condition available = lock.newCondition();

    /** Signalled when the housekeeper may have work. */
    private final Condition housekeeping = lock.newCondition();

    private final ArrayDeque<Sandbox> idle = new ArrayDeque<>();

    /** Every live sandbox (idle or lent), so close() can stop them all. */
    private final Set<Sandbox> live = new HashSet<>();

    private final Thread housekeeper;

    /** Completes when the warm-up ends (at once without one); see {@link #ready()}. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    /** The sandbox the warm-up runs in, while it runs (guarded by lock). */
    private Sandbox warming;

    /**
     * Compiled code shared by this pool's sandboxes (and its warm-up), or null when turned off; the
     * pool's alone, closed with it (Builder#codeCache).
     */
    private final CompiledCodeCache codeCache;

    // All guarded by lock.
    private boolean closed;
    private boolean warmUpCancelled;
    private int total;
    private int inUse;
    private long acquisitions;
    private long creations;
    private long waits;
    private long waitNanos;
    private long discarded;
    private long resets;
    private long poisoned;
    private long timeouts;
    private RuntimeException lastCreationFailure;

    private SandboxPool(Builder b) {
        Executor callbackExecutor = b.callbackExecutor;
        this.template =
                callbackExecutor == null
                        ? b.template
                        : b.template.andThen(builder -> builder.callbackExecutor(callbackExecutor));
        this.limits = b.limits;
        this.minIdle = b.minIdle;
        this.maxSize = b.maxSize;
        this.acquireTimeout = b.acquireTimeout;
        this.listeners = new PoolListeners(b.listeners);
        this.maxTotalMemoryBytes = b.maxTotalMemoryBytes;
        this.reservationBytes = Math.min(limits.maxMemoryBytes(), WASM32_MAX_MEMORY);
        long byBudget = maxTotalMemoryBytes / reservationBytes;
        if (byBudget < 1) {
            throw new IllegalArgumentException(
                    "maxTotalMemoryBytes "
                            + maxTotalMemoryBytes
                            + " is less than one sandbox's memory cap "
                            + reservationBytes);
        }
        this.capacity = (int) Math.min(maxSize, byBudget);
        if (minIdle > capacity) {
            throw new IllegalArgumentException(
                    "minIdle "
                            + minIdle
                            + " exceeds what maxSize and the memory budget allow ("
                            + capacity
                            + ")");
        }
        // Checks the template before anything starts: a bad mount or env fails here, and so do
        // packages other than the pool's (the builder refuses an image holding other packages).
        Sandbox.Builder probe = Sandbox.builder();
        template.accept(probe);
        if (b.packages != null) {
            try {
                probe.image(SandboxImage.capture(b.packages)); // no capture runs without modules
            } catch (IllegalArgumentException mismatch) {
                throw new IllegalArgumentException(
                        "the template sets other packages than the pool's; set them once, with"
                                + " SandboxPool.Builder.packages, and not in the template ("
                                + mismatch.getMessage()
                                + ")",
                        mismatch);
            }
        }
        String[] preload = b.preload.toArray(new String[0]);
        if (b.packages != null) {
            this.image = SandboxImage.capture(b.packages, preload);
        } else {
            this.image =
                    preload.length == 0
                            ? SandboxImage.defaultImage()
                            : SandboxImage.capture(preload);
        }
        this.codeCache = b.codeCache ? CompiledCodeCache.create() : null;
        if (minIdle > 0) {
            Sandbox first;
            try {
                first = createPooled(); // warm and proves the whole configuration works
            } catch (RuntimeException | Error failed) {
                if (codeCache != null) {
                    codeCache.close();
                }
                throw failed;
            }
            lock.lock();
            try {
                total++;
                creations++;
                live.add(first);
                idle.add(first);
            } finally {
                lock.unlock();
            }
        }
        this.housekeeper = new Thread(this::housekeep, "eryx-pool-housekeeper");
        housekeeper.setDaemon(true);
        housekeeper.start();
        if (b.warmUpCorpus.isEmpty()) {
            ready.complete(null);
        } else {
            List<String> corpus = b.warmUpCorpus;
            long nanos = b.warmUpDuration.toNanos();
            Thread warmer = new Thread(() -> warmUp(corpus, nanos), "eryx-pool-warmup");
            warmer.setDaemon(true);
            warmer.start();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Completes when the pool's {@linkplain Builder#warmUp warm-up} has run its course, so that
     * requests from then on get the trained JIT's latency; already complete for a pool without a
     * warm-up. The pool serves requests before that, only slower. Completes exceptionally with a
     * {@link CancellationException} when the pool is closed first, and with the failure if the
     * warm-up failed (for example no sandbox for it could be created). Each call returns a new
     * dependent copy: completing one does not affect the pool or other callers, and cancelling one
     * ends the warm-up early (the others then complete with a {@link CancellationException}).
     * Stages that depend on it run in the warm-up's thread or the caller's, never inside {@link
     * #close()}.
     */
    public CompletableFuture<Void> ready() {
        // Not ready.copy(): that would wrap a CancellationException in a CompletionException.
        CompletableFuture<Void> copy = new CompletableFuture<>();
        ready.whenComplete(
                (done, failure) -> {
                    if (failure == null) {
                        copy.complete(done);
                    } else {
                        copy.completeExceptionally(failure);
                    }
                });
        copy.whenComplete(
                (done, failure) -> {
                    if (copy.isCancelled() && !ready.isDone()) {
                        endWarmUp();
                    }
                });
        return copy;
    }

    /**
     * Lends a sandbox: an idle one at once, else a new one if the caps allow, else the first one
     * returned within the acquire timeout.
     *
     * @throws PoolExhaustedException nothing became available within the acquire timeout
     * @throws IllegalStateException the pool is closed
     * @throws EryxException a sandbox could not be created, or the thread was interrupted
     */
    public PooledSandbox acquire() {
        long started = System.nanoTime();
        PooledSandbox lent;
        try {
            lent = lend(started);
        } catch (RuntimeException e) {
            listeners.acquireFailed(System.nanoTime() - started);
            throw e;
        }
        listeners.acquired(System.nanoTime() - started);
        return lent;
    }

    private PooledSandbox lend(long started) {
        long deadline = started + acquireTimeout.toNanos();
        Sandbox sandbox = null;
        boolean mustCreate = false;
        boolean waited = false;
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new IllegalStateException("the pool is closed");
                }
                if (!idle.isEmpty()) {
                    sandbox = idle.pollFirst();
                    break;
                }
                if (!waited) {
                    waited = true;
                    waits++;
                }
                if (total < capacity) {
                    total++;
                    mustCreate = true;
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timeouts++;
                    waitNanos += System.nanoTime() - started;
                    throw new PoolExhaustedException(
                            "no sandbox became free within "
                                    + acquireTimeout
                                    + ": "
                                    + inUse
                                    + " in use of at most "
                                    + capacity
                                    + " (maxSize "
                                    + maxSize
                                    + ", memory budget "
                                    + maxTotalMemoryBytes
                                    + " bytes at "
                                    + reservationBytes
                                    + " per sandbox)");
                }
                try {
                    available.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EryxException("interrupted while waiting for a sandbox", null, e);
                }
            }
            inUse++;
            housekeeping.signal(); // idle may have dropped below minIdle
        } finally {
            lock.unlock();
        }
        if (mustCreate) {
            sandbox = createForCaller();
        }
        lock.lock();
        try {
            acquisitions++;
            waitNanos += System.nanoTime() - started;
        } finally {
            lock.unlock();
        }
        return new PooledSandbox(this, sandbox);
    }

    private Sandbox createForCaller() {
        Sandbox sandbox;
        try {
            sandbox = createPooled();
        } catch (RuntimeException e) {
            lock.lock();
            try {
                total--;
                inUse--;
                available.signal();
            } finally {
                lock.unlock();
            }
            throw e;
        }
        lock.lock();
        try {
            creations++;
            if (closed) {
                total--;
                inUse--;
                sandbox.close();
                throw new IllegalStateException("the pool is closed");
            }
            live.add(sandbox);
            return sandbox;
        } finally {
            lock.unlock();
        }
    }

    /** Acquires a sandbox, runs {@code code} under the pool's limits and returns the sandbox. */
    public ExecutionResult execute(String code) {
        try (PooledSandbox sandbox = acquire()) {
            return sandbox.execute(code);
        }
    }

    /**
     * Like {@link #execute(String)} with other limits for this request (timeout, fuel, output);
     * memory and filesystem caps stay the pool's.
     */
    public ExecutionResult execute(String code, ResourceLimits perRequest) {
        Objects.requireNonNull(perRequest, "perRequest");
        try (PooledSandbox sandbox = acquire()) {
            return sandbox.execute(code, perRequest);
        }
    }

    public PoolStats stats() {
        lock.lock();
        try {
            long finished = acquisitions + timeouts;
            Duration average = Duration.ofNanos(finished == 0 ? 0 : waitNanos / finished);
            return new PoolStats(
                    total,
                    idle.size(),
                    inUse,
                    acquisitions,
                    creations,
                    waits,
                    average,
                    discarded,
                    poisoned,
                    timeouts,
                    resets);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A sandbox of its own for the caller, not lent by the pool: built from the pool's image and
     * template (limits, mounts, network, secrets, packages, callbacks, state key), warmed like a
     * pooled one, and closed by the caller; the pool never resets or closes it, not even on {@link
     * #close()}. What long-lived sessions use. It does not count against {@link #capacity()} nor
     * appear in {@link #stats()}: a caller that creates many must bound them itself (each holds up
     * to its memory cap). Its executions are reported to the pool's {@link PoolListener}s.
     *
     * @throws IllegalStateException the pool is closed
     * @throws EryxException the sandbox could not be started
     */
    public Sandbox newSandbox() {
        requireOpen();
        return createOwned(null, limits);
    }

    /**
     * As {@link #newSandbox()}, under {@code limits}: its memory and filesystem limits are those
     * asked for, cut to the pool's ({@code min} of each), so a sandbox may hold less than the
     * pool's sandboxes but never more; the others (timeout, fuel, output, callbacks) are the
     * sandbox's defaults for its executions, as given.
     *
     * @throws IllegalArgumentException the memory limit is below what the interpreter needs (the
     *     message says how much it needs)
     * @throws IllegalStateException the pool is closed
     * @throws EryxException the sandbox could not be started
     */
    public Sandbox newSandbox(ResourceLimits limits) {
        Objects.requireNonNull(limits, "limits");
        requireOpen();
        return createOwned(
                null,
                limits.toBuilder()
                        .maxMemoryBytes(
                                Math.min(limits.maxMemoryBytes(), this.limits.maxMemoryBytes()))
                        .maxVfsBytes(Math.min(limits.maxVfsBytes(), this.limits.maxVfsBytes()))
                        .build());
    }

    /**
     * A sandbox of its own resumed from {@code state} ({@link Sandbox#saveState()} of a sandbox of
     * this pool, or of one configured alike), closed by the caller; otherwise as {@link
     * #newSandbox()}. The state is verified as {@link Sandbox.Builder#restoreFrom(byte[])} does,
     * against the template's {@link Sandbox.Builder#stateKey(byte[]) state key} and the pool's
     * packages.
     *
     * @throws IllegalArgumentException the state is null, damaged, truncated, not signed with the
     *     template's state key, saved by another build of the interpreter or with other packages,
     *     or larger than the pool's limits allow (the message says which)
     * @throws IllegalStateException the pool is closed
     * @throws EryxException the sandbox could not be started
     */
    public Sandbox restore(byte[] state) {
        if (state == null) {
            throw new IllegalArgumentException("saved state is null");
        }
        requireOpen();
        return createOwned(state, limits);
    }

    private void requireOpen() {
        if (isClosed()) {
            throw new IllegalStateException("the pool is closed");
        }
    }

    /**
     * A caller-owned sandbox under {@code limits}, configured as the pooled ones are, from the
     * image or from {@code state}: the builder verifies a state (format, checksum, interpreter
     * build, packages and the template's state key) and refuses it with an {@link
     * IllegalArgumentException}.
     */
    private Sandbox createOwned(byte[] state, ResourceLimits limits) {
        Sandbox.Builder builder = Sandbox.builder();
        template.accept(builder);
        PoolListeners.Gate gate = listenTo(builder);
        builder.resourceLimits(limits).image(image).codeCache(codeCache);
        if (state != null) {
            builder.restoreFrom(state);
        }
        Sandbox sandbox;
        try {
            sandbox = builder.build();
        } catch (IllegalArgumentException refused) {
            if (state == null) {
                throw refused;
            }
            throw new IllegalArgumentException(
                    "cannot restore this saved state in this pool: " + refused.getMessage(),
                    refused);
        }
        warm(sandbox, gate);
        return sandbox;
    }

    /** The image every sandbox of this pool restores from. */
    public SandboxImage image() {
        return image;
    }

    /** The limits every sandbox of this pool runs under ({@link Builder#resourceLimits}). */
    public ResourceLimits resourceLimits() {
        return limits;
    }

    /** How many sandboxes may exist at once: {@code maxSize}, lowered by the memory budget. */
    public int capacity() {
        return capacity;
    }

    /**
     * Takes a lent sandbox back: reset in place and idle again, or, if it cannot be reset, closed
     * (the housekeeper then restores a fresh one if needed). The reset runs on the returning
     * thread; it costs about a millisecond plus the pages the user wrote.
     */
    void release(Sandbox sandbox) {
        boolean unusable = !sandbox.isUsable();
        boolean reset = !unusable && !isClosed() && sandbox.reset();
        boolean keep;
        lock.lock();
        try {
            keep = reset && !closed && live.contains(sandbox);
            if (keep) {
                inUse--;
                resets++;
                idle.addFirst(sandbox); // the most recently used instance is the warmest
            } else if (live.remove(sandbox)) {
                total--;
                inUse--;
                discarded++;
                if (unusable && !closed) {
                    poisoned++;
                }
            }
            available.signal();
            housekeeping.signal();
        } finally {
            lock.unlock();
        }
        if (!keep) {
            sandbox.close();
        }
        listeners.released(keep);
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the housekeeper and closes every sandbox, idle or lent. Idempotent. */
    @Override
    public void close() {
        List<Sandbox> toClose;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(live);
            idle.clear();
            available.signalAll();
            housekeeping.signalAll();
        } finally {
            lock.unlock();
        }
        housekeeper.interrupt();
        for (Sandbox sandbox : toClose) {
            sandbox.close();
        }
        // The warm-up's thread completes ready() when it sees this: the dependents of ready()
        // never run inside close().
        stopWarming();
        if (codeCache != null) {
            codeCache.close();
        }
        try {
            housekeeper.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs the corpus round after round for {@code nanos} in a sandbox of its own (from the pool's
     * image and template, not counted against the capacity, not reported to the listeners),
     * resetting it after each round as a release would; what a snippet raises is part of the
     * corpus's behaviour and ignored. An unusable sandbox is replaced.
     */
    private void warmUp(List<String> corpus, long nanos) {
        long deadline = System.nanoTime() + nanos;
        Sandbox sandbox = null;
        try {
            while (!warmUpEnded() && System.nanoTime() - deadline < 0) {
                if (sandbox == null || !sandbox.isUsable()) {
                    if (sandbox != null) {
                        sandbox.close();
                    }
                    sandbox = startWarming();
                    if (sandbox == null) {
                        break; // closed or cancelled meanwhile
                    }
                }
                for (String code : corpus) {
                    if (warmUpEnded() || !sandbox.isUsable()) {
                        break;
                    }
                    try {
                        sandbox.execute(code);
                    } catch (RuntimeException ignored) {
                        // Failing code trains the failure paths; a stop or close is seen above.
                    }
                }
                if (sandbox.isUsable() && !warmUpEnded()) {
                    sandbox.reset();
                }
            }
            if (isClosed()) {
                ready.completeExceptionally(new CancellationException("the pool was closed"));
            } else if (warmUpEnded()) {
                ready.completeExceptionally(new CancellationException("the warm-up was cancelled"));
            } else {
                ready.complete(null);
            }
        } catch (Throwable failed) {
            ready.completeExceptionally(
                    isClosed() ? new CancellationException("the pool was closed") : failed);
        } finally {
            if (sandbox != null) {
                sandbox.close();
            }
            lock.lock();
            try {
                warming = null;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Ends the warm-up early (a caller cancelled its copy of ready()). */
    private void endWarmUp() {
        lock.lock();
        try {
            warmUpCancelled = true;
        } finally {
            lock.unlock();
        }
        stopWarming();
    }

    private boolean warmUpEnded() {
        lock.lock();
        try {
            return closed || warmUpCancelled;
        } finally {
            lock.unlock();
        }
    }

    /** A new sandbox for the warm-up, or null if the pool closed or the warm-up ended meanwhile. */
    private Sandbox startWarming() {
        Sandbox.Builder builder = Sandbox.builder();
        template.accept(builder);
        Sandbox sandbox = builder.resourceLimits(limits).image(image).codeCache(codeCache).build();
        lock.lock();
        try {
            if (!closed && !warmUpCancelled) {
                warming = sandbox;
                return sandbox;
            }
        } finally {
            lock.unlock();
        }
        sandbox.close();
        return null;
    }

    /** Ends the warm-up's execution in flight (the warm-up thread then sees why and returns). */
    private void stopWarming() {
        Sandbox sandbox;
        lock.lock();
        try {
            sandbox = warming;
        } finally {
            lock.unlock();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** The last failure of a background creation, if any (for diagnostics). */
    public RuntimeException lastCreationFailure() {
        lock.lock();
        try {
            return lastCreationFailure;
        } finally {
            lock.unlock();
        }
    }

    /** Keeps {@code minIdle} sandboxes ready, one restore at a time. */
    private void housekeep() {
        while (true) {
            lock.lock();
            try {
                while (!closed && !(idle.size() < minIdle && total < capacity)) {
                    housekeeping.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                total++;
            } finally {
                lock.unlock();
            }
            Sandbox sandbox = null;
            RuntimeException failure = null;
            try {
                sandbox = createPooled();
            } catch (RuntimeException e) {
                failure = e;
            }
            lock.lock();
            try {
                if (sandbox == null) {
                    total--;
                    lastCreationFailure = failure;
                    available.signal();
                } else if (closed) {
                    total--;
                } else {
                    creations++;
                    live.add(sandbox);
                    idle.addLast(sandbox);
                    available.signal();
                    sandbox = null;
                }
            } finally {
                lock.unlock();
            }
            if (sandbox != null) {
                sandbox.close(); // created while the pool closed
                return;
            }
            if (failure != null && !backOff()) {
                return;
            }
        }
    }

    /** Waits before retrying a failed creation; false when the pool closed meanwhile. */
    private boolean backOff() {
        lock.lock();
        try {
            long left = FAILURE_BACKOFF_NANOS;
            while (!closed && left > 0) {
                try {
                    left = housekeeping.awaitNanos(left);
                } catch (InterruptedException e) {
                    // close() interrupts; the loop re-checks closed
                }
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    private Sandbox createPooled() {
        Sandbox.Builder builder = Sandbox.builder();
        template.accept(builder);
        PoolListeners.Gate gate = listenTo(builder);
        Sandbox sandbox = builder.resourceLimits(limits).image(image).codeCache(codeCache).build();
        warm(sandbox, gate);
        return sandbox;
    }

    /**
     * Off the request path: the guest adopts the sandbox's env and warms the instance, so the
     * user's first execution costs what any later one does. Closes the sandbox if that fails.
     */
    private static void warm(Sandbox sandbox, PoolListeners.Gate gate) {
        try {
            sandbox.execute("pass");
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
        if (gate != null) {
            gate.open(); // the warm-up was the pool's, not a user's execution
        }
    }

    /**
     * Tells the pool's listeners about the executions of the sandbox {@code builder} builds, after
     * its warm-up; null without listeners.
     */
    private PoolListeners.Gate listenTo(Sandbox.Builder builder) {
        if (listeners.isEmpty()) {
            return null;
        }
        PoolListeners.Gate gate = listeners.gate();
        builder.executionListener(gate);
        return gate;
    }

    /** Configures a pool. */
    public static final class Builder {
        private int minIdle = 1;
        private int maxSize = Math.max(2, Runtime.getRuntime().availableProcessors());
        private Duration acquireTimeout = Duration.ofSeconds(30);
        private ResourceLimits limits = ResourceLimits.defaults();
        private long maxTotalMemoryBytes = Long.MAX_VALUE;
        private List<String> preload = List.of();
        private PythonPackages packages;
        private Consumer<Sandbox.Builder> template = builder -> {};
        private Executor callbackExecutor;
        private final List<PoolListener> listeners = new ArrayList<>();
        private List<String> warmUpCorpus = List.of();
        private boolean codeCache = true;
        private Duration warmUpDuration = Duration.ZERO;

        private Builder() {}

        /** Sandboxes kept ready in the background; default 1. */
        public Builder minIdle(int minIdle) {
            if (minIdle < 0) {
                throw new IllegalArgumentException("minIdle must be >= 0, was " + minIdle);
            }
            this.minIdle = minIdle;
            return this;
        }

        /**
         * Most sandboxes alive at once, lent or idle: the pool's concurrency cap. Default: CPUs, at
         * least 2.
         */
        public Builder maxSize(int maxSize) {
            if (maxSize < 1) {
                throw new IllegalArgumentException("maxSize must be >= 1, was " + maxSize);
            }
            this.maxSize = maxSize;
            return this;
        }

        /** How long {@link SandboxPool#acquire()} waits for a free sandbox; default 30 s. */
        public Builder acquireTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("acquireTimeout must be >= 0, was " + timeout);
            }
            this.acquireTimeout = timeout;
            return this;
        }

        /**
         * Limits of every pooled sandbox (overriding any set by the template). The memory cap is
         * what each sandbox reserves from {@link #maxTotalMemoryBytes}.
         */
        public Builder resourceLimits(ResourceLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Memory all sandboxes of the pool may reserve together; default unbounded (only maxSize
         * caps).
         */
        public Builder maxTotalMemoryBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxTotalMemoryBytes must be > 0, was " + bytes);
            }
            this.maxTotalMemoryBytes = bytes;
            return this;
        }

        /**
         * Modules imported into the image once, so no request pays for importing them; with {@link
         * #packages} they may come from the packages.
         */
        public Builder preload(String... modules) {
            this.preload = List.copyOf(Arrays.asList(modules));
            return this;
        }

        /**
         * Gives every pooled sandbox these packages (see {@link Sandbox.Builder#packages}): the
         * pool's image is captured with them ({@link SandboxImage#capture(PythonPackages,
         * String...)}), so {@link #preload preloaded} modules can come from them, and one shared
         * tree serves all sandboxes. A {@link #template} that sets other packages makes {@link
         * #build()} fail; one that sets none, or the same, is fine.
         */
        public Builder packages(PythonPackages packages) {
            this.packages = Objects.requireNonNull(packages, "packages");
            return this;
        }

        /**
         * Applied to the builder of every pooled sandbox: env, files, mounts, callbacks, clock.
         * Listeners and stdin it sets are shared by all pooled sandboxes.
         */
        public Builder template(Consumer<Sandbox.Builder> template) {
            this.template = Objects.requireNonNull(template, "template");
            return this;
        }

        /**
         * Runs the callbacks of every pooled sandbox on {@code executor} (overriding any set by the
         * template); see {@link Sandbox.Builder#callbackExecutor}. The executor is the host's: the
         * pool never shuts it down, not even on {@link SandboxPool#close()}. By default each pooled
         * sandbox has its own bounded pool, whose threads end when idle.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Tells {@code listener} about acquisitions, releases and every execution of the pool's
         * sandboxes, those of {@link SandboxPool#newSandbox()} and {@link SandboxPool#restore}
         * included (not the pool's own warm-up of a new sandbox); see {@link PoolListener}. Several
         * may be added; they are called in order. {@link PoolListener#poolCreated} is called at the
         * end of {@link #build()}.
         */
        public Builder listener(PoolListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Whether the pool's sandboxes share compiled code ({@link CompiledCodeCache}): a source
         * executed repeatedly is compiled once, in the background, and then loaded instead of
         * compiled, about 1.3 ms less per execution (docs/performance.md "Round 2", lever 6). On by
         * default; the pool owns the cache and closes it with the pool, no other pool shares it.
         *
         * <p>Sandboxes of one pool can tell whether another one recently ran exactly a given source
         * (a hit is visible to an audit hook and faster), so use one pool per tenant, or turn the
         * cache off for a pool shared by tenants that must not learn that about each other
         * (docs/security.md). A template's own {@code codeCache} is replaced by the pool's.
         */
        public Builder codeCache(boolean enabled) {
            this.codeCache = enabled;
            return this;
        }

        /**
         * Trains the JVM's JIT for the pool's requests after {@link #build()}, which does not wait
         * for it: for {@code duration}, a thread of the pool runs {@code corpus} (representative
         * code of the service, each entry one execution) round after round in a sandbox of its own,
         * restored from the pool's image and configured by the template, and resets it after each
         * round, as a release does. {@link SandboxPool#ready()} completes at the end. Off by
         * default. Measured in docs/pool.md ("Warm-up"): without it, the first thousand requests of
         * a JVM run several times slower than later ones.
         *
         * <p>The warm-up's sandbox is not lent and not counted against {@link #maxSize} or the
         * memory budget, but it holds memory like a pooled one and keeps one CPU core busy while it
         * runs; its executions are not reported to the {@link #listener listeners}. It is built by
         * the {@link #template} like any pooled sandbox, so the corpus runs with the template's
         * mounts, callbacks, output and execution listeners (whose code sees the warm-up's
         * executions too) and fills the pool's {@link #codeCache code cache}. What the corpus
         * raises is ignored. Closing the pool, or cancelling a {@code ready()} future, ends it.
         *
         * @param duration how long to train; at least 1 ms, at most 1 hour
         * @param corpus the code to run, at least one entry, none {@code null} (copied)
         * @throws IllegalArgumentException the duration is out of range or the corpus is empty
         * @throws NullPointerException the duration, the corpus or an entry is {@code null}
         */
        public Builder warmUp(Duration duration, List<String> corpus) {
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(corpus, "corpus");
            if (duration.compareTo(Duration.ofMillis(1)) < 0
                    || duration.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException(
                        "warm-up duration must be between 1 ms and 1 hour, was " + duration);
            }
            List<String> copy = List.copyOf(corpus); // NullPointerException for a null entry
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("warm-up corpus must not be empty");
            }
            this.warmUpDuration = duration;
            this.warmUpCorpus = copy;
            return this;
        }

        /** As {@link #warmUp(Duration, List)} with the corpus given inline. */
        public Builder warmUp(Duration duration, String... corpus) {
            Objects.requireNonNull(corpus, "corpus");
            return warmUp(duration, Arrays.asList(corpus));
        }

        /**
         * Creates the pool: captures the image (the first sandbox of a JVM boots CPython, which
         * takes seconds), restores {@code min(minIdle, 1)} sandbox synchronously to prove the
         * template works, and leaves the rest to the background.
         *
         * @throws IllegalArgumentException the template is refused (a bad mount or variable, or
         *     packages other than those given to {@link #packages}), or a preloaded name is not a
         *     module name
         */
        public SandboxPool build() {
            SandboxPool pool = new SandboxPool(this);
            pool.listeners.poolCreated(pool);
            return pool;
        }
    }
}
