package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;

/** The guest-to-server half of a {@link ConnectionFilter}. */
interface OutboundFilter {
    byte[] outbound(byte[] b, int off, int len) throws NetException;
}
