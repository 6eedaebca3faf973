package dev.eryx;

import java.util.Collection;
import java.util.List;

/**
 * The host's view of a sandbox's files: the in-memory filesystem and the mounts, addressed by guest
 * paths. Nothing outside them is reachable; read-only mounts stay read-only. Failures (missing
 * file, a directory where a file is expected, a read-only mount) are {@link
 * java.io.UncheckedIOException}s with the guest path in the message.
 *
 * <p>Writes to a {@link MountMode#STAGED} mount, by the guest or through this interface, wait in an
 * overlay: {@link #pendingChanges()} lists them, {@link #commit()} applies them to the host
 * directory and {@link #discard()} drops them. Call these between executions: they wait for the
 * guest's file operations on the mount, not for its code.
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

    /** The pending changes of every staged mount, sorted by path; empty without staged mounts. */
    List<PendingChange> pendingChanges();

    /**
     * Applies every pending change to the host directories. Each file is replaced atomically
     * (written beside it, flushed, renamed over it); no symlink is followed or created. First,
     * every path is checked against what the overlay saw of the host (size, modification time and,
     * when it read the whole file, SHA-256; for a path it created, that nothing is there): any
     * difference refuses the whole commit. Afterwards the guest sees the host directories as they
     * now are and nothing is pending.
     *
     * @throws CommitConflictException the host changed under the overlay; nothing was written
     * @throws java.io.UncheckedIOException the host failed half-way (e.g. its disk is full); what
     *     was applied is no longer pending, the rest is
     */
    void commit();

    /**
     * Like {@link #commit()} for the changes at these guest paths and below them (with the new
     * directories they need).
     *
     * @throws IllegalArgumentException a path has no pending change
     */
    void commit(Collection<String> guestPaths);

    /** Drops every pending change; the host directories stay exactly as they are. */
    void discard();
}
