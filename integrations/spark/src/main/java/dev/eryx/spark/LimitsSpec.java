package dev.eryx.spark;

import dev.eryx.ResourceLimits;
import java.io.Serializable;
import java.time.Duration;

/**
 * {@link ResourceLimits} in a form Spark can serialize (ResourceLimits is not {@link
 * Serializable}); every field of it, so an executor rebuilds exactly the driver's limits.
 *
 * @param executionTimeout null for none
 * @param callbackTimeout null for none
 */
record LimitsSpec(
        Duration executionTimeout,
        long maxFuel,
        long maxMemoryBytes,
        long maxOutputBytes,
        long maxVfsBytes,
        int maxCallbackInvocations,
        Duration callbackTimeout,
        int maxConcurrentCallbacks,
        int maxQueuedCallbacks)
        implements Serializable {

    static LimitsSpec of(ResourceLimits limits) {
        return new LimitsSpec(
                limits.executionTimeout(),
                limits.maxFuel(),
                limits.maxMemoryBytes(),
                limits.maxOutputBytes(),
                limits.maxVfsBytes(),
                limits.maxCallbackInvocations(),
                limits.callbackTimeout(),
                limits.maxConcurrentCallbacks(),
                limits.maxQueuedCallbacks());
    }

    ResourceLimits toLimits() {
        return ResourceLimits.builder()
                .executionTimeout(executionTimeout)
                .maxFuel(maxFuel)
                .maxMemoryBytes(maxMemoryBytes)
                .maxOutputBytes(maxOutputBytes)
                .maxVfsBytes(maxVfsBytes)
                .maxCallbackInvocations(maxCallbackInvocations)
                .callbackTimeout(callbackTimeout)
                .maxConcurrentCallbacks(maxConcurrentCallbacks)
                .maxQueuedCallbacks(maxQueuedCallbacks)
                .build();
    }

    /**
     * The limits of one row: the job's, with the timeout and fuel lowered to the row's own values
     * when it has them (clamped to at least 1 ms and 1 unit of fuel; never above the job's).
     *
     * @param timeoutMillis null for the job's
     * @param fuel null for the job's
     */
    ResourceLimits forRow(ResourceLimits job, Long timeoutMillis, Long fuel) {
        if (timeoutMillis == null && fuel == null) {
            return job;
        }
        ResourceLimits.Builder row = job.toBuilder();
        if (timeoutMillis != null) {
            Duration asked = Duration.ofMillis(Math.max(1, timeoutMillis));
            Duration max = job.executionTimeout();
            row.executionTimeout(max == null || asked.compareTo(max) < 0 ? asked : max);
        }
        if (fuel != null) {
            row.maxFuel(Math.min(Math.max(1, fuel), job.maxFuel()));
        }
        return row.build();
    }
}
