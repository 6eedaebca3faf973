package dev.eryx.internal.execution;

/** Why the host stopped an execution before it finished on its own. */
enum StopReason {
    TIMEOUT,
    CANCELLED,
    /** The guest wrote more than its output allowance. */
    OUTPUT_LIMIT
}
