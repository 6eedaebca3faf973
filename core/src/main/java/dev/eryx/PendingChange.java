package dev.eryx;

import java.util.Objects;
import java.util.Optional;

/**
 * One change the guest made to a host directory mounted with {@link MountMode#STAGED}, waiting for
 * {@link SandboxFiles#commit()} or {@link SandboxFiles#discard()}. A rename shows as the old path
 * DELETED and the new one CREATED (or MODIFIED).
 */
public final class PendingChange {
    /** What the change does to the host path. */
    public enum Kind {
        /** The host has nothing at the path yet. */
        CREATED,
        /** The host's file gets new content (or the path changes type). */
        MODIFIED,
        /** The host's entry at the path goes away. */
        DELETED
    }

    private final String path;
    private final Kind kind;
    private final boolean directory;
    private final long size;
    private final String sha256;
    private final String diff;
    private final String modeChange;

    /** Built by the internals, through {@link dev.eryx.internal.values.ApiValues}. */
    PendingChange(
            String path,
            Kind kind,
            boolean directory,
            long size,
            String sha256,
            String diff,
            String modeChange) {
        this.path = Objects.requireNonNull(path, "path");
        this.kind = Objects.requireNonNull(kind, "kind");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0: " + size);
        }
        this.directory = directory;
        this.size = size;
        this.sha256 = sha256;
        this.diff = diff;
        this.modeChange = modeChange;
    }

    /** The path as the guest sees it ("/work/src/app.py"). */
    public String path() {
        return path;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the path is (for DELETED: was) a directory. */
    public boolean isDirectory() {
        return directory;
    }

    /** The new content's size in bytes; 0 for directories and deletions. */
    public long size() {
        return size;
    }

    /** SHA-256 (lowercase hex) of the new content; empty for directories and deletions. */
    public Optional<String> sha256() {
        return Optional.ofNullable(sha256);
    }

    /**
     * A unified diff ({@code --- a/path}, {@code +++ b/path}, {@code /dev/null} for a side that
     * does not exist, 3 lines of context) when both sides are text: UTF-8 without NUL bytes, at
     * most 256 KiB. Empty for binary or larger files and directories.
     */
    public Optional<String> diff() {
        return Optional.ofNullable(diff);
    }

    /**
     * A permission change, in git's words: "new file mode 100644" for a file the commit creates,
     * "deleted file mode 100755" for one it deletes, "was a directory" when the path changes type.
     * Empty when the permissions stay (a rewritten file keeps its own).
     */
    public Optional<String> modeChange() {
        return Optional.ofNullable(modeChange);
    }

    @Override
    public String toString() {
        return kind + " " + path + (directory ? "/" : " (" + size + " bytes)");
    }
}
