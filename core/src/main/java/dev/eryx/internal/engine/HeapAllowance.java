package dev.eryx.internal.engine;

/**
 * Decides whether guest memory may take more of the JVM heap. Guest memory lives on the heap, so a
 * guest that grows past what the heap can give must be refused inside the guest ({@code
 * memory.grow} returns -1 and Python raises {@code MemoryError}) before the JVM throws {@link
 * OutOfMemoryError} into whichever thread happens to allocate next.
 */
@FunctionalInterface
public interface HeapAllowance {
    /**
     * Whether {@code bytes} more may be allocated now. Called before every allocation of guest
     * pages.
     */
    boolean mayAllocate(long bytes);

    /**
     * Refuses an allocation that would leave less than {@code reserveBytes} of the heap's maximum
     * unused. "Used" is what the collector currently reports (live data plus garbage not yet
     * collected), so the check errs on the side of refusing. It is a per-call check, not a
     * reservation: sandboxes growing at the same instant can each pass it, so the reserve must
     * cover the largest growth that can happen concurrently; a pool's admission budget ({@code
     * maxTotalMemoryBytes}) is the hard bound, this is the safety net below it.
     */
    static HeapAllowance headroom(long reserveBytes) {
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("reserveBytes must be >= 0: " + reserveBytes);
        }
        Runtime runtime = Runtime.getRuntime();
        return bytes -> {
            long used = runtime.totalMemory() - runtime.freeMemory();
            return runtime.maxMemory() - used - bytes >= reserveBytes;
        };
    }

    /**
     * The default: keep an eighth of the maximum heap (at least 32 MiB) free for everything else.
     */
    static HeapAllowance defaultHeadroom() {
        return headroom(Math.max(32L << 20, Runtime.getRuntime().maxMemory() / 8));
    }

    /** No limit beyond the guest's own cap (tests). */
    static HeapAllowance unlimited() {
        return bytes -> true;
    }
}
