package dev.eryx;

/** The execution burned all of {@link ResourceLimits#maxFuel()}. */
public class FuelExhaustedException extends EryxException {
    private final long consumed;
    private final long limit;

    public FuelExhaustedException(long consumed, long limit, ExecutionResult partialResult) {
        super("fuel exhausted: consumed " + consumed + " of " + limit, partialResult);
        this.consumed = consumed;
        this.limit = limit;
    }

    public long consumed() {
        return consumed;
    }

    public long limit() {
        return limit;
    }
}
