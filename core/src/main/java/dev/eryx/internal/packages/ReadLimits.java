package dev.eryx.internal.packages;

/**
 * Caps on what reading packages may cost, across the whole set given to one {@code
 * PythonPackages.of}: a zip bomb or a huge tree fails cleanly instead of exhausting the host.
 *
 * @param maxEntries files, across every source
 * @param maxTotalBytes uncompressed bytes, across every source (counted while reading, never taken
 *     from headers)
 * @param maxRatio the largest inflated/compressed ratio of one archive entry ...
 * @param ratioFloorBytes ... once it has inflated more than this many bytes (small files compress
 *     very well legitimately)
 */
public record ReadLimits(int maxEntries, long maxTotalBytes, int maxRatio, long ratioFloorBytes) {
    /** 100,000 files, 512 MiB, 200:1 beyond 1 MiB: far above any pure-Python package set. */
    public static final ReadLimits DEFAULT = new ReadLimits(100_000, 512L << 20, 200, 1L << 20);

    public ReadLimits {
        if (maxEntries <= 0 || maxTotalBytes <= 0 || maxRatio <= 0 || ratioFloorBytes < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
