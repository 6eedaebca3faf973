package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;

/**
 * What the secrets do to the plaintext of one guest connection: substitution (or refusal) on the
 * way out, scrubbing of real values on the way in. One per connection; not thread-safe (a
 * connection's bytes pass one way at a time in order).
 */
public interface ConnectionFilter {
    /** True when this connection carries a secret (then ALPN must be http/1.1 only). */
    boolean secretBound();

    /**
     * Guest plaintext out; returns the bytes to send (length may differ). Throws {@link
     * NetException} kind SECRET when a placeholder would go where it may not, or the request cannot
     * be parsed on a secret-bound connection. Nothing of a refused write is sent, and the filter
     * stays refused afterwards.
     */
    byte[] outbound(byte[] b, int off, int len) throws NetException;

    /**
     * Server plaintext in, before the guest sees it: real values become placeholders (same length);
     * may hold back a partial match; returns the bytes the guest may read now.
     */
    byte[] inbound(byte[] b, int off, int len);

    /** At EOF: what was held back. */
    byte[] inboundEnd();
}
