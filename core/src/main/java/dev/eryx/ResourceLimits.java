package dev.eryx;

import java.time.Duration;
import java.util.Objects;

/**
 * What one execution of a sandbox may consume. Immutable; build with {@link #builder()} or derive a
 * variant with {@link #toBuilder()}.
 *
 * <p>Defaults: 30 s execution timeout, unlimited (but always measured) fuel, 256 MiB of guest
 * memory, 10 MiB of stdout+stderr per execution, 64 MiB written to the virtual filesystem,
 * unlimited callback invocations, 30 s per callback, 64 callbacks running at once per sandbox with
 * up to 1,024 more waiting.
 */
public final class ResourceLimits {
    /** Value of {@link #maxFuel()} and friends meaning "no limit". */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private static final ResourceLimits DEFAULTS = builder().build();
    private static final ResourceLimits UNLIMITED_LIMITS =
            new Builder()
                    .executionTimeout(null)
                    .maxFuel(UNLIMITED)
                    .maxMemoryBytes(UNLIMITED)
                    .maxOutputBytes(UNLIMITED)
                    .maxVfsBytes(UNLIMITED)
                    .maxCallbackInvocations(Integer.MAX_VALUE)
                    .callbackTimeout(null)
                    .maxConcurrentCallbacks(Integer.MAX_VALUE)
                    .maxQueuedCallbacks(Integer.MAX_VALUE)
                    .build();

    private final Duration executionTimeout;
    private final long maxFuel;
    private final long maxMemoryBytes;
    private final long maxOutputBytes;
    private final long maxVfsBytes;
    private final int maxCallbackInvocations;
    private final Duration callbackTimeout;
    private final int maxConcurrentCallbacks;
    private final int maxQueuedCallbacks;

    private ResourceLimits(Builder b) {
        this.executionTimeout = b.executionTimeout;
        this.maxFuel = b.maxFuel;
        this.maxMemoryBytes = b.maxMemoryBytes;
        this.maxOutputBytes = b.maxOutputBytes;
        this.maxVfsBytes = b.maxVfsBytes;
        this.maxCallbackInvocations = b.maxCallbackInvocations;
        this.callbackTimeout = b.callbackTimeout;
        this.maxConcurrentCallbacks = b.maxConcurrentCallbacks;
        this.maxQueuedCallbacks = b.maxQueuedCallbacks;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults listed in the class documentation. */
    public static ResourceLimits defaults() {
        return DEFAULTS;
    }

    /**
     * No timeout and no caps; fuel and memory are still measured. Meant for trusted code and tests.
     */
    public static ResourceLimits unlimited() {
        return UNLIMITED_LIMITS;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Wall-clock budget of one execution, or {@code null} for none. */
    public Duration executionTimeout() {
        return executionTimeout;
    }

    public long maxFuel() {
        return maxFuel;
    }

    public long maxMemoryBytes() {
        return maxMemoryBytes;
    }

    public long maxOutputBytes() {
        return maxOutputBytes;
    }

    public long maxVfsBytes() {
        return maxVfsBytes;
    }

    public int maxCallbackInvocations() {
        return maxCallbackInvocations;
    }

    /** Budget of one host callback, or {@code null} for none. */
    public Duration callbackTimeout() {
        return callbackTimeout;
    }

    /**
     * How many host callbacks of one sandbox may be handed to the callback executor at once; see
     * {@link Builder#maxConcurrentCallbacks(int)}.
     */
    public int maxConcurrentCallbacks() {
        return maxConcurrentCallbacks;
    }

    /**
     * How many more host callbacks of one sandbox may wait for a free slot; see {@link
     * Builder#maxQueuedCallbacks(int)}.
     */
    public int maxQueuedCallbacks() {
        return maxQueuedCallbacks;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ResourceLimits)) {
            return false;
        }
        ResourceLimits other = (ResourceLimits) o;
        return Objects.equals(executionTimeout, other.executionTimeout)
                && maxFuel == other.maxFuel
                && maxMemoryBytes == other.maxMemoryBytes
                && maxOutputBytes == other.maxOutputBytes
                && maxVfsBytes == other.maxVfsBytes
                && maxCallbackInvocations == other.maxCallbackInvocations
                && Objects.equals(callbackTimeout, other.callbackTimeout)
                && maxConcurrentCallbacks == other.maxConcurrentCallbacks
                && maxQueuedCallbacks == other.maxQueuedCallbacks;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                executionTimeout,
                maxFuel,
                maxMemoryBytes,
                maxOutputBytes,
                maxVfsBytes,
                maxCallbackInvocations,
                callbackTimeout,
                maxConcurrentCallbacks,
                maxQueuedCallbacks);
    }

    @Override
    public String toString() {
        return "ResourceLimits{executionTimeout="
                + executionTimeout
                + ", maxFuel="
                + describe(maxFuel)
                + ", maxMemoryBytes="
                + describe(maxMemoryBytes)
                + ", maxOutputBytes="
                + describe(maxOutputBytes)
                + ", maxVfsBytes="
                + describe(maxVfsBytes)
                + ", maxCallbackInvocations="
                + maxCallbackInvocations
                + ", callbackTimeout="
                + callbackTimeout
                + ", maxConcurrentCallbacks="
                + maxConcurrentCallbacks
                + ", maxQueuedCallbacks="
                + maxQueuedCallbacks
                + '}';
    }

    private static String describe(long limit) {
        return limit == UNLIMITED ? "unlimited" : Long.toString(limit);
    }

    public static final class Builder {
        private Duration executionTimeout = Duration.ofSeconds(30);
        private long maxFuel = UNLIMITED;
        private long maxMemoryBytes = 256L << 20;
        private long maxOutputBytes = 10L << 20;
        private long maxVfsBytes = 64L << 20;
        private int maxCallbackInvocations = Integer.MAX_VALUE;
        private Duration callbackTimeout = Duration.ofSeconds(30);
        private int maxConcurrentCallbacks = 64;
        private int maxQueuedCallbacks = 1_024;

        private Builder() {}

        private Builder(ResourceLimits from) {
            this.executionTimeout = from.executionTimeout;
            this.maxFuel = from.maxFuel;
            this.maxMemoryBytes = from.maxMemoryBytes;
            this.maxOutputBytes = from.maxOutputBytes;
            this.maxVfsBytes = from.maxVfsBytes;
            this.maxCallbackInvocations = from.maxCallbackInvocations;
            this.callbackTimeout = from.callbackTimeout;
            this.maxConcurrentCallbacks = from.maxConcurrentCallbacks;
            this.maxQueuedCallbacks = from.maxQueuedCallbacks;
        }

        /** A positive duration, or {@code null} for no timeout. */
        public Builder executionTimeout(Duration timeout) {
            this.executionTimeout = positiveOrNull(timeout, "executionTimeout");
            return this;
        }

        public Builder maxFuel(long fuel) {
            this.maxFuel = positive(fuel, "maxFuel");
            return this;
        }

        /** Cap on the guest's linear memory; CPython itself needs roughly 20 MiB to start. */
        public Builder maxMemoryBytes(long bytes) {
            this.maxMemoryBytes = positive(bytes, "maxMemoryBytes");
            return this;
        }

        public Builder maxOutputBytes(long bytes) {
            this.maxOutputBytes = positive(bytes, "maxOutputBytes");
            return this;
        }

        /**
         * Bytes the guest may store in the sandbox's in-memory filesystem (file contents and
         * symlink targets; a file unlinked while open counts until its last close). The number of
         * files and directories is capped with it: one entry per KiB of quota, at least 1024.
         * Exceeding either fails the guest's write with {@code ENOSPC}; writes to host mounts are
         * not counted.
         */
        public Builder maxVfsBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxVfsBytes must be >= 0, was " + bytes);
            }
            this.maxVfsBytes = bytes;
            return this;
        }

        public Builder maxCallbackInvocations(int invocations) {
            if (invocations < 0) {
                throw new IllegalArgumentException(
                        "maxCallbackInvocations must be >= 0, was " + invocations);
            }
            this.maxCallbackInvocations = invocations;
            return this;
        }

        /** A positive duration, or {@code null} for no per-callback timeout. */
        public Builder callbackTimeout(Duration timeout) {
            this.callbackTimeout = positiveOrNull(timeout, "callbackTimeout");
            return this;
        }

        /**
         * At most this many host callbacks of one sandbox are handed to the callback executor at
         * once (and so, with the default executor, at most this many host threads serve it); the
         * others wait in the sandbox's own queue, so one sandbox cannot take every thread of an
         * executor shared with others. A call holds its place until the host function has returned
         * and the call has ended (a timed-out function that ignores the interrupt still holds it).
         * Default 64.
         */
        public Builder maxConcurrentCallbacks(int callbacks) {
            if (callbacks < 1) {
                throw new IllegalArgumentException(
                        "maxConcurrentCallbacks must be >= 1, was " + callbacks);
            }
            this.maxConcurrentCallbacks = callbacks;
            return this;
        }

        /**
         * How many host callbacks of one sandbox may wait for one of the {@link
         * #maxConcurrentCallbacks(int)} places; a call beyond it raises {@code eryx.CallbackError}
         * at its {@code await} and its host function never runs. Time spent waiting counts toward
         * {@link #callbackTimeout(Duration)}. Default 1,024; 0 for no waiting.
         */
        public Builder maxQueuedCallbacks(int callbacks) {
            if (callbacks < 0) {
                throw new IllegalArgumentException(
                        "maxQueuedCallbacks must be >= 0, was " + callbacks);
            }
            this.maxQueuedCallbacks = callbacks;
            return this;
        }

        public ResourceLimits build() {
            return new ResourceLimits(this);
        }

        private static long positive(long value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be > 0, was " + value);
            }
            return value;
        }

        private static Duration positiveOrNull(Duration value, String name) {
            if (value != null && (value.isNegative() || value.isZero())) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
