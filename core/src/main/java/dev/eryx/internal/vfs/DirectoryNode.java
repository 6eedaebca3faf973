package dev.eryx.internal.vfs;

import java.util.List;

/**
 * A directory. Names passed in are single, already validated components (never empty, ".", ".." or
 * containing '/' or NUL); path walking, "..", and symlink following belong to {@link Vfs}.
 */
public interface DirectoryNode extends Node {
    /** Returns the child, or null when absent. Symlinks are returned, not followed. */
    Node lookup(String name);

    /** The entries in name order, without "." and "..". */
    List<DirEntry> entries();

    boolean isEmpty();

    /** Creates an empty regular file; EEXIST if the name is taken. */
    FileNode createFile(String name);

    DirectoryNode createDirectory(String name);

    void createSymlink(String name, String target);

    /** Removes a non-directory entry. */
    void unlink(String name);

    /** Removes an empty directory entry. */
    void removeDirectory(String name);

    /**
     * Moves {@code name} to {@code targetDirectory/targetName}, replacing a compatible existing
     * target. The caller has already checked devices, type compatibility and cycles.
     */
    void rename(String name, DirectoryNode targetDirectory, String targetName);
}
