package dev.eryx;

/**
 * The guest needed more memory than {@link ResourceLimits#maxMemoryBytes()} and could not recover.
 */
public class MemoryLimitException extends EryxException {
    public MemoryLimitException(String message, ExecutionResult partialResult) {
        super(message, partialResult);
    }
}
