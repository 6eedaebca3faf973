package dev.eryx.internal.vfs;

/** One entry of a directory listing; enough for {@code fd_readdir} without a stat per entry. */
public record DirEntry(String name, NodeType type, long inode) {}
