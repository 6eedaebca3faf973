package dev.eryx.internal.execution;

/**
 * The stdout+stderr byte allowance of one execution, shared by both streams. When a write does not
 * fit, the budget tells its owner once, so the execution can be stopped cooperatively; the guest's
 * write itself still succeeds (the excess is dropped), which keeps the interpreter consistent.
 */
final class OutputBudget {
    private final long limit;
    private final Runnable onExhausted;
    private long used;
    private boolean exhausted;

    OutputBudget(long limit, Runnable onExhausted) {
        this.limit = limit;
        this.onExhausted = onExhausted;
    }

    /** Takes up to {@code wanted} bytes of the allowance and returns how many were granted. */
    int take(int wanted) {
        long granted = Math.min(wanted, limit - used);
        used += granted;
        if (granted < wanted && !exhausted) {
            exhausted = true;
            onExhausted.run();
        }
        return (int) granted;
    }
}
