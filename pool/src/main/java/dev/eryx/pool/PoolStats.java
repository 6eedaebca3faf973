package dev.eryx.pool;

import java.time.Duration;

/**
 * A consistent snapshot of a pool's counters.
 *
 * @param total live sandboxes: idle, in use, and being created
 * @param idle sandboxes ready to hand out
 * @param inUse sandboxes acquired and not yet returned
 * @param acquisitions successful acquisitions so far
 * @param creations sandboxes created so far (restored from the image)
 * @param waits acquisitions that found nothing ready and had to wait (including timed-out ones)
 * @param averageWait mean time an acquisition spent waiting, over all acquisitions
 * @param discarded sandboxes closed after use because they could not be reset (see {@link
 *     SandboxPool})
 * @param poisoned returned sandboxes that were no longer usable (counted in {@code discarded} too)
 * @param timeouts acquisitions that gave up after the acquire timeout
 * @param resets returned sandboxes reset in place to the image and lent again
 */
public record PoolStats(
        int total,
        int idle,
        int inUse,
        long acquisitions,
        long creations,
        long waits,
        Duration averageWait,
        long discarded,
        long poisoned,
        long timeouts,
        long resets) {}
