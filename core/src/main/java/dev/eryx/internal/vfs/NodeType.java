package dev.eryx.internal.vfs;

/**
 * The kinds of node the VFS has. Host special files (FIFOs, devices, sockets) are never exposed.
 */
public enum NodeType {
    DIRECTORY,
    REGULAR_FILE,
    SYMLINK
}
