package dev.eryx.internal.vfs;

import java.util.OptionalLong;

/** A node of the virtual filesystem: a directory, a regular file or a symlink. */
public interface Node {
    NodeType type();

    /** Cheap identity within {@link #device()}. */
    long inode();

    /** Identifies the filesystem the node lives on; renames never cross devices. */
    long device();

    Stat stat();

    /** Whether the node's filesystem refuses all modification (EROFS). */
    boolean isReadOnly();

    /** Sets access and/or modification time; an empty value leaves that time unchanged. */
    void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos);
}
