package dev.eryx.internal.vfs;

/**
 * Rewrites bytes on their way into a host file, keeping their length so the offsets the guest
 * writes at stay right (the secrets' redaction: docs/network.md, "Secrets").
 */
public interface WriteMask {
    /** The bytes to write, of the same length; the given array when nothing changes. */
    byte[] apply(byte[] bytes);

    /** Bytes of the previous write to look at again: a match split across two writes. */
    int overlap();
}
