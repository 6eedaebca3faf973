package dev.eryx;

/** The execution was cancelled through {@link ExecutionHandle#cancel()} or an interrupt. */
public class ExecutionCancelledException extends EryxException {
    public ExecutionCancelledException(String message, ExecutionResult partialResult) {
        super(message, partialResult);
    }
}
