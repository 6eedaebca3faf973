package dev.eryx;

/** The guest code raised an exception it did not catch (including {@code SyntaxError}). */
public class PythonException extends EryxException {
    private final String pythonType;
    private final String traceback;

    public PythonException(
            String pythonType, String message, String traceback, ExecutionResult partialResult) {
        super(pythonType + (message.isEmpty() ? "" : ": " + message), partialResult);
        this.pythonType = pythonType;
        this.traceback = traceback;
    }

    /** The exception's class name, e.g. {@code "ZeroDivisionError"}. */
    public String pythonType() {
        return pythonType;
    }

    /** The traceback text CPython would print, ending with the {@code Type: message} line. */
    public String traceback() {
        return traceback;
    }
}
