package dev.eryx;

/**
 * Receives one execution's output while it runs ({@link Sandbox#executeAsync(String,
 * ResourceLimits, OutputListener)}), with the delivery rules of {@link
 * Sandbox.Builder#stdout(java.util.function.Consumer)}: on one thread of the sandbox, in the order
 * the guest wrote, stdout and stderr interleaved as written, everything delivered before the
 * execution's outcome is; a listener still busy at the execution's timeout or cancellation is
 * abandoned; one that throws is logged and keeps receiving text.
 */
public interface OutputListener {
    /** Text the guest wrote to stdout. */
    void stdout(String text);

    /** Text the guest wrote to stderr. */
    void stderr(String text);
}
