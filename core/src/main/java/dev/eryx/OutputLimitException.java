package dev.eryx;

/**
 * The guest wrote more than {@link ResourceLimits#maxOutputBytes()} to stdout and stderr; the
 * output up to the cap is in {@link #partialResult()}.
 */
public class OutputLimitException extends EryxException {
    public OutputLimitException(String message, ExecutionResult partialResult) {
        super(message, partialResult);
    }
}
