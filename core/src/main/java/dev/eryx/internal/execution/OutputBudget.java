package dev.eryx.internal.execution;

/** The stdout+stderr byte allowance of one execution, shared by both streams. */
final class OutputBudget {
    private final long limit;
    private long used;

    OutputBudget(long limit) {
        this.limit = limit;
    }

    /** Takes up to {@code wanted} bytes of the allowance and returns how many were granted. */
    int take(int wanted) {
        long granted = Math.min(wanted, limit - used);
        used += granted;
        return (int) granted;
    }

    boolean exhausted() {
        return used >= limit;
    }
}
