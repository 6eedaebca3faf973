package dev.eryx.internal.wasi;

import static dev.eryx.internal.wasi.GuestMemory.u32;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import dev.eryx.Effect;
import dev.eryx.internal.values.ApiValues;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import dev.eryx.internal.vfs.Resolution;
import dev.eryx.internal.vfs.Vfs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Writes the file entries of the audit ledger ({@link Effect}) from the host side of WASI: it wraps
 * the preview1 imports that touch files, so what it records is what the host actually did, whatever
 * the guest's Python code claims. One instance per guest; guest thread only.
 *
 * <p>Reads and writes are aggregated per open file description: one FILE_READ and/or FILE_WRITE
 * entry when the descriptor is closed (or, for a file still open, when the execution ends), with
 * the total bytes, the host time spent in open/read/write, and the first error. A loop of 1,000
 * small reads of one file is one entry, not 1,000. Opens that fail, deletions, renames and
 * directory changes are recorded when they happen. Anything on the shared read-only layers (the
 * stdlib and the guest runtime) is left out: those are the interpreter's own reads, not effects.
 */
public final class FileAudit {
    private final Consumer<Effect> sink;
    private final List<String> excludedPrefixes;

    /** Open regular files being audited; keyed by identity (a descriptor survives fd_renumber). */
    private final Map<Descriptor, Tracker> files = new IdentityHashMap<>();

    /** Guest paths of directories opened with path_open, so paths relative to them can be named. */
    private final Map<Descriptor, String> directories = new IdentityHashMap<>();

    private long sequence;

    /** The descriptor table of the WASI whose imports were wrapped. */
    private FdTable table;

    /**
     * @param sink receives each entry as it is recorded
     * @param excludedPrefixes absolute guest paths of the shared read-only layers; paths under them
     *     are never recorded
     */
    public FileAudit(Consumer<Effect> sink, List<String> excludedPrefixes) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.excludedPrefixes = List.copyOf(excludedPrefixes);
        for (String prefix : this.excludedPrefixes) {
            if (!prefix.startsWith("/") || prefix.endsWith("/")) {
                throw new IllegalArgumentException(
                        "excluded prefix must be absolute without a trailing slash: " + prefix);
            }
        }
    }

    /**
     * Reports what files still open did since their last entry. Called at the end of every
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

    // ====================================================================== wrapping the imports

    /** Returns {@code functions} with the file-touching ones wrapped; the others unchanged. */
    HostFunction[] wrap(HostFunction[] functions, FdTable fds, Vfs vfs) {
        this.table = fds;
        HostFunction[] wrapped = functions.clone();
        for (int i = 0; i < wrapped.length; i++) {
            HostFunction f = wrapped[i];
            Audited audited = audited(f.name(), fds, vfs);
            if (audited != null) {
                WasmFunctionHandle inner = f.handle();
                wrapped[i] =
                        new HostFunction(
                                f.module(),
                                f.name(),
                                f.functionType(),
                                (instance, args) -> audited.call(inner, instance, args));
            }
        }
        return wrapped;
    }

    /** One audited import: sees the arguments, calls the real function, records what happened. */
    @FunctionalInterface
    private interface Audited {
        long[] call(WasmFunctionHandle inner, Instance instance, long[] args);
    }

    private Audited audited(String name, FdTable fds, Vfs vfs) {
        switch (name) {
            case "path_open":
                return (inner, instance, a) -> pathOpen(inner, instance, a, fds);
            case "fd_read":
                return (inner, instance, a) -> transfer(inner, instance, a, fds, false, 3);
            case "fd_pread":
                return (inner, instance, a) -> transfer(inner, instance, a, fds, false, 4);
            case "fd_write":
                return (inner, instance, a) -> transfer(inner, instance, a, fds, true, 3);
            case "fd_pwrite":
                return (inner, instance, a) -> transfer(inner, instance, a, fds, true, 4);
            case "fd_filestat_set_size":
            case "fd_allocate":
                return (inner, instance, a) -> resize(inner, instance, a, fds);
            case "fd_close":
                return (inner, instance, a) -> close(inner, instance, a, fds);
            case "fd_renumber":
                return (inner, instance, a) -> renumber(inner, instance, a, fds);
            case "path_unlink_file":
                return (inner, instance, a) ->
                        pathChange(inner, instance, a, fds, vfs, Effect.Kind.FILE_DELETE);
            case "path_remove_directory":
                return (inner, instance, a) ->
                        pathChange(inner, instance, a, fds, vfs, Effect.Kind.DIR_DELETE);
            case "path_create_directory":
                return (inner, instance, a) ->
                        pathChange(inner, instance, a, fds, vfs, Effect.Kind.DIR_CREATE);
            case "path_rename":
                return (inner, instance, a) -> rename(inner, instance, a, fds);
            case "path_symlink":
                return (inner, instance, a) -> symlink(inner, instance, a, fds);
            default:
                return null;
        }
    }

    private long[] pathOpen(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        GuestMemory m = new GuestMemory(instance.memory());
        String path = guestPath(m, fds, a[0], a[2], a[3]);
        long oflags = u32(a[4]);
        boolean writeIntent =
                (a[5] & Preview1.RIGHT_FD_WRITE) != 0
                        || (oflags & (Preview1.OFLAG_CREAT | Preview1.OFLAG_TRUNC)) != 0;
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        long nanos = System.nanoTime() - started;
        if (path == null) {
            return result; // EFAULT/EBADF before the path was even read: nothing happened to a file
        }
        int errno = (int) result[0];
        if (errno != 0) {
            // A failed directory open is a listing that did not happen; listings are not recorded.
            if ((oflags & Preview1.OFLAG_DIRECTORY) == 0
                    && !excluded(path)
                    && !sourceProbe(path, errno)) {
                record(
                        writeIntent ? Effect.Kind.FILE_WRITE : Effect.Kind.FILE_READ,
                        path,
                        0,
                        nanos,
                        errno,
                        null);
            }
            return result;
        }
        Descriptor opened;
        try {
            opened = fds.get(m.readU32(u32(a[8])));
        } catch (ErrnoException e) {
            return result;
        }
        if (opened instanceof Descriptor.Directory) {
            directories.put(opened, path);
        } else if (opened instanceof Descriptor.File) {
            Descriptor.File file = (Descriptor.File) opened;
            if (!excluded(path) && !ReadOnlyLayer.contains(file.file.node())) {
                Tracker tracker = new Tracker(path, file.canWrite(), ++sequence);
                tracker.pendingNanos = nanos;
                tracker.modified = (oflags & Preview1.OFLAG_TRUNC) != 0;
                files.put(opened, tracker);
            }
        }
        return result;
    }

    private long[] transfer(
            WasmFunctionHandle inner,
            Instance instance,
            long[] a,
            FdTable fds,
            boolean write,
            int resultArgument) {
        Tracker tracker = tracker(fds, a[0]);
        if (tracker == null) {
            return inner.apply(
                    instance, a); // stdio, the stdlib, or a bad descriptor: the fast path
        }
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        long nanos = System.nanoTime() - started;
        int errno = (int) result[0];
        long count = 0;
        if (errno == 0) {
            try {
                count = new GuestMemory(instance.memory()).readU32(u32(a[resultArgument]));
            } catch (ErrnoException e) {
                return result;
            }
        }
        if (write) {
            tracker.wrote(count, nanos, errno);
        } else {
            tracker.read(count, nanos, errno);
        }
        return result;
    }

    private long[] resize(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        Tracker tracker = tracker(fds, a[0]);
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        if (tracker != null) {
            tracker.modified = true;
            tracker.wrote(0, System.nanoTime() - started, (int) result[0]);
        }
        return result;
    }

    private long[] close(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        Descriptor closing = descriptor(fds, a[0]);
        long[] result = inner.apply(instance, a);
        if (closing != null && result[0] == 0) {
            closed(closing);
        }
        return result;
    }

    private long[] renumber(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        Descriptor moving = descriptor(fds, a[0]);
        Descriptor replaced = descriptor(fds, a[1]);
        long[] result = inner.apply(instance, a);
        if (replaced != null && replaced != moving && result[0] == 0) {
            closed(replaced); // renumber closes whatever the target number held
        }
        return result;
    }

    private void closed(Descriptor descriptor) {
        directories.remove(descriptor);
        Tracker tracker = files.remove(descriptor);
        if (tracker != null) {
            tracker.report();
        }
    }

    private long[] pathChange(
            WasmFunctionHandle inner,
            Instance instance,
            long[] a,
            FdTable fds,
            Vfs vfs,
            Effect.Kind kind) {
        GuestMemory m = new GuestMemory(instance.memory());
        String path = guestPath(m, fds, a[0], a[1], a[2]);
        long size =
                kind == Effect.Kind.FILE_DELETE && path != null
                        ? sizeOf(m, fds, vfs, a[0], a[1], a[2])
                        : 0;
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        if (path != null && !excluded(path)) {
            int errno = (int) result[0];
            record(kind, path, errno == 0 ? size : 0, System.nanoTime() - started, errno, null);
        }
        return result;
    }

    private long[] rename(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        GuestMemory m = new GuestMemory(instance.memory());
        String from = guestPath(m, fds, a[0], a[1], a[2]);
        String to = guestPath(m, fds, a[3], a[4], a[5]);
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        if (from != null && to != null && !(excluded(from) && excluded(to))) {
            record(
                    Effect.Kind.FILE_RENAME,
                    from,
                    0,
                    System.nanoTime() - started,
                    (int) result[0],
                    to);
        }
        return result;
    }

    private long[] symlink(WasmFunctionHandle inner, Instance instance, long[] a, FdTable fds) {
        GuestMemory m = new GuestMemory(instance.memory());
        String linkTarget = decode(m, a[0], a[1]);
        String path = guestPath(m, fds, a[2], a[3], a[4]);
        long started = System.nanoTime();
        long[] result = inner.apply(instance, a);
        if (path != null && linkTarget != null && !excluded(path)) {
            record(
                    Effect.Kind.SYMLINK_CREATE,
                    path,
                    0,
                    System.nanoTime() - started,
                    (int) result[0],
                    linkTarget);
        }
        return result;
    }

    // ====================================================================== recording

    private void record(
            Effect.Kind kind, String path, long bytes, long nanos, int errno, String destination) {
        sink.accept(
                ApiValues.effect(
                        kind,
                        path,
                        bytes,
                        Duration.ofNanos(nanos),
                        errno == 0 ? Effect.Outcome.OK : Effect.Outcome.ERROR,
                        errno == 0 ? null : errnoName(errno),
                        destination));
    }

    /** "ENOENT" for the errno's wire value (our names drop POSIX's leading E). */
    static String errnoName(int errno) {
        Errno[] all = Errno.values();
        return errno > 0 && errno < all.length ? "E" + all[errno].name() : "errno " + errno;
    }

    /** What one open file description did since its last entry. */
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

        /** Open time, charged to the first entry. */
        long pendingNanos;

        /** Which came first since the last entry, so the two entries keep that order. */
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
         * Emits the entries due and starts counting afresh. The first report of a description
         * always emits something: a write-opened file is a FILE_WRITE even with no bytes (it may
         * have been created or truncated), a read-only one a FILE_READ.
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
            record(
                    Effect.Kind.FILE_READ,
                    path,
                    readBytes,
                    readNanos + (first ? pendingNanos : 0),
                    readErrno,
                    null);
        }

        private void emitWrite(boolean first) {
            record(
                    Effect.Kind.FILE_WRITE,
                    path,
                    writeBytes,
                    writeNanos + (first ? pendingNanos : 0),
                    writeErrno,
                    null);
        }
    }

    // ====================================================================== paths

    private Tracker tracker(FdTable fds, long fd) {
        Descriptor d = descriptor(fds, fd);
        return d instanceof Descriptor.File ? files.get(d) : null;
    }

    private static Descriptor descriptor(FdTable fds, long fd) {
        long number = u32(fd);
        return fds.isOpen(number) ? fds.get(number) : null;
    }

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

    /**
     * The absolute guest path of {@code path} relative to directory {@code dirFd}, normalized
     * lexically (as named: symlinks are not resolved), or null if the call cannot succeed anyway.
     */
    private String guestPath(GuestMemory m, FdTable fds, long dirFd, long pointer, long length) {
        String relative = decode(m, pointer, length);
        Descriptor dir = descriptor(fds, dirFd);
        if (relative == null || !(dir instanceof Descriptor.Directory)) {
            return null;
        }
        String base = ((Descriptor.Directory) dir).preopenName;
        if (base == null) {
            base = directories.getOrDefault(dir, "/<fd " + u32(dirFd) + ">");
        }
        return normalize(relative.startsWith("/") ? relative : base + "/" + relative);
    }

    private static String decode(GuestMemory m, long pointer, long length) {
        long p = u32(pointer);
        long n = u32(length);
        if (n > Vfs.MAX_PATH_BYTES) {
            return null;
        }
        try {
            return new String(m.readBytes(p, (int) n), StandardCharsets.UTF_8);
        } catch (ErrnoException e) {
            return null;
        }
    }

    /** Lexically normalized; a path the VFS would reject anyway is kept as named. */
    static String normalize(String path) {
        try {
            return Vfs.normalizeAbsolute(path);
        } catch (IllegalArgumentException | ErrnoException invalid) {
            return path;
        }
    }

    /** Size of the regular file about to be deleted (the entry's bytes); 0 when unknown. */
    private static long sizeOf(
            GuestMemory m, FdTable fds, Vfs vfs, long dirFd, long pointer, long length) {
        Descriptor dir = descriptor(fds, dirFd);
        String relative = decode(m, pointer, length);
        if (!(dir instanceof Descriptor.Directory) || relative == null || relative.isEmpty()) {
            return 0;
        }
        try {
            Resolution r = vfs.resolve(((Descriptor.Directory) dir).chain, relative, false);
            Node node = r.node();
            return node != null && node.type() == NodeType.REGULAR_FILE ? node.stat().size() : 0;
        } catch (ErrnoException e) {
            return 0;
        }
    }
}
