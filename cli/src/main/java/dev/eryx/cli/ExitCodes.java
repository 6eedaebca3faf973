package dev.eryx.cli;

import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.InterpreterExitException;
import dev.eryx.MemoryLimitException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.SandboxCrashedException;
import picocli.CommandLine;

/**
 * The process exit codes of {@code eryx}, and the one place where a failure becomes one.
 *
 * <p>A guest {@code sys.exit(n)} is not a failure: it exits with {@code n} (see {@link
 * dev.eryx.ExecutionResult#exitCode()}).
 */
public final class ExitCodes {
    public static final int SUCCESS = 0;

    /**
     * The Python code raised an exception it did not catch (also {@code SyntaxError}); an uncaught
     * {@code KeyboardInterrupt} gives {@link #CANCELLED} and a {@code MemoryError} {@link
     * #MEMORY_LIMIT} instead.
     */
    public static final int PYTHON_EXCEPTION = 1;

    /** Bad command line: unknown option, malformed value, unreadable script. */
    public static final int USAGE = 2;

    public static final int FUEL_EXHAUSTED = 3;

    /** The guest ran out of memory: an uncaught {@code MemoryError}, or it could not recover. */
    public static final int MEMORY_LIMIT = 4;

    public static final int OUTPUT_LIMIT = 5;

    /**
     * The sandbox crashed, or something unexpected went wrong on the host (sysexits EX_SOFTWARE).
     */
    public static final int INTERNAL_ERROR = 70;

    /** The execution ran past {@code --timeout} (as coreutils {@code timeout}). */
    public static final int TIMEOUT = 124;

    /** Cancelled or interrupted (128 + SIGINT). */
    public static final int CANCELLED = 130;

    private ExitCodes() {}

    /** The exit code for a failure. Every failure of the command goes through here. */
    public static int of(Throwable failure) {
        if (failure instanceof CommandLine.ParameterException) {
            return USAGE;
        }
        if (failure instanceof PythonException python) {
            switch (python.pythonType()) {
                case "KeyboardInterrupt":
                    return CANCELLED; // as CPython: it dies of the SIGINT, 128 + 2
                case "MemoryError":
                    // Whether the cap or the code's own request was too big, memory ran out.
                    return MEMORY_LIMIT;
                default:
                    return PYTHON_EXCEPTION;
            }
        }
        if (failure instanceof InterpreterExitException exit) {
            return exit.exitCode() & 0xFF; // os._exit(n), as a process's exit status
        }
        if (failure instanceof FuelExhaustedException) {
            return FUEL_EXHAUSTED;
        }
        if (failure instanceof MemoryLimitException) {
            return MEMORY_LIMIT;
        }
        if (failure instanceof OutputLimitException) {
            return OUTPUT_LIMIT;
        }
        if (failure instanceof ExecutionTimeoutException) {
            return TIMEOUT;
        }
        if (failure instanceof ExecutionCancelledException
                || failure instanceof InterruptedException) {
            return CANCELLED;
        }
        if (failure instanceof SandboxCrashedException) {
            return INTERNAL_ERROR;
        }
        return INTERNAL_ERROR;
    }
}
