package dev.eryx;

/**
 * Receives trace events while an execution runs ({@code Sandbox.builder().tracer(...)}). Called on
 * the sandbox's guest thread, in order; the guest waits while it runs, so keep it quick. An
 * exception it throws is ignored. With no tracer, the guest traces nothing and pays nothing.
 */
@FunctionalInterface
public interface TraceListener {
    void onEvent(TraceEvent event);
}
