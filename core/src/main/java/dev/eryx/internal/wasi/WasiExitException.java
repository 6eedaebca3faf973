package dev.eryx.internal.wasi;

/** Thrown by {@code proc_exit}; unwinds the wasm call carrying the guest's exit code. */
public final class WasiExitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public WasiExitException(int exitCode) {
        super("guest called proc_exit(" + exitCode + ")", null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
