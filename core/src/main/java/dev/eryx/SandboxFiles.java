package dev.eryx;

import java.util.List;

/**
 * The host's view of a sandbox's files: the in-memory filesystem and the mounts, addressed by guest
 * paths. Nothing outside them is reachable; read-only mounts stay read-only. Failures (missing
 * file, a directory where a file is expected, a read-only mount) are {@link
 * java.io.UncheckedIOException}s with the guest path in the message.
 */
public interface SandboxFiles {
    byte[] read(String guestPath);

    /** Creates or replaces a file; parent directories are created. */
    void write(String guestPath, byte[] content);

    /** Names of the entries of a directory, sorted. */
    List<String> list(String guestPath);

    /** Deletes a file or an empty directory. */
    void delete(String guestPath);

    boolean exists(String guestPath);
}
