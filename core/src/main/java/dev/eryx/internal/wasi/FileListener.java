package dev.eryx.internal.wasi;

import dev.eryx.internal.vfs.Errno;
import java.util.Objects;

/**
 * Told what the guest did to files, in WASI terms, as the host served it (see {@link FileAudit}).
 * Called on the guest thread; must not throw. The layer above turns events into its own records
 * (the audit ledger); this package knows nothing of them.
 */
@FunctionalInterface
public interface FileListener {
    void onFileEvent(Event event);

    /** What happened to a path. */
    enum Operation {
        /** Reads through one open file description (aggregated), or an open that failed. */
        READ,
        /** Writes, truncation or resizing through one open file description (aggregated). */
        WRITE,
        /** path_unlink_file. */
        UNLINK,
        /** path_rename; {@link Event#destination()} is the new path. */
        RENAME,
        /** path_create_directory. */
        MKDIR,
        /** path_remove_directory. */
        RMDIR,
        /** path_symlink; {@link Event#destination()} is the link text. */
        SYMLINK
    }

    /**
     * One file event.
     *
     * @param path absolute guest path, lexically normalized
     * @param bytes bytes transferred (READ, WRITE) or removed (UNLINK); 0 otherwise
     * @param hostNanos host time spent serving it
     * @param errno the WASI errno the guest got; 0 for success
     * @param destination new path (RENAME), link text (SYMLINK); null otherwise
     */
    record Event(
            Operation operation,
            String path,
            long bytes,
            long hostNanos,
            int errno,
            String destination) {
        public Event {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(path, "path");
        }

        /** "ENOENT" for a failure (our names drop POSIX's leading E); null on success. */
        public String errnoName() {
            if (errno == 0) {
                return null;
            }
            Errno[] all = Errno.values();
            return errno > 0 && errno < all.length ? "E" + all[errno].name() : "errno " + errno;
        }
    }
}
