package dev.eryx;

/**
 * The guest ended its interpreter with {@code os._exit(n)}, as a process would exit: without
 * unwinding or cleaning up, so nothing more can run in it and the sandbox is no longer usable.
 * {@link #exitCode()} is {@code n}, for hosts that run a script as a process would (the {@code
 * eryx} command exits with it).
 */
public class InterpreterExitException extends SandboxCrashedException {
    private final int exitCode;

    public InterpreterExitException(int exitCode, ExecutionResult partialResult, Throwable cause) {
        super(
                "the guest ended the interpreter with os._exit(" + exitCode + ")",
                partialResult,
                cause);
        this.exitCode = exitCode;
    }

    /** The status the guest passed to {@code os._exit()}. */
    public int exitCode() {
        return exitCode;
    }
}
