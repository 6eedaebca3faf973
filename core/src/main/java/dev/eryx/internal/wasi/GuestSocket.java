package dev.eryx.internal.wasi;

/**
 * The far side of a socket descriptor, served outside WASI (by {@code dev.eryx.internal.net}, which
 * this package does not know). Used from the guest thread only. Failures are {@link
 * dev.eryx.internal.vfs.ErrnoException}s: {@code AGAIN} for a non-blocking call that would wait,
 * {@code TIMEDOUT} when a blocking one waited the policy's read timeout, {@code CANCELED} when the
 * execution is being stopped (never {@code INTR}: CPython retries that without looking at its
 * interrupt flag).
 */
public interface GuestSocket {
    /** Readiness bit: a recv would not wait (data, end of stream or an error to report). */
    int READABLE = 1;

    /** Readiness bit: a send would not wait. */
    int WRITABLE = 2;

    /**
     * Reads into {@code dst}; returns the bytes read, 0 at the end of the stream.
     *
     * @param peek leave the bytes to be read again (MSG_PEEK)
     * @param waitAll a blocking read waits for {@code len} bytes or the end (MSG_WAITALL)
     * @param nonBlocking fail with AGAIN rather than wait
     */
    int recv(byte[] dst, int off, int len, boolean peek, boolean waitAll, boolean nonBlocking);

    /** Sends {@code len} bytes (a non-blocking send may take fewer); returns how many it took. */
    int send(byte[] src, int off, int len, boolean nonBlocking);

    /** Shuts down reading, writing or both (sock_shutdown). */
    void shutdown(boolean read, boolean write);

    /** The descriptor was closed: release everything; called once. */
    void close();

    /**
     * Whether this is a network connection, which a saved state cannot hold; false for a descriptor
     * that only signals the host's events (it stays open, as the guest remembers it).
     */
    default boolean isConnection() {
        return true;
    }
}
