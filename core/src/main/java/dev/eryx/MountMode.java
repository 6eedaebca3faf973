package dev.eryx;

/** How the guest may use a host directory mounted with {@link Sandbox.Builder#mount}. */
public enum MountMode {
    /** Reads only; every write fails with OSError. */
    READ_ONLY,
    /** Reads and writes go to the host directory as they happen. */
    READ_WRITE,
    /**
     * Reads see the host directory; writes land in an overlay the host reviews with {@code
     * files().pendingChanges()} and applies with {@code files().commit()} or drops with {@code
     * files().discard()}. The host directory is untouched until then.
     */
    STAGED
}
