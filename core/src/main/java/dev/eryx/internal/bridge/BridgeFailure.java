package dev.eryx.internal.bridge;

/** A bridge operation's answer that is a negative status for the guest rather than a response. */
public final class BridgeFailure extends RuntimeException {
    /** The operation failed; the guest raises RuntimeError with the message. */
    public static final int ERROR = -1;

    /** The host does not implement the operation; the guest raises NotImplementedError. */
    public static final int UNKNOWN_OP = -2;

    /** A wait ended without a result; the guest raises TimeoutError. */
    public static final int TIMEOUT = -3;

    private final int status;

    public BridgeFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
