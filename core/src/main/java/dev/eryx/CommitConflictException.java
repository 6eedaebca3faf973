package dev.eryx;

import java.util.List;

/**
 * A commit of staged changes ({@link SandboxFiles#commit()}) was refused because the host directory
 * changed under them: a file the overlay read or replaced is no longer what it first saw (size,
 * modification time or content), or a path it creates or deletes is no longer as it was. Nothing
 * was written; the changes are still pending.
 */
public final class CommitConflictException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final List<String> paths;

    public CommitConflictException(List<String> guestPaths) {
        super(
                "the host directory changed under the staged changes, nothing was committed: "
                        + String.join(", ", guestPaths));
        this.paths = List.copyOf(guestPaths);
    }

    /** The guest paths in conflict, sorted. */
    public List<String> paths() {
        return paths;
    }
}
