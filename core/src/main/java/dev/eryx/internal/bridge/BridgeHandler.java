package dev.eryx.internal.bridge;

/** Host side of the bridge operations; one per sandbox. */
public interface BridgeHandler {
    /**
     * Performs {@code op} on the guest's request bytes and returns the response bytes.
     *
     * @throws BridgeFailure to hand the guest a status and message instead of a response
     */
    byte[] handle(BridgeOp op, byte[] request);
}
