package dev.eryx;

import java.util.Locale;

/**
 * How an execution ended, in one word: the classification every integration reports (the CLI's JSON
 * report, the server's responses, the MCP tool, metrics and batch jobs), so that one execution has
 * the same verdict everywhere.
 *
 * <p>{@link #wireName()} is the lower-case form used in JSON and in metric tags ({@code
 * "python_error"}).
 */
public enum Verdict {
    /** The code ran to its end, or ended with {@code sys.exit(0)}. */
    OK,
    /**
     * The code raised an exception it did not catch (also {@code SyntaxError}), or ended with a
     * non-zero {@code sys.exit()}.
     */
    PYTHON_ERROR,
    /** The execution ran past its wall-clock timeout. */
    TIMEOUT,
    /** The host cancelled the execution (or an uncaught {@code KeyboardInterrupt} ended it). */
    CANCELLED,
    /** The execution used up its fuel (instruction budget). */
    FUEL,
    /** The guest ran out of memory: the memory limit, or an uncaught {@code MemoryError}. */
    MEMORY,
    /** The execution wrote more output than its output limit allows. */
    OUTPUT,
    /**
     * The sandbox can run nothing more: the interpreter crashed, the guest called {@code
     * os._exit()}, or something unexpected failed on the host.
     */
    CRASHED;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The verdict's lower-case name, as JSON and metric tags carry it: {@code "python_error"}. */
    public String wireName() {
        return wireName;
    }

    /** The verdict a lower-case (or upper-case) name stands for. */
    public static Verdict fromWireName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("verdict name is null");
        }
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown verdict: " + name, e);
        }
    }

    /** The verdict of an execution that returned: OK, or PYTHON_ERROR after a non-zero exit. */
    public static Verdict of(ExecutionResult result) {
        if (result == null) {
            throw new IllegalArgumentException("result is null");
        }
        return result.exited() && result.exitCode() != 0 ? PYTHON_ERROR : OK;
    }

    /**
     * The verdict of an execution that failed with {@code failure}, as {@link
     * Sandbox#execute(String)} throws it. {@code null} means it did not fail: {@link #OK}. Anything
     * that is not one of eryx's own failures (a host bug) is {@link #CRASHED}.
     */
    public static Verdict of(Throwable failure) {
        if (failure == null) {
            return OK;
        }
        if (failure instanceof PythonException python) {
            switch (python.pythonType()) {
                case "KeyboardInterrupt":
                    return CANCELLED;
                case "MemoryError":
                    return MEMORY;
                default:
                    return PYTHON_ERROR;
            }
        }
        if (failure instanceof SandboxCrashedException) {
            return CRASHED; // also InterpreterExitException: os._exit() ends the interpreter
        }
        if (failure instanceof FuelExhaustedException) {
            return FUEL;
        }
        if (failure instanceof MemoryLimitException) {
            return MEMORY;
        }
        if (failure instanceof OutputLimitException) {
            return OUTPUT;
        }
        if (failure instanceof ExecutionTimeoutException) {
            return TIMEOUT;
        }
        if (failure instanceof ExecutionCancelledException
                || failure instanceof InterruptedException) {
            return CANCELLED;
        }
        return CRASHED;
    }
}
