package dev.eryx.internal.vfs.staged;

/**
 * One pending change of a staged mount, as {@link PendingChanges} lists it; the public {@code
 * PendingChange} is built from it.
 *
 * @param path below the mount root ("a/b.txt")
 * @param size the new content's size (0 for directories and deletions)
 * @param sha256 hex of the new content, null for directories and deletions
 * @param diff a unified diff for text files, else null
 * @param modeChange a permission change in git's words ("new file mode 100644"), else null
 */
public record StagedChange(
        String path,
        Kind kind,
        boolean directory,
        long size,
        String sha256,
        String diff,
        String modeChange) {
    public enum Kind {
        CREATED,
        MODIFIED,
        DELETED
    }
}
