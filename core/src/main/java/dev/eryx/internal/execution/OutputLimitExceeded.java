package dev.eryx.internal.execution;

/** Thrown out of the guest's write when the output cap is reached; unwinds the guest call. */
final class OutputLimitExceeded extends RuntimeException {
    OutputLimitExceeded() {
        super("output limit exceeded", null, false, false);
    }
}
