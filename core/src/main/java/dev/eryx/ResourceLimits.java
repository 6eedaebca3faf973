package dev.eryx;

import java.time.Duration;
import java.util.Objects;

/**
 * What one execution of a sandbox may consume. Immutable; build with {@link #builder()} or derive a
 * variant with {@link #toBuilder()}.
 *
 * <p>Defaults: 30 s execution timeout, unlimited (but always measured) fuel, 256 MiB of guest
 * memory, 10 MiB of stdout+stderr per execution, 64 MiB written to the virtual filesystem,
 * unlimited callback invocations, 30 s per callback.
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
                    .build();

    private final Duration executionTimeout;
    private final long maxFuel;
    private final long maxMemoryBytes;
    private final long maxOutputBytes;
    private final long maxVfsBytes;
    private final int maxCallbackInvocations;
    private final Duration callbackTimeout;

    private ResourceLimits(Builder b) {
        this.executionTimeout = b.executionTimeout;
        this.maxFuel = b.maxFuel;
        this.maxMemoryBytes = b.maxMemoryBytes;
        this.maxOutputBytes = b.maxOutputBytes;
        this.maxVfsBytes = b.maxVfsBytes;
        this.maxCallbackInvocations = b.maxCallbackInvocations;
        this.callbackTimeout = b.callbackTimeout;
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
                && Objects.equals(callbackTimeout, other.callbackTimeout);
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
                callbackTimeout);
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

        private Builder() {}

        private Builder(ResourceLimits from) {
            this.executionTimeout = from.executionTimeout;
            this.maxFuel = from.maxFuel;
            this.maxMemoryBytes = from.maxMemoryBytes;
            this.maxOutputBytes = from.maxOutputBytes;
            this.maxVfsBytes = from.maxVfsBytes;
            this.maxCallbackInvocations = from.maxCallbackInvocations;
            this.callbackTimeout = from.callbackTimeout;
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
