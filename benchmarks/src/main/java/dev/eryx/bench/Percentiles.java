package dev.eryx.bench;

/** The one percentile rule of the harnesses that report latency distributions. */
final class Percentiles {
    private Percentiles() {}

    /**
     * Nearest-rank percentile ({@code p} in 0-100) of sorted nanoseconds, in milliseconds; 0 when
     * empty.
     */
    static double millis(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }
}
