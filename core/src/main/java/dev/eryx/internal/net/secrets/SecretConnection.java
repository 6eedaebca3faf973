package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;
import java.util.Arrays;

/** A {@link ConnectionFilter} made of an outbound filter and the response scrubber. */
final class SecretConnection implements ConnectionFilter {
    private final boolean secretBound;
    private final OutboundFilter outbound;
    private final ResponseScrubber scrubber;

    SecretConnection(boolean secretBound, OutboundFilter outbound, ResponseScrubber scrubber) {
        this.secretBound = secretBound;
        this.outbound = outbound;
        this.scrubber = scrubber;
    }

    /** No secrets at all: bytes pass unchanged. */
    static ConnectionFilter passThrough() {
        return new SecretConnection(false, (b, off, len) -> copy(b, off, len), null);
    }

    @Override
    public boolean secretBound() {
        return secretBound;
    }

    @Override
    public byte[] outbound(byte[] b, int off, int len) throws NetException {
        return outbound.outbound(b, off, len);
    }

    @Override
    public byte[] inbound(byte[] b, int off, int len) {
        return scrubber == null ? copy(b, off, len) : scrubber.inbound(b, off, len);
    }

    @Override
    public byte[] inboundEnd() {
        return scrubber == null ? new byte[0] : scrubber.inboundEnd();
    }

    private static byte[] copy(byte[] b, int off, int len) {
        return Arrays.copyOfRange(b, off, off + len);
    }
}
