package dev.eryx.internal.engine;

/**
 * The guest stopped below Python: a WebAssembly trap, a failure of the engine, or a host-side
 * interrupt. Engine types never leave this package; this is what the rest of eryx sees instead.
 */
public final class GuestTrap extends RuntimeException {
    /** Why the guest stopped. */
    public enum Kind {
        /** An {@code unreachable}, out-of-bounds access or similar fault inside the guest. */
        TRAP,
        /** The guest thread was interrupted by the host (timeout or cancellation). */
        INTERRUPTED,
        /** The guest recursed deeper than the host thread's stack allows. */
        STACK_OVERFLOW
    }

    private final Kind kind;

    GuestTrap(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
