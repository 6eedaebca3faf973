package dev.eryx;

/** What one execution consumed. Immutable. */
public final class ExecutionStats {
    private final long fuelConsumed;
    private final long peakMemoryBytes;
    private final int callbackInvocations;

    private static final ExecutionStats NONE = new ExecutionStats(0, 0, 0);

    /** Built by the internals, through {@link dev.eryx.internal.values.ApiValues}. */
    ExecutionStats(long fuelConsumed, long peakMemoryBytes, int callbackInvocations) {
        this.fuelConsumed = fuelConsumed;
        this.peakMemoryBytes = peakMemoryBytes;
        this.callbackInvocations = callbackInvocations;
    }

    /**
     * Nothing consumed: no fuel, no memory, no callbacks (for example, for code that never ran).
     */
    public static ExecutionStats none() {
        return NONE;
    }

    /**
     * Fuel units burned: one per guest function entry and loop iteration; deterministic for the
     * same input.
     */
    public long fuelConsumed() {
        return fuelConsumed;
    }

    /** High-water mark of the guest's linear memory, in bytes. */
    public long peakMemoryBytes() {
        return peakMemoryBytes;
    }

    public int callbackInvocations() {
        return callbackInvocations;
    }

    @Override
    public String toString() {
        return "ExecutionStats{fuelConsumed="
                + fuelConsumed
                + ", peakMemoryBytes="
                + peakMemoryBytes
                + ", callbackInvocations="
                + callbackInvocations
                + '}';
    }
}
