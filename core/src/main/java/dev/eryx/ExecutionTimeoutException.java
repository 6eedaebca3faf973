package dev.eryx;

/** The execution ran past {@link ResourceLimits#executionTimeout()}. */
public class ExecutionTimeoutException extends EryxException {
    public ExecutionTimeoutException(String message, ExecutionResult partialResult) {
        super(message, partialResult);
    }
}
