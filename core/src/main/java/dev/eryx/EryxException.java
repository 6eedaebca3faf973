package dev.eryx;

/**
 * Base of every failure an execution reports. Unchecked: a failed execution is a normal outcome for
 * untrusted code, and callers decide where to handle it.
 *
 * <p>When raised by an execution, {@link #partialResult()} holds what the guest produced up to the
 * failure, so nothing it printed is lost.
 */
public class EryxException extends RuntimeException {
    private final transient ExecutionResult partialResult;

    public EryxException(String message, ExecutionResult partialResult) {
        super(message);
        this.partialResult = partialResult;
    }

    public EryxException(String message, ExecutionResult partialResult, Throwable cause) {
        super(message, cause);
        this.partialResult = partialResult;
    }

    /**
     * Output and stats up to the failure; {@code null} when the failure happened outside an
     * execution.
     */
    public ExecutionResult partialResult() {
        return partialResult;
    }
}
