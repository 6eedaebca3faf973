package dev.eryx.internal.vfs;

/**
 * A symlink. Its target is resolved by the VFS in the guest namespace only, never by the host
 * operating system.
 */
public interface SymlinkNode extends Node {
    String target();
}
