package dev.eryx.cli;

import dev.eryx.InterpreterExitException;
import dev.eryx.Verdict;
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

    /**
     * The exit code for a failure. Every failure of the command goes through here: a usage error is
     * {@link #USAGE}, {@code os._exit(n)} keeps its status {@code n} (as a process's exit status,
     * the low 8 bits), and anything else exits with the code of its {@link Verdict}.
     */
    public static int of(Throwable failure) {
        if (failure instanceof CommandLine.ParameterException) {
            return USAGE;
        }
        if (failure instanceof InterpreterExitException exit) {
            return exit.exitCode() & 0xFF;
        }
        return of(Verdict.of(failure));
    }

    /**
     * The exit code of a verdict: the one mapping from how an execution ended to the process's
     * status. {@link Verdict#OK} is {@link #SUCCESS}; an execution that ended with {@code
     * sys.exit(n)} exits with {@code n} instead (see {@link dev.eryx.ExecutionResult#exitCode()}).
     */
    public static int of(Verdict verdict) {
        switch (verdict) {
            case OK:
                return SUCCESS;
            case PYTHON_ERROR:
                return PYTHON_EXCEPTION;
            case TIMEOUT:
                return TIMEOUT;
            case CANCELLED:
                return CANCELLED; // also an uncaught KeyboardInterrupt: as CPython, 128 + SIGINT
            case FUEL:
                return FUEL_EXHAUSTED;
            case MEMORY:
                return MEMORY_LIMIT; // the cap, or an uncaught MemoryError
            case OUTPUT:
                return OUTPUT_LIMIT;
            case CRASHED:
                return INTERNAL_ERROR;
            default:
                throw new IllegalArgumentException("unknown verdict: " + verdict);
        }
    }
}
