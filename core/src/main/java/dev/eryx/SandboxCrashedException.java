package dev.eryx;

/**
 * The guest failed below Python: a WebAssembly trap, a host stack overflow, or an internal error of
 * the runtime. The host is unaffected; {@link Sandbox#isUsable()} tells whether the sandbox
 * survived.
 */
public class SandboxCrashedException extends EryxException {
    public SandboxCrashedException(String message, ExecutionResult partialResult, Throwable cause) {
        super(message, partialResult, cause);
    }
}
