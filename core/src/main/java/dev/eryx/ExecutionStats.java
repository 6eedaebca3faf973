package dev.eryx;

/** What one execution consumed. Immutable. */
public final class ExecutionStats {
    private final long fuelConsumed;
    private final long peakMemoryBytes;
    private final int callbackInvocations;

    public ExecutionStats(long fuelConsumed, long peakMemoryBytes, int callbackInvocations) {
        this.fuelConsumed = fuelConsumed;
        this.peakMemoryBytes = peakMemoryBytes;
        this.callbackInvocations = callbackInvocations;
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
