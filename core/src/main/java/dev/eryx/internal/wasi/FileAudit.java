package dev.eryx.internal.wasi;

import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.wasi.FileListener.Event;
import dev.eryx.internal.wasi.FileListener.Operation;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reports the guest's file effects to a {@link FileListener} from the host side of WASI: {@link
 * WasiPreview1} tells it, in decoded terms (descriptor, guest path, bytes, errno), what it served,
 * so what is reported is what the host actually did, whatever the guest's Python code claims. It
 * knows nothing of the preview1 ABI. One instance per guest; guest thread only.
 *
 * <p>Reads and writes are aggregated per open file description: one READ and/or WRITE event when
 * the descriptor is closed (or, for a file still open, at {@link #flush()}), with the total bytes,
 * the host time spent in open/read/write, and the first error. A loop of 1,000 small reads of one
 * file is one event, not 1,000. Opens that fail, deletions, renames and directory changes are
 * reported when they happen. Anything on the shared read-only layers (the stdlib, the guest runtime
 * and the sandbox's packages) is left out: those are the interpreter's own reads (imports), not
 * effects.
 */
public final class FileAudit {
    private final FileListener listener;
    private final List<String> excludedPrefixes;

    /** Open regular files being audited; keyed by identity (a descriptor survives fd_renumber). */
    private final Map<Descriptor, Tracker> files = new IdentityHashMap<>();

    /** Guest paths of directories opened with path_open, so paths relative to them can be named. */
    private final Map<Descriptor, String> directories = new IdentityHashMap<>();

    private long sequence;

    /** The descriptors of the guest watched, set once by its WASI (see {@link #attach}). */
    private FdTable table;

    /**
     * @param listener receives each event as it happens
     * @param excludedPrefixes absolute guest paths of the shared read-only layers; paths under them
     *     are never reported
     */
    public FileAudit(FileListener listener, List<String> excludedPrefixes) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.excludedPrefixes = List.copyOf(excludedPrefixes);
        for (String prefix : this.excludedPrefixes) {
            if (!prefix.startsWith("/") || prefix.endsWith("/")) {
                throw new IllegalArgumentException(
                        "excluded prefix must be absolute without a trailing slash: " + prefix);
            }
        }
    }

    /**
     * Reports what files still open did since their last event. Called at the end of every
     * execution, so its ledger covers its own reads and writes even if the guest keeps a file open.
     */
    public void flush() {
        List<Tracker> open = new ArrayList<>(files.values());
        open.sort((a, b) -> Long.compare(a.opened, b.opened));
        for (Tracker tracker : open) {
            tracker.report();
        }
        forgetClosedOutsideTheGuest();
    }

    /**
     * Drops what refers to descriptors the host closed without an fd_close (for example those of an
     * execution that was rolled back), so nothing accumulates across executions.
     */
    private void forgetClosedOutsideTheGuest() {
        if (table == null || (files.isEmpty() && directories.isEmpty())) {
            return;
        }
        Map<Descriptor, Boolean> live = new IdentityHashMap<>();
        for (int fd = 0; fd < table.maxOpen(); fd++) {
            if (table.isOpen(fd)) {
                live.put(table.get(fd), Boolean.TRUE);
            }
        }
        files.keySet().retainAll(live.keySet());
        directories.keySet().retainAll(live.keySet());
    }

    // ====================================================================== told by WasiPreview1

    /** Binds this audit to the descriptors of the one guest it watches. */
    void attach(FdTable fds) {
        if (table != null) {
            throw new IllegalStateException("a file audit watches one guest");
        }
        this.table = Objects.requireNonNull(fds, "fds");
    }

    /**
     * The absolute guest path of {@code relative} as named from directory {@code dir} (descriptor
     * {@code fd}), normalized lexically: symlinks are not resolved.
     */
    String guestPath(Descriptor.Directory dir, long fd, String relative) {
        String base = dir.preopenName;
        if (base == null) {
            base = directories.getOrDefault(dir, "/<fd " + fd + ">");
        }
        return normalize(relative.startsWith("/") ? relative : base + "/" + relative);
    }

    /** path_open succeeded: follows reads and writes of a file, names paths under a directory. */
    void opened(Descriptor opened, String path, boolean truncated, long nanos) {
        if (opened instanceof Descriptor.Directory) {
            directories.put(opened, path);
        } else if (opened instanceof Descriptor.File file
                && !excluded(path)
                && !ReadOnlyLayer.contains(file.file.node())) {
            Tracker tracker = new Tracker(path, file.canWrite(), ++sequence);
            tracker.pendingNanos = nanos;
            tracker.modified = truncated;
            files.put(opened, tracker);
        }
    }

    /**
     * path_open failed: a READ or WRITE (by intent) with the errno. A failed directory open is a
     * listing that did not happen; listings are not recorded.
     */
    void openFailed(String path, boolean directory, boolean forWriting, long nanos, int errno) {
        if (!directory && !excluded(path) && !sourceProbe(path, errno)) {
            listener.onFileEvent(
                    new Event(
                            forWriting ? Operation.WRITE : Operation.READ,
                            path,
                            0,
                            nanos,
                            errno,
                            null));
        }
    }

    /** Whether reads and writes through {@code d} are counted (a file this audit follows). */
    boolean follows(Descriptor d) {
        return d instanceof Descriptor.File && files.containsKey(d);
    }

    /** A read or write through {@code d} moved {@code bytes}, or failed with {@code errno}. */
    void transferred(Descriptor d, boolean write, long bytes, long nanos, int errno) {
        Tracker tracker = files.get(d);
        if (tracker == null) {
            return;
        }
        if (write) {
            tracker.wrote(bytes, nanos, errno);
        } else {
            tracker.read(bytes, nanos, errno);
        }
    }

    /** The size of the file open as {@code d} was set (or the attempt failed). */
    void resized(Descriptor d, long nanos, int errno) {
        Tracker tracker = files.get(d);
        if (tracker != null) {
            tracker.modified = true;
            tracker.wrote(0, nanos, errno);
        }
    }

    /** The guest closed {@code d} (fd_close, or the target of fd_renumber): its events are due. */
    void closed(Descriptor d) {
        directories.remove(d);
        Tracker tracker = files.remove(d);
        if (tracker != null) {
            tracker.report();
        }
    }

    /**
     * A path changed (or failed to): reported now, unless it lies on an excluded layer (for a
     * rename: unless both names do).
     *
     * @param destination the new path (RENAME), the link text (SYMLINK); null otherwise
     */
    void changed(
            Operation operation,
            String path,
            long bytes,
            long nanos,
            int errno,
            String destination) {
        boolean excluded =
                excluded(path) && (operation != Operation.RENAME || excluded(destination));
        if (!excluded) {
            listener.onFileEvent(
                    new Event(operation, path, errno == 0 ? bytes : 0, nanos, errno, destination));
        }
    }

    // ====================================================================== aggregation

    /** What one open file description did since its last event. */
    private final class Tracker {
        final String path;
        final boolean writable;
        final long opened;
        boolean reported;
        boolean modified;
        long readBytes;
        long readNanos;
        int readErrno;
        long writeBytes;
        long writeNanos;
        int writeErrno;

        /** Open time, charged to the first event. */
        long pendingNanos;

        /** Which came first since the last event, so the two events keep that order. */
        boolean writeFirst;

        boolean active;

        Tracker(String path, boolean writable, long opened) {
            this.path = path;
            this.writable = writable;
            this.opened = opened;
        }

        void read(long bytes, long nanos, int errno) {
            touch(false);
            readBytes += bytes;
            readNanos += nanos;
            if (readErrno == 0) {
                readErrno = errno;
            }
        }

        void wrote(long bytes, long nanos, int errno) {
            touch(true);
            writeBytes += bytes;
            writeNanos += nanos;
            if (writeErrno == 0) {
                writeErrno = errno;
            }
        }

        private void touch(boolean write) {
            if (!active) {
                active = true;
                writeFirst = write;
            }
        }

        /**
         * Emits the events due and starts counting afresh. The first report of a description always
         * emits something: a write-opened file is a WRITE even with no bytes (it may have been
         * created or truncated), a read-only one a READ.
         */
        void report() {
            boolean firstReport = !reported;
            boolean writeEntry =
                    writeBytes > 0 || writeErrno != 0 || modified || (firstReport && writable);
            boolean readEntry = readBytes > 0 || readErrno != 0 || (firstReport && !writeEntry);
            if (writeEntry && readEntry && !writeFirst) {
                emitRead(true);
                emitWrite(false);
            } else {
                if (writeEntry) {
                    emitWrite(true);
                }
                if (readEntry) {
                    emitRead(!writeEntry);
                }
            }
            reported = true;
            active = false;
            modified = false;
            readBytes = writeBytes = readNanos = writeNanos = pendingNanos = 0;
            readErrno = writeErrno = 0;
        }

        private void emitRead(boolean first) {
            listener.onFileEvent(
                    new Event(
                            Operation.READ,
                            path,
                            readBytes,
                            readNanos + (first ? pendingNanos : 0),
                            readErrno,
                            null));
        }

        private void emitWrite(boolean first) {
            listener.onFileEvent(
                    new Event(
                            Operation.WRITE,
                            path,
                            writeBytes,
                            writeNanos + (first ? pendingNanos : 0),
                            writeErrno,
                            null));
        }
    }

    // ====================================================================== paths

    /**
     * CPython names code that has no file {@code <string>}, {@code <unknown>}, ... and its
     * traceback printers (for example the unraisable-exception hook, which an interrupt can
     * trigger) try to open such a name for the source line. That failed open is the interpreter's,
     * not the guest code's. A file that exists under such a name is still recorded.
     */
    private static boolean sourceProbe(String path, int errno) {
        int slash = path.lastIndexOf('/');
        return errno == Errno.NOENT.code()
                && path.length() > slash + 2
                && path.charAt(slash + 1) == '<'
                && path.endsWith(">");
    }

    private boolean excluded(String path) {
        for (String prefix : excludedPrefixes) {
            if (path.startsWith(prefix)
                    && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/')) {
                return true;
            }
        }
        return false;
    }

    /** Lexically normalized; a path the VFS would reject anyway is kept as named. */
    static String normalize(String path) {
        try {
            return Vfs.normalizeAbsolute(path);
        } catch (IllegalArgumentException | ErrnoException invalid) {
            return path;
        }
    }
}
