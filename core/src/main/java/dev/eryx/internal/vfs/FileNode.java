package dev.eryx.internal.vfs;

/** A regular file. */
public interface FileNode extends Node {
    /** Opens the file; {@code writable} requests write access and fails with EROFS when refused. */
    OpenFile open(boolean writable);
}
