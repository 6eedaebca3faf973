package dev.eryx.internal.vfs;

/**
 * An open regular file with positional I/O; the position of a file descriptor is kept by the
 * caller. Implementations are not thread-safe beyond what their node guarantees.
 */
public interface OpenFile extends AutoCloseable {
    /** Reads up to {@code length} bytes at {@code position}; returns 0 at or past end of file. */
    int read(long position, byte[] buffer, int offset, int length);

    /** Writes all bytes at {@code position}, growing the file as needed; returns the count. */
    int write(long position, byte[] buffer, int offset, int length);

    long size();

    void truncate(long size);

    FileNode node();

    @Override
    void close();
}
