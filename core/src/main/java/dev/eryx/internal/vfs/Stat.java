package dev.eryx.internal.vfs;

import java.util.Objects;

/** File metadata as the guest sees it. Times are nanoseconds since the Unix epoch. */
public record Stat(
        NodeType type,
        long device,
        long inode,
        long linkCount,
        long size,
        long accessTimeNanos,
        long modifyTimeNanos,
        long changeTimeNanos) {
    public Stat {
        Objects.requireNonNull(type, "type");
    }
}
