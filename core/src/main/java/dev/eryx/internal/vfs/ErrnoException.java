package dev.eryx.internal.vfs;

import java.util.Objects;

/**
 * A failure that maps to one errno. Thrown for expected, guest-caused conditions (a missing file
 * during an import probe is the common case), so it carries no stack trace: filling one in would
 * make every failed stat expensive.
 */
public final class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public ErrnoException(Errno errno, String message) {
        super(message, null, false, false);
        this.errno = Objects.requireNonNull(errno, "errno");
        if (errno == Errno.SUCCESS) {
            throw new IllegalArgumentException("SUCCESS is not an error");
        }
    }

    public ErrnoException(Errno errno) {
        this(errno, errno.name());
    }

    public Errno errno() {
        return errno;
    }
}
