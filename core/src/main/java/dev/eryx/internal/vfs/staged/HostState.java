package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.NodeType;

/**
 * What a staged mount saw of one host path the first time it looked: the precondition its commit
 * checks. {@code type} null means absent; {@code sha256} (hex) is known for files whose content the
 * overlay read whole (a copy or a deletion), null for files it only opened for reading (then size
 * and modification time must match).
 */
public record HostState(NodeType type, long size, long modifyTimeNanos, String sha256) {
    static final HostState ABSENT = new HostState(null, 0, 0, null);

    public boolean exists() {
        return type != null;
    }

    /** Whether {@code now} is still this state; a recorded hash is compared when present. */
    boolean matches(HostState now) {
        if (type != now.type) {
            return false;
        }
        if (type != NodeType.REGULAR_FILE) {
            return true;
        }
        return size == now.size
                && modifyTimeNanos == now.modifyTimeNanos
                && (sha256 == null || sha256.equals(now.sha256));
    }

    HostState withSha256(String hash) {
        return new HostState(type, size, modifyTimeNanos, hash);
    }
}
