package dev.eryx.internal.vfs;

/**
 * The sandbox's filesystem quota (bytes and entries), for storage kept outside the in-memory tree
 * that must count against the same limit: a staged mount's overlay. Charging more than is left
 * fails with ENOSPC and charges nothing; negative amounts refund.
 */
public interface Quota {
    void chargeBytes(long delta);

    void chargeEntries(long delta);
}
