package dev.eryx.internal.wasi;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static dev.eryx.internal.imports.HostImports.params;
import static dev.eryx.internal.imports.HostImports.returningI32;
import static dev.eryx.internal.imports.HostImports.returningNothing;
import static dev.eryx.internal.wasi.GuestMemory.u32;
import static dev.eryx.internal.wasi.Preview1.*;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.ValType;
import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.OpenFile;
import dev.eryx.internal.vfs.Resolution;
import dev.eryx.internal.vfs.Stat;
import dev.eryx.internal.vfs.SymlinkNode;
import dev.eryx.internal.vfs.Vfs;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import java.util.random.RandomGenerator;

/**
 * Our implementation of every {@code wasi_snapshot_preview1} import, over our {@link Vfs}. One
 * instance serves one guest instance (it holds that guest's descriptors and scratch buffers) and is
 * used from the guest's thread only.
 *
 * <p>Every function validates its arguments itself: guest pointers go through {@link GuestMemory}
 * (EFAULT), descriptors through {@link FdTable} (EBADF), and VFS failures arrive as {@link
 * ErrnoException}s that become the returned errno. Only deliberate exceptions leave a call: {@link
 * WasiExitException}, interruption, and whatever an {@link OutputSink} throws.
 */
public final class WasiPreview1 implements AutoCloseable {
    /** Bytes moved per chunk between guest memory and files/streams. */
    private static final int IO_CHUNK = 64 * 1024;

    /** A single read/write moves at most this much (fits the u32 result; POSIX SSIZE_MAX-ish). */
    private static final long MAX_TRANSFER = Integer.MAX_VALUE;

    /** POSIX IOV_MAX as Linux sets it: more iovecs than this are EINVAL there too. */
    private static final int MAX_IOVECS = 1024;

    /** poll_oneoff subscriptions per call; wasi-libc needs two per polled fd plus one clock. */
    private static final int MAX_SUBSCRIPTIONS = 4096;

    private static final int ERRNO_COUNT = Errno.values().length;

    private final WasiConfig config;
    private final Vfs vfs;
    private final FdTable fds;
    private final byte[][] args;
    private final byte[][] environment;
    private final RandomGenerator random;
    private final LongSupplier monotonicSource;
    private final long monotonicOrigin;
    private final InputStream stdin;
    private final FileAudit fileAudit;
    private long lastMonotonic;

    /** Reused for file/stream I/O: fd_read/fd_write are hot (print). */
    private final byte[] ioBuffer = new byte[IO_CHUNK];

    private ByteBuffer direntBuffer =
            ByteBuffer.allocate(Preview1.DIRENT_HEADER_SIZE + 256).order(ByteOrder.LITTLE_ENDIAN);

    /** One result array per errno, so returning from a call does not allocate. */
    private final long[][] results = new long[ERRNO_COUNT][];

    public WasiPreview1(WasiConfig config) {
        this(config, null);
    }

    /**
     * @param fileAudit told what this WASI does to files; null for none (then it costs a null
     *     check)
     */
    public WasiPreview1(WasiConfig config, FileAudit fileAudit) {
        this.fileAudit = fileAudit;
        this.config = config;
        this.vfs = config.vfs();
        this.fds = new FdTable(config.maxOpenFiles());
        if (fileAudit != null) {
            fileAudit.attach(fds);
        }
        this.args = nulTerminated(config.args());
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : config.environment().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        this.environment = nulTerminated(env);
        this.random = config.random().get();
        this.monotonicSource = config.monotonicNanos();
        this.monotonicOrigin = monotonicSource.getAsLong();
        this.stdin = config.stdin().get();
        for (int i = 0; i < ERRNO_COUNT; i++) {
            results[i] = new long[] {i};
        }
        fds.allocate(new Descriptor.Stdin(stdin));
        fds.allocate(new Descriptor.Output(config.stdout()));
        fds.allocate(new Descriptor.Output(config.stderr()));
        // The single preopen: the whole VFS, so every sandbox's preopen table is identical.
        fds.allocate(new Descriptor.Directory(vfs.rootChain(), "/", RIGHTS_DIRECTORY, RIGHTS_ALL));
    }

    /** The descriptor state of this guest. */
    public FdTable fdTable() {
        return fds;
    }

    /**
     * Gives the guest a socket descriptor (the lowest free number) served by {@code socket}.
     *
     * @throws ErrnoException MFILE when the guest has all its descriptors open
     */
    public int openSocket(GuestSocket socket) {
        return fds.allocate(new Descriptor.Socket(socket));
    }

    /** The socket open as {@code fd}, or null when {@code fd} is not an open socket. */
    public GuestSocket socketAt(long fd) {
        return fds.isOpen(fd) && fds.get(fd) instanceof Descriptor.Socket s ? s.socket : null;
    }

    /** Closes every connection's descriptor (saveState: no connection outlives it). */
    public void closeSockets() {
        java.util.BitSet open = fds.openDescriptors();
        for (int fd = open.nextSetBit(0); fd >= 0; fd = open.nextSetBit(fd + 1)) {
            if (fds.get(fd) instanceof Descriptor.Socket s && s.socket.isConnection()) {
                fds.close(fd);
            }
        }
    }

    /** Closes every open descriptor, releasing host file handles. */
    @Override
    public void close() {
        fds.closeAll();
    }

    private static byte[][] nulTerminated(List<String> strings) {
        byte[][] result = new byte[strings.size()][];
        for (int i = 0; i < result.length; i++) {
            byte[] utf8 = strings.get(i).getBytes(StandardCharsets.UTF_8);
            result[i] = java.util.Arrays.copyOf(utf8, utf8.length + 1);
        }
        return result;
    }

    // ====================================================================== Chicory wiring

    /** A WASI function body: returns an errno (0 on success) or throws {@link ErrnoException}. */
    @FunctionalInterface
    private interface Body {
        int call(GuestMemory memory, long[] args);
    }

    /** All preview1 imports, with their exact signatures; all but proc_exit return an errno. */
    public HostFunction[] hostFunctions() {
        HostFunction[] functions = {
            function(
                    "args_get",
                    params(I32, I32),
                    (m, a) -> writeStrings(m, args, u32(a[0]), u32(a[1]))),
            function(
                    "args_sizes_get",
                    params(I32, I32),
                    (m, a) -> writeSizes(m, args, u32(a[0]), u32(a[1]))),
            function(
                    "environ_get",
                    params(I32, I32),
                    (m, a) -> writeStrings(m, environment, u32(a[0]), u32(a[1]))),
            function(
                    "environ_sizes_get",
                    params(I32, I32),
                    (m, a) -> writeSizes(m, environment, u32(a[0]), u32(a[1]))),
            function("clock_res_get", params(I32, I32), this::clockResGet),
            function("clock_time_get", params(I32, I64, I32), this::clockTimeGet),
            function("fd_advise", params(I32, I64, I64, I32), this::fdAdvise),
            function("fd_allocate", params(I32, I64, I64), this::fdAllocate),
            function(
                    "fd_close",
                    params(I32),
                    (m, a) -> {
                        closed(fds.close(u32(a[0])));
                        return 0;
                    }),
            function("fd_datasync", params(I32), this::fdSync),
            function("fd_fdstat_get", params(I32, I32), this::fdFdstatGet),
            function("fd_fdstat_set_flags", params(I32, I32), this::fdFdstatSetFlags),
            function("fd_fdstat_set_rights", params(I32, I64, I64), this::fdFdstatSetRights),
            function("fd_filestat_get", params(I32, I32), this::fdFilestatGet),
            function("fd_filestat_set_size", params(I32, I64), this::fdFilestatSetSize),
            function("fd_filestat_set_times", params(I32, I64, I64, I32), this::fdFilestatSetTimes),
            function("fd_pread", params(I32, I32, I32, I64, I32), this::fdPread),
            function("fd_prestat_get", params(I32, I32), this::fdPrestatGet),
            function("fd_prestat_dir_name", params(I32, I32, I32), this::fdPrestatDirName),
            function("fd_pwrite", params(I32, I32, I32, I64, I32), this::fdPwrite),
            function("fd_read", params(I32, I32, I32, I32), this::fdRead),
            function("fd_readdir", params(I32, I32, I32, I64, I32), this::fdReaddir),
            function(
                    "fd_renumber",
                    params(I32, I32),
                    (m, a) -> {
                        closed(fds.renumber(u32(a[0]), u32(a[1])));
                        return 0;
                    }),
            function("fd_seek", params(I32, I64, I32, I32), this::fdSeek),
            function("fd_sync", params(I32), this::fdSync),
            function("fd_tell", params(I32, I32), this::fdTell),
            function("fd_write", params(I32, I32, I32, I32), this::fdWrite),
            function("path_create_directory", params(I32, I32, I32), this::pathCreateDirectory),
            function("path_filestat_get", params(I32, I32, I32, I32, I32), this::pathFilestatGet),
            function(
                    "path_filestat_set_times",
                    params(I32, I32, I32, I32, I64, I64, I32),
                    this::pathFilestatSetTimes),
            function("path_link", params(I32, I32, I32, I32, I32, I32, I32), this::pathLink),
            function(
                    "path_open",
                    params(I32, I32, I32, I32, I32, I64, I64, I32, I32),
                    this::pathOpen),
            function("path_readlink", params(I32, I32, I32, I32, I32, I32), this::pathReadlink),
            function("path_remove_directory", params(I32, I32, I32), this::pathRemoveDirectory),
            function("path_rename", params(I32, I32, I32, I32, I32, I32), this::pathRename),
            function("path_symlink", params(I32, I32, I32, I32, I32), this::pathSymlink),
            function("path_unlink_file", params(I32, I32, I32), this::pathUnlinkFile),
            function("poll_oneoff", params(I32, I32, I32, I32), this::pollOneoff),
            procExit(),
            function("proc_raise", params(I32), (m, a) -> Errno.NOSYS.code()),
            function("random_get", params(I32, I32), this::randomGet),
            function("sched_yield", params(), (m, a) -> 0),
            function("sock_accept", params(I32, I32, I32), this::socket),
            function("sock_recv", params(I32, I32, I32, I32, I32, I32), this::sockRecv),
            function("sock_send", params(I32, I32, I32, I32, I32), this::sockSend),
            function("sock_shutdown", params(I32, I32), this::sockShutdown),
        };
        return functions;
    }

    private HostFunction function(String name, List<ValType> params, Body body) {
        return returningI32(
                MODULE,
                name,
                params,
                (Instance instance, long... args) -> {
                    int errno;
                    try {
                        errno = body.call(new GuestMemory(instance.memory()), args);
                    } catch (ErrnoException e) {
                        errno = e.errno().code();
                    }
                    return results[errno];
                });
    }

    private static HostFunction procExit() {
        return returningNothing(
                MODULE,
                "proc_exit",
                params(I32),
                (instance, args) -> {
                    throw new WasiExitException((int) args[0]);
                });
    }

    // ====================================================================== the file audit

    private void closed(Descriptor d) {
        if (fileAudit != null && d != null) {
            fileAudit.closed(d);
        }
    }

    /** The guest path the audit names {@code relative} by; null when there is no audit. */
    private String named(Descriptor.Directory dir, long dirFd, String relative) {
        return fileAudit == null ? null : fileAudit.guestPath(dir, u32(dirFd), relative);
    }

    /** Runs a size change of the file open as {@code d}, timed and told to the audit. */
    private int resizing(Descriptor d, IntSupplier resize) {
        if (fileAudit == null || !fileAudit.follows(d)) {
            return resize.getAsInt();
        }
        long started = System.nanoTime();
        int errno;
        try {
            errno = resize.getAsInt();
        } catch (ErrnoException e) {
            errno = e.errno().code();
        }
        fileAudit.resized(d, System.nanoTime() - started, errno);
        return errno;
    }

    /**
     * Runs a change of guest path {@code path} (named by {@link #named}), timed and told to the
     * audit with its outcome.
     */
    private int changing(
            FileListener.Operation operation,
            String path,
            String destination,
            LongSupplier change) {
        if (fileAudit == null) {
            change.getAsLong();
            return 0;
        }
        long started = System.nanoTime();
        long bytes;
        try {
            bytes = change.getAsLong();
        } catch (ErrnoException e) {
            fileAudit.changed(
                    operation, path, 0, System.nanoTime() - started, e.errno().code(), destination);
            throw e;
        }
        fileAudit.changed(operation, path, bytes, System.nanoTime() - started, 0, destination);
        return 0;
    }

    // ====================================================================== args, environment

    private static int writeStrings(GuestMemory m, byte[][] strings, long pointers, long buffer) {
        long total = 0;
        for (byte[] s : strings) {
            total += s.length;
        }
        m.check(pointers, 4L * strings.length);
        m.check(buffer, total);
        long offset = buffer;
        for (int i = 0; i < strings.length; i++) {
            m.writeI32(pointers + 4L * i, (int) offset);
            m.writeBytes(offset, strings[i], 0, strings[i].length);
            offset += strings[i].length;
        }
        return 0;
    }

    private static int writeSizes(
            GuestMemory m, byte[][] strings, long countPointer, long sizePointer) {
        long total = 0;
        for (byte[] s : strings) {
            total += s.length;
        }
        m.check(countPointer, 4);
        m.check(sizePointer, 4);
        m.writeI32(countPointer, strings.length);
        m.writeI32(sizePointer, (int) total);
        return 0;
    }

    // ====================================================================== clocks, random, poll

    /** Nanoseconds since the epoch from the configured wall clock (0 before 1970). */
    private long realtimeNanos() {
        Instant now = config.wallClock().instant();
        if (now.getEpochSecond() < 0) {
            return 0;
        }
        try {
            return Math.addExact(
                    Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
        } catch (ArithmeticException e) {
            throw new ErrnoException(Errno.OVERFLOW, "wall clock beyond 2262");
        }
    }

    /** Monotonic nanoseconds since this instance started; strictly increasing on every read. */
    private long monotonicNanos() {
        long now = Math.max(lastMonotonic + 1, monotonicSource.getAsLong() - monotonicOrigin);
        lastMonotonic = now;
        return now;
    }

    private long clockNanos(long clockId) {
        switch ((int) clockId) {
            case CLOCK_REALTIME:
                return realtimeNanos();
            case CLOCK_MONOTONIC:
            case CLOCK_PROCESS_CPUTIME: // CPU time would leak host load; elapsed time is what we
            // have
            case CLOCK_THREAD_CPUTIME:
                return monotonicNanos();
            default:
                throw new ErrnoException(Errno.INVAL, "unknown clock");
        }
    }

    private int clockResGet(GuestMemory m, long[] a) {
        long clockId = u32(a[0]);
        if (clockId > CLOCK_THREAD_CPUTIME) {
            return Errno.INVAL.code();
        }
        m.writeI64(u32(a[1]), clockId == CLOCK_REALTIME ? 1_000L : 1L);
        return 0;
    }

    private int clockTimeGet(GuestMemory m, long[] a) {
        long resultPointer = u32(a[2]);
        m.check(resultPointer, 8);
        m.writeI64(resultPointer, clockNanos(u32(a[0])));
        return 0;
    }

    private int randomGet(GuestMemory m, long[] a) {
        long buffer = u32(a[0]);
        long length = u32(a[1]);
        m.check(buffer, length);
        byte[] chunk = new byte[(int) Math.min(length, IO_CHUNK)];
        for (long done = 0; done < length; done += chunk.length) {
            if (length - done < chunk.length) {
                chunk = new byte[(int) (length - done)];
            }
            random.nextBytes(chunk);
            m.writeBytes(buffer + done, chunk, 0, chunk.length);
        }
        return 0;
    }

    /**
     * File and stream subscriptions are always ready (nothing here blocks on them). Socket
     * subscriptions are ready as the {@link PollWaiter} says; with only sockets and clocks it
     * really waits for the first socket or the earliest clock, and returns early, maybe with no
     * event, when the execution is being stopped. Clock subscriptions alone sleep until the
     * earliest timeout.
     *
     * <p>All subscriptions are read before any event is written: the guest may pass an event buffer
     * that overlaps them, and a subscription re-read after an event landed on it would no longer be
     * the one it asked for (and could yield more events than subscriptions).
     */
    private int pollOneoff(GuestMemory m, long[] a) {
        long in = u32(a[0]);
        long out = u32(a[1]);
        long count = u32(a[2]);
        long eventCountPointer = u32(a[3]);
        if (count == 0 || count > MAX_SUBSCRIPTIONS) {
            return Errno.INVAL.code();
        }
        m.check(in, count * SUBSCRIPTION_SIZE);
        m.check(out, count * EVENT_SIZE);
        m.check(eventCountPointer, 4);
        long nowRealtime = realtimeNanos();
        long nowMonotonic = monotonicNanos();
        int n = (int) count;
        long[] userdata = new long[n];
        int[] tags = new int[n];
        // Per subscription: the fd's readable bytes, or a clock's relative timeout (-1: bad clock).
        long[] values = new long[n];
        Errno[] errors = new Errno[n];
        // Per subscription: its socket, if it is one (those wait for real readiness).
        GuestSocket[] sockets = new GuestSocket[n];
        int socketCount = 0;
        long earliest = Long.MAX_VALUE;
        boolean anyClock = false;
        boolean anyImmediate = false;
        for (int i = 0; i < n; i++) {
            long sub = in + (long) i * SUBSCRIPTION_SIZE;
            userdata[i] = m.readI64(sub);
            tags[i] = m.readU8(sub + 8);
            errors[i] = Errno.INVAL;
            if (tags[i] == EVENTTYPE_FD_READ || tags[i] == EVENTTYPE_FD_WRITE) {
                long fd = m.readU32(sub + 16);
                errors[i] = fds.isOpen(fd) ? Errno.SUCCESS : Errno.BADF;
                if (errors[i] == Errno.SUCCESS && fds.get(fd) instanceof Descriptor.Socket s) {
                    sockets[i] = s.socket;
                    socketCount++;
                    continue;
                }
                values[i] =
                        errors[i] == Errno.SUCCESS && tags[i] == EVENTTYPE_FD_READ
                                ? readableBytes(fds.get(fd))
                                : 0;
                anyImmediate = true;
            } else if (tags[i] == EVENTTYPE_CLOCK) {
                values[i] = relativeTimeout(m, sub, nowRealtime, nowMonotonic);
                if (values[i] >= 0) {
                    errors[i] = Errno.SUCCESS;
                    anyClock = true;
                    earliest = Math.min(earliest, values[i]);
                } else {
                    anyImmediate = true;
                }
            } else {
                anyImmediate = true;
            }
        }
        int[] ready = null;
        long fired;
        if (socketCount > 0) {
            ready =
                    pollSockets(
                            sockets,
                            tags,
                            socketCount,
                            anyImmediate ? 0 : anyClock ? earliest : -1);
            // Clocks fire when their time has come, also while sockets are ready; with none
            // ready the wait ended at the earliest clock (or early, at a stop: as for sleep).
            boolean noneReady = true;
            for (int r : ready) {
                noneReady &= r == 0;
            }
            long elapsed = monotonicNanos() - nowMonotonic;
            fired = anyImmediate ? 0 : noneReady ? Math.max(elapsed, earliest) : elapsed;
        } else {
            if (!anyImmediate && anyClock) {
                sleep(earliest);
            }
            // A clock fires if we slept to it, or if it was already due.
            fired = anyImmediate ? 0 : earliest;
        }
        int events = 0;
        for (int i = 0; i < n; i++) {
            boolean clock = tags[i] == EVENTTYPE_CLOCK && errors[i] == Errno.SUCCESS;
            if (clock && values[i] > fired) {
                continue; // not due: no event
            }
            if (sockets[i] != null && ready[i] == 0) {
                continue; // not ready: no event
            }
            writeEvent(
                    m,
                    out + (long) events++ * EVENT_SIZE,
                    userdata[i],
                    errors[i],
                    tags[i],
                    clock ? 0 : sockets[i] != null ? 1 : values[i]);
        }
        m.writeI32(eventCountPointer, events);
        return 0;
    }

    /**
     * Readiness of the socket subscriptions (by subscription index; 0 for the others), waiting at
     * most {@code nanos} (-1: without limit) through the configured {@link PollWaiter}.
     */
    private int[] pollSockets(GuestSocket[] sockets, int[] tags, int socketCount, long nanos) {
        int[] ready = new int[sockets.length];
        PollWaiter waiter = config.pollWaiter();
        GuestSocket[] polled = new GuestSocket[socketCount];
        int[] interests = new int[socketCount];
        int[] index = new int[socketCount];
        int k = 0;
        for (int i = 0; i < sockets.length; i++) {
            if (sockets[i] != null) {
                polled[k] = sockets[i];
                interests[k] =
                        tags[i] == EVENTTYPE_FD_READ ? GuestSocket.READABLE : GuestSocket.WRITABLE;
                index[k++] = i;
            }
        }
        int[] result = waiter == null ? interests : waiter.poll(polled, interests, nanos);
        if (Thread.currentThread().isInterrupted()) {
            throw new ChicoryInterruptedException("interrupted while the guest polled sockets");
        }
        for (int j = 0; j < socketCount; j++) {
            ready[index[j]] = result[j] & interests[j];
        }
        return ready;
    }

    /** Nanoseconds until a clock subscription fires (≥ 0), or -1 for an unknown clock. */
    private static long relativeTimeout(
            GuestMemory m, long sub, long nowRealtime, long nowMonotonic) {
        long clockId = m.readU32(sub + 16);
        long timeout = m.readI64(sub + 24);
        boolean absolute = (m.readU16(sub + 40) & SUBCLOCK_ABSTIME) != 0;
        long now;
        if (clockId == CLOCK_REALTIME) {
            now = nowRealtime;
        } else if (clockId <= CLOCK_THREAD_CPUTIME) {
            now = nowMonotonic;
        } else {
            return -1;
        }
        if (timeout < 0) {
            return Long.MAX_VALUE; // u64 beyond i64: forever
        }
        return absolute ? Math.max(0, timeout - now) : timeout;
    }

    private static long readableBytes(Descriptor d) {
        return d instanceof Descriptor.File f ? Math.max(0, f.file.size() - f.position) : 0;
    }

    private static void writeEvent(
            GuestMemory m, long event, long userdata, Errno error, int type, long nbytes) {
        m.writeI64(event, userdata);
        m.writeI64(event + 8, error.code() | ((long) type << 16)); // error u16, type u8, padding
        m.writeI64(event + 16, nbytes);
        m.writeI64(event + 24, 0); // flags u16 + padding
    }

    private void sleep(long nanos) {
        try {
            config.sleeper().sleepNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChicoryInterruptedException(
                    "interrupted while the guest slept in poll_oneoff");
        }
    }

    // ====================================================================== descriptors

    private Descriptor.File file(long fd) {
        return regularFile(fds.get(fd));
    }

    private static Descriptor.File regularFile(Descriptor d) {
        if (d instanceof Descriptor.File f) {
            return f;
        }
        throw new ErrnoException(
                d instanceof Descriptor.Directory ? Errno.ISDIR : Errno.SPIPE,
                "not a regular file");
    }

    private Descriptor.Directory directory(long fd) {
        Descriptor d = fds.get(fd);
        if (d instanceof Descriptor.Directory directory) {
            return directory;
        }
        throw new ErrnoException(Errno.NOTDIR, "not a directory");
    }

    private static Descriptor.File writable(Descriptor d) {
        Descriptor.File f = regularFile(d);
        if (!f.canWrite()) {
            throw new ErrnoException(Errno.BADF, "not open for writing");
        }
        return f;
    }

    private int fdFdstatGet(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        long stat = u32(a[1]);
        m.check(stat, FDSTAT_SIZE);
        m.writeI64(
                stat, d.fileType() | ((long) d.fdFlags << 16)); // filetype u8, pad, flags u16, pad
        m.writeI64(stat + 8, d.rightsBase);
        m.writeI64(stat + 16, d.rightsInheriting);
        return 0;
    }

    private int fdFdstatSetFlags(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        long flags = u32(a[1]);
        if ((flags & ~FDFLAGS_ALL) != 0) {
            return Errno.INVAL.code();
        }
        d.fdFlags = (int) flags;
        return 0;
    }

    private int fdFdstatSetRights(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        long base = a[1];
        long inheriting = a[2];
        if ((base & ~d.rightsBase) != 0 || (inheriting & ~d.rightsInheriting) != 0) {
            return Errno.NOTCAPABLE.code(); // rights can only shrink
        }
        d.rightsBase = base;
        d.rightsInheriting = inheriting;
        return 0;
    }

    private int fdPrestatGet(GuestMemory m, long[] a) {
        if (!(fds.get(u32(a[0])) instanceof Descriptor.Directory d) || d.preopenName == null) {
            return Errno.BADF.code(); // wasi-libc scans preopens upward until EBADF
        }
        long prestat = u32(a[1]);
        int nameLength = d.preopenName.getBytes(StandardCharsets.UTF_8).length;
        m.writeI64(prestat, (long) nameLength << 32); // tag 0 (dir), pad, u32 name length
        return 0;
    }

    private int fdPrestatDirName(GuestMemory m, long[] a) {
        if (!(fds.get(u32(a[0])) instanceof Descriptor.Directory d) || d.preopenName == null) {
            return Errno.BADF.code();
        }
        byte[] name = d.preopenName.getBytes(StandardCharsets.UTF_8);
        long buffer = u32(a[1]);
        long length = u32(a[2]);
        m.check(buffer, length);
        if (length < name.length) {
            return Errno.NAMETOOLONG.code();
        }
        m.writeBytes(buffer, name, 0, name.length);
        return 0;
    }

    private int fdSync(GuestMemory m, long[] a) {
        fds.get(u32(a[0])); // everything is synchronous already
        return 0;
    }

    private int fdAdvise(GuestMemory m, long[] a) {
        file(u32(a[0]));
        long advice = u32(a[3]);
        if (a[1] < 0 || a[2] < 0 || advice > 5) {
            return Errno.INVAL.code();
        }
        return 0;
    }

    private int fdAllocate(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        return resizing(
                d,
                () -> {
                    Descriptor.File f = writable(d);
                    long offset = a[1];
                    long length = a[2];
                    if (offset < 0 || length <= 0) {
                        return Errno.INVAL.code();
                    }
                    long end = offset + length;
                    if (end < 0) {
                        return Errno.FBIG.code();
                    }
                    if (end > f.file.size()) {
                        f.file.truncate(end);
                    }
                    return 0;
                });
    }

    private int fdFilestatGet(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        long buffer = u32(a[1]);
        m.check(buffer, FILESTAT_SIZE);
        if (d instanceof Descriptor.File f) {
            writeFilestat(m, buffer, f.file.node().stat());
        } else if (d instanceof Descriptor.Directory directory) {
            writeFilestat(m, buffer, directory.node().stat());
        } else {
            writeFilestat(m, buffer, null);
            m.writeI64(buffer + 16, d.fileType());
        }
        return 0;
    }

    /** Writes a filestat; {@code null} means a stdio stream (unknown type, all zero). */
    private static void writeFilestat(GuestMemory m, long buffer, Stat stat) {
        m.check(buffer, FILESTAT_SIZE);
        if (stat == null) {
            for (int i = 0; i < FILESTAT_SIZE; i += 8) {
                m.writeI64(buffer + i, 0);
            }
            return;
        }
        m.writeI64(buffer, stat.device());
        m.writeI64(buffer + 8, stat.inode());
        m.writeI64(buffer + 16, fileType(stat.type())); // filetype u8 + padding
        m.writeI64(buffer + 24, stat.linkCount());
        m.writeI64(buffer + 32, stat.size());
        m.writeI64(buffer + 40, stat.accessTimeNanos());
        m.writeI64(buffer + 48, stat.modifyTimeNanos());
        m.writeI64(buffer + 56, stat.changeTimeNanos());
    }

    private static int fileType(NodeType type) {
        switch (type) {
            case DIRECTORY:
                return FILETYPE_DIRECTORY;
            case REGULAR_FILE:
                return FILETYPE_REGULAR_FILE;
            case SYMLINK:
                return FILETYPE_SYMBOLIC_LINK;
            default:
                return FILETYPE_UNKNOWN;
        }
    }

    private int fdFilestatSetSize(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        return resizing(
                d,
                () -> {
                    Descriptor.File f = writable(d);
                    long size = a[1];
                    if (size < 0) {
                        return Errno.INVAL.code();
                    }
                    f.file.truncate(size);
                    return 0;
                });
    }

    private int fdFilestatSetTimes(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        Node node;
        if (d instanceof Descriptor.File f) {
            node = f.file.node();
        } else if (d instanceof Descriptor.Directory directory) {
            node = directory.node();
        } else {
            return Errno.BADF.code();
        }
        setTimes(node, a[1], a[2], u32(a[3]));
        return 0;
    }

    private void setTimes(Node node, long accessTime, long modifyTime, long flags) {
        if ((flags & ~0xFL) != 0
                || (flags & (FST_ATIM | FST_ATIM_NOW)) == (FST_ATIM | FST_ATIM_NOW)
                || (flags & (FST_MTIM | FST_MTIM_NOW)) == (FST_MTIM | FST_MTIM_NOW)) {
            throw new ErrnoException(Errno.INVAL, "bad fstflags");
        }
        long now = (flags & (FST_ATIM_NOW | FST_MTIM_NOW)) != 0 ? realtimeNanos() : 0;
        node.setTimes(
                timeChange(flags, FST_ATIM, FST_ATIM_NOW, accessTime, now),
                timeChange(flags, FST_MTIM, FST_MTIM_NOW, modifyTime, now));
    }

    private static OptionalLong timeChange(
            long flags, int setFlag, int nowFlag, long value, long now) {
        if ((flags & setFlag) != 0) {
            return OptionalLong.of(value);
        }
        return (flags & nowFlag) != 0 ? OptionalLong.of(now) : OptionalLong.empty();
    }

    private int fdSeek(GuestMemory m, long[] a) {
        Descriptor.File f = file(u32(a[0]));
        long offset = a[1];
        long whence = u32(a[2]);
        long resultPointer = u32(a[3]);
        m.check(resultPointer, 8);
        long base;
        if (whence == WHENCE_SET) {
            base = 0;
        } else if (whence == WHENCE_CUR) {
            base = f.position;
        } else if (whence == WHENCE_END) {
            base = f.file.size();
        } else {
            return Errno.INVAL.code();
        }
        long target = base + offset;
        if (target < 0 || (offset > 0 && target < base)) {
            return Errno.INVAL.code();
        }
        f.position = target;
        m.writeI64(resultPointer, target);
        return 0;
    }

    private int fdTell(GuestMemory m, long[] a) {
        Descriptor.File f = file(u32(a[0]));
        m.writeI64(u32(a[1]), f.position);
        return 0;
    }

    // ====================================================================== read / write

    private int fdRead(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        return transfer(m, d, false, u32(a[1]), u32(a[2]), false, 0, u32(a[3]));
    }

    private int fdPread(GuestMemory m, long[] a) {
        Descriptor.File d = file(u32(a[0]));
        return transfer(m, d, false, u32(a[1]), u32(a[2]), true, a[3], u32(a[4]));
    }

    private int fdWrite(GuestMemory m, long[] a) {
        Descriptor d = fds.get(u32(a[0]));
        return transfer(m, d, true, u32(a[1]), u32(a[2]), false, 0, u32(a[3]));
    }

    private int fdPwrite(GuestMemory m, long[] a) {
        Descriptor.File d = file(u32(a[0]));
        return transfer(m, d, true, u32(a[1]), u32(a[2]), true, a[3], u32(a[4]));
    }

    /**
     * Reads or writes through {@code d}, at {@code offset} if {@code positioned} (pread/pwrite),
     * else at the descriptor's position; stores the byte count at {@code resultPointer}. A file the
     * audit follows is timed and its bytes or errno told.
     */
    private int transfer(
            GuestMemory m,
            Descriptor d,
            boolean write,
            long iovs,
            long count,
            boolean positioned,
            long offset,
            long resultPointer) {
        if (d instanceof Descriptor.Socket socket) {
            if (positioned) {
                throw new ErrnoException(Errno.SPIPE, "a socket has no offsets");
            }
            long[] entries = iovecs(m, iovs, count);
            m.check(resultPointer, 4);
            int moved =
                    write
                            ? socketSend(m, socket, entries)
                            : socketRecv(m, socket, entries, false, false);
            m.writeI32(resultPointer, moved);
            return 0;
        }
        boolean audited = fileAudit != null && fileAudit.follows(d);
        long started = audited ? System.nanoTime() : 0;
        long bytes;
        try {
            if (positioned && offset < 0) {
                throw new ErrnoException(Errno.INVAL, "negative offset");
            }
            long position = positioned ? offset : -1;
            bytes =
                    write
                            ? writev(m, d, iovs, count, position, resultPointer)
                            : readv(m, d, iovs, count, position, resultPointer);
        } catch (ErrnoException e) {
            if (audited) {
                fileAudit.transferred(d, write, 0, System.nanoTime() - started, e.errno().code());
            }
            throw e;
        }
        if (audited) {
            fileAudit.transferred(d, write, bytes, System.nanoTime() - started, 0);
        }
        return 0;
    }

    /**
     * Reads and validates an iovec array once, as {buffer, length} pairs. The copy matters: a read
     * may land in guest memory that holds the array itself, and entries re-read after that would no
     * longer be the ones validated.
     */
    private static long[] iovecs(GuestMemory m, long iovs, long count) {
        if (count > MAX_IOVECS) {
            throw new ErrnoException(Errno.INVAL, "more than " + MAX_IOVECS + " iovecs");
        }
        m.check(iovs, count * IOVEC_SIZE);
        long[] entries = new long[(int) count * 2];
        long total = 0;
        for (int i = 0; i < count; i++) {
            long buffer = m.readU32(iovs + (long) i * IOVEC_SIZE);
            long length = m.readU32(iovs + (long) i * IOVEC_SIZE + 4);
            m.check(buffer, length);
            entries[2 * i] = buffer;
            entries[2 * i + 1] = length;
            total += length;
        }
        if (total > MAX_TRANSFER) {
            throw new ErrnoException(Errno.INVAL, "transfer too large");
        }
        return entries;
    }

    /**
     * Scatters bytes from {@code d} into the iovecs. {@code position} < 0 means "at the
     * descriptor's position, advancing it". Streams stop after the first short read rather than
     * block for more. Returns the bytes read.
     */
    private long readv(
            GuestMemory m, Descriptor d, long iovs, long count, long position, long resultPointer) {
        if (!d.canRead()) {
            throw new ErrnoException(
                    d instanceof Descriptor.Directory ? Errno.ISDIR : Errno.BADF, "not readable");
        }
        m.check(resultPointer, 4);
        long[] entries = iovecs(m, iovs, count);
        long total = 0;
        outer:
        for (int i = 0; i < entries.length; i += 2) {
            long buffer = entries[i];
            long length = entries[i + 1];
            for (long done = 0; done < length; ) {
                int want = (int) Math.min(length - done, IO_CHUNK);
                int got = readChunk(d, position < 0 ? -1 : position + total, want);
                if (got > 0) {
                    m.writeBytes(buffer + done, ioBuffer, 0, got);
                    done += got;
                    total += got;
                }
                if (got < want) {
                    break outer;
                }
            }
        }
        m.writeI32(resultPointer, (int) total);
        return total;
    }

    private int readChunk(Descriptor d, long position, int length) {
        if (d instanceof Descriptor.File f) {
            int got = f.file.read(position < 0 ? f.position : position, ioBuffer, 0, length);
            if (position < 0) {
                f.position += got;
            }
            return got;
        }
        if (d instanceof Descriptor.Stdin stdin) {
            try {
                int got = stdin.in.read(ioBuffer, 0, length);
                return Math.max(0, got);
            } catch (InterruptedIOException e) {
                // The execution is being stopped while the guest waits for input: a hard stop, as
                // for an interrupted sleep (an OSError would let the guest go on reading).
                throw new ChicoryInterruptedException("interrupted while the guest read stdin");
            } catch (IOException e) {
                throw new ErrnoException(Errno.IO, "stdin failed");
            }
        }
        throw new ErrnoException(Errno.BADF, "not readable");
    }

    /**
     * Gathers the iovecs into {@code d}. {@code position} < 0: descriptor position (or append).
     * Returns the bytes written.
     */
    private long writev(
            GuestMemory m, Descriptor d, long iovs, long count, long position, long resultPointer) {
        if (!d.canWrite()) {
            throw new ErrnoException(
                    d instanceof Descriptor.Directory ? Errno.ISDIR : Errno.BADF, "not writable");
        }
        m.check(resultPointer, 4);
        long[] entries = iovecs(m, iovs, count);
        long total = 0;
        try {
            for (int i = 0; i < entries.length; i += 2) {
                long buffer = entries[i];
                long length = entries[i + 1];
                for (long done = 0; done < length; ) {
                    int chunk = (int) Math.min(length - done, IO_CHUNK);
                    // Chicory's Memory has no read-into-array; this copy is the one allocation per
                    // chunk.
                    byte[] bytes = m.readBytes(buffer + done, chunk);
                    writeChunk(d, position < 0 ? -1 : position + total, bytes, chunk);
                    done += chunk;
                    total += chunk;
                }
            }
        } catch (ErrnoException e) {
            if (total == 0 || (e.errno() != Errno.NOSPC && e.errno() != Errno.FBIG)) {
                throw e;
            }
            // POSIX: a partial write reports what was written; the next write gets the error.
        }
        m.writeI32(resultPointer, (int) total);
        return total;
    }

    private void writeChunk(Descriptor d, long position, byte[] bytes, int length) {
        if (d instanceof Descriptor.Output output) {
            output.sink.write(bytes, 0, length);
            return;
        }
        Descriptor.File f = (Descriptor.File) d;
        if (position >= 0) {
            requireEndFits(position, length);
            f.file.write(position, bytes, 0, length);
            return;
        }
        if ((f.fdFlags & FDFLAG_APPEND) != 0) {
            f.position = f.file.size();
        }
        requireEndFits(f.position, length); // fd_seek accepts any i64 offset
        f.file.write(f.position, bytes, 0, length);
        f.position += length;
    }

    /** A write ending beyond 2^63 would wrap to a negative offset in the file layer. */
    private static void requireEndFits(long position, int length) {
        if (position > Long.MAX_VALUE - length) {
            throw new ErrnoException(Errno.FBIG, "write would end beyond the largest file offset");
        }
    }

    // ====================================================================== directories

    private int fdReaddir(GuestMemory m, long[] a) {
        Descriptor.Directory d = directory(u32(a[0]));
        long buffer = u32(a[1]);
        long length = u32(a[2]);
        long cookie = a[3];
        long usedPointer = u32(a[4]);
        m.check(buffer, length);
        m.check(usedPointer, 4);
        if (cookie == 0 || d.listing == null) {
            d.listing = d.node().entries();
        }
        List<DirEntry> listing = d.listing;
        long entryCount = listing.size() + 2L;
        long used = 0;
        for (long index = cookie; index >= 0 && index < entryCount && used < length; index++) {
            String name;
            long inode;
            int type;
            if (index < 2) {
                name = index == 0 ? "." : "..";
                DirectoryNode dir =
                        index == 0 || d.chain.length == 1 ? d.node() : d.chain[d.chain.length - 2];
                inode = dir.inode();
                type = FILETYPE_DIRECTORY;
            } else {
                DirEntry e = listing.get((int) (index - 2));
                name = e.name();
                inode = e.inode();
                type = fileType(e.type());
            }
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            int entrySize = DIRENT_HEADER_SIZE + nameBytes.length;
            if (direntBuffer.capacity() < entrySize) {
                direntBuffer = ByteBuffer.allocate(entrySize).order(ByteOrder.LITTLE_ENDIAN);
            }
            direntBuffer.clear();
            direntBuffer
                    .putLong(index + 1)
                    .putLong(inode)
                    .putInt(nameBytes.length)
                    .putInt(type)
                    .put(nameBytes);
            // The last entry may be cut short: that is how preview1 says "call again with d_next".
            int copied = (int) Math.min(entrySize, length - used);
            m.writeBytes(buffer + used, direntBuffer.array(), 0, copied);
            used += copied;
        }
        m.writeI32(usedPointer, (int) used);
        return 0;
    }

    // ====================================================================== paths

    /** Reads and decodes a guest path: ENAMETOOLONG, EFAULT, EINVAL (NUL), EILSEQ (bad UTF-8). */
    private static String readPath(GuestMemory m, long pointer, long length) {
        m.check(pointer, length);
        if (length > Vfs.MAX_PATH_BYTES) {
            throw new ErrnoException(Errno.NAMETOOLONG, "path too long");
        }
        byte[] bytes = m.readBytes(pointer, (int) length);
        boolean ascii = true;
        for (byte b : bytes) {
            if (b == 0) {
                throw new ErrnoException(Errno.INVAL, "NUL in path");
            }
            ascii &= b > 0;
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.ISO_8859_1); // the fast, common case
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ErrnoException(Errno.ILSEQ, "path is not UTF-8");
        }
    }

    private Resolution resolveAt(
            GuestMemory m, long dirFd, long pathPointer, long pathLength, boolean follow) {
        Descriptor.Directory dir = directory(dirFd);
        return vfs.resolve(dir.chain, readPath(m, pathPointer, pathLength), follow);
    }

    private static Node existing(Resolution r) {
        if (r.node() == null) {
            throw new ErrnoException(Errno.NOENT, "no such file or directory");
        }
        return r.node();
    }

    private int pathFilestatGet(GuestMemory m, long[] a) {
        boolean follow = (u32(a[1]) & LOOKUP_SYMLINK_FOLLOW) != 0;
        long buffer = u32(a[4]);
        m.check(buffer, FILESTAT_SIZE);
        Node node = existing(resolveAt(m, u32(a[0]), u32(a[2]), u32(a[3]), follow));
        writeFilestat(m, buffer, node.stat());
        return 0;
    }

    private int pathFilestatSetTimes(GuestMemory m, long[] a) {
        boolean follow = (u32(a[1]) & LOOKUP_SYMLINK_FOLLOW) != 0;
        Node node = existing(resolveAt(m, u32(a[0]), u32(a[2]), u32(a[3]), follow));
        setTimes(node, a[4], a[5], u32(a[6]));
        return 0;
    }

    private int pathOpen(GuestMemory m, long[] a) {
        Descriptor.Directory dir = directory(u32(a[0]));
        String path = readPath(m, u32(a[2]), u32(a[3]));
        if (fileAudit == null) {
            open(m, dir, path, a);
            return 0;
        }
        String named = named(dir, a[0], path);
        long oflags = u32(a[4]);
        long started = System.nanoTime();
        try {
            Descriptor opened = open(m, dir, path, a);
            fileAudit.opened(
                    opened, named, (oflags & OFLAG_TRUNC) != 0, System.nanoTime() - started);
            return 0;
        } catch (ErrnoException e) {
            boolean forWriting =
                    (a[5] & RIGHT_FD_WRITE) != 0 || (oflags & (OFLAG_CREAT | OFLAG_TRUNC)) != 0;
            fileAudit.openFailed(
                    named,
                    (oflags & OFLAG_DIRECTORY) != 0,
                    forWriting,
                    System.nanoTime() - started,
                    e.errno().code());
            throw e;
        }
    }

    /** path_open once its directory and path are read: the new descriptor, numbered, or throws. */
    private Descriptor open(GuestMemory m, Descriptor.Directory dir, String path, long[] a) {
        boolean follow = (u32(a[1]) & LOOKUP_SYMLINK_FOLLOW) != 0;
        long oflags = u32(a[4]);
        long rightsBase = a[5];
        long rightsInheriting = a[6];
        long fdFlags = u32(a[7]);
        long fdPointer = u32(a[8]);
        m.check(fdPointer, 4);
        if ((oflags & ~OFLAGS_ALL) != 0 || (fdFlags & ~FDFLAGS_ALL) != 0) {
            throw new ErrnoException(Errno.INVAL, "unknown open flags");
        }
        fds.requireFreeSlot(); // before creating anything
        boolean create = (oflags & OFLAG_CREAT) != 0;
        boolean wantsDirectory = (oflags & OFLAG_DIRECTORY) != 0;
        boolean truncate = (oflags & OFLAG_TRUNC) != 0;
        boolean wantsWrite = (rightsBase & RIGHT_FD_WRITE) != 0;
        Resolution r = vfs.resolve(dir.chain, path, follow);
        Node node = r.node();
        if (node == null) {
            if (!create) {
                throw new ErrnoException(Errno.NOENT, "no such file or directory");
            }
            if (wantsDirectory || r.trailingSlash()) {
                throw new ErrnoException(Errno.ISDIR, "a directory cannot be created by open");
            }
            node = r.parent().createFile(r.name());
        } else if (create && (oflags & OFLAG_EXCL) != 0) {
            throw new ErrnoException(Errno.EXIST, "exists");
        }
        Descriptor descriptor;
        switch (node.type()) {
            case SYMLINK:
                // a final symlink reached without SYMLINK_FOLLOW (O_NOFOLLOW)
                throw new ErrnoException(Errno.LOOP, "symlink not followed");
            case DIRECTORY:
                if (wantsWrite || truncate) {
                    throw new ErrnoException(Errno.ISDIR, "is a directory");
                }
                descriptor =
                        new Descriptor.Directory(
                                r.chainIncludingNode(),
                                null,
                                rightsBase & RIGHTS_DIRECTORY,
                                rightsInheriting & RIGHTS_ALL);
                break;
            default:
                if (wantsDirectory) {
                    throw new ErrnoException(Errno.NOTDIR, "not a directory");
                }
                OpenFile file = ((FileNode) node).open(wantsWrite || truncate);
                try {
                    if (truncate) {
                        file.truncate(0);
                    }
                } catch (ErrnoException e) {
                    file.close();
                    throw e;
                }
                descriptor =
                        new Descriptor.File(
                                file,
                                wantsWrite,
                                rightsBase & RIGHTS_REGULAR_FILE,
                                rightsInheriting & RIGHTS_ALL,
                                (int) fdFlags);
        }
        m.writeI32(fdPointer, fds.allocate(descriptor));
        return descriptor;
    }

    /**
     * A change of the path at {@code a[dirIndex]} (directory), {@code a[dirIndex + 1..2]} (path):
     * {@code change} gets it resolved (symlinks not followed) and returns the bytes it removed.
     */
    private int changeAt(
            GuestMemory m,
            long[] a,
            int dirIndex,
            FileListener.Operation operation,
            String destination,
            ToLongFunction<Resolution> change) {
        Descriptor.Directory dir = directory(u32(a[dirIndex]));
        String path = readPath(m, u32(a[dirIndex + 1]), u32(a[dirIndex + 2]));
        return changing(
                operation,
                named(dir, a[dirIndex], path),
                destination,
                () -> change.applyAsLong(vfs.resolve(dir.chain, path, false)));
    }

    /** EEXIST unless {@code r} names nothing yet (so it can be created). */
    private static Resolution absent(Resolution r) {
        if (r.node() != null || r.name() == null) {
            throw new ErrnoException(Errno.EXIST, "exists");
        }
        return r;
    }

    private int pathCreateDirectory(GuestMemory m, long[] a) {
        return changeAt(
                m,
                a,
                0,
                FileListener.Operation.MKDIR,
                null,
                r -> {
                    absent(r).parent().createDirectory(r.name());
                    return 0;
                });
    }

    private int pathRemoveDirectory(GuestMemory m, long[] a) {
        return changeAt(
                m,
                a,
                0,
                FileListener.Operation.RMDIR,
                null,
                r -> {
                    if (r.name() == null) {
                        throw new ErrnoException(
                                r.chain().length == 1 ? Errno.BUSY : Errno.INVAL, "not removable");
                    }
                    if (existing(r).type() != NodeType.DIRECTORY) {
                        throw new ErrnoException(Errno.NOTDIR, "not a directory");
                    }
                    r.parent().removeDirectory(r.name());
                    return 0;
                });
    }

    /** The bytes removed are the size of the regular file unlinked. */
    private int pathUnlinkFile(GuestMemory m, long[] a) {
        return changeAt(
                m,
                a,
                0,
                FileListener.Operation.UNLINK,
                null,
                r -> {
                    if (r.name() == null) {
                        throw new ErrnoException(Errno.ISDIR, "is a directory");
                    }
                    Node node = existing(r);
                    if (node.type() == NodeType.DIRECTORY) {
                        throw new ErrnoException(Errno.ISDIR, "is a directory");
                    }
                    if (r.trailingSlash()) {
                        throw new ErrnoException(Errno.NOTDIR, "not a directory");
                    }
                    long size = node.type() == NodeType.REGULAR_FILE ? node.stat().size() : 0;
                    r.parent().unlink(r.name());
                    return size;
                });
    }

    /** Both names are read before either is resolved, so a failed rename still names both. */
    private int pathRename(GuestMemory m, long[] a) {
        Descriptor.Directory fromDir = directory(u32(a[0]));
        String from = readPath(m, u32(a[1]), u32(a[2]));
        Descriptor.Directory toDir = directory(u32(a[3]));
        String to = readPath(m, u32(a[4]), u32(a[5]));
        return changing(
                FileListener.Operation.RENAME,
                named(fromDir, a[0], from),
                named(toDir, a[3], to),
                () -> {
                    vfs.rename(
                            vfs.resolve(fromDir.chain, from, false),
                            vfs.resolve(toDir.chain, to, false));
                    return 0;
                });
    }

    private int pathSymlink(GuestMemory m, long[] a) {
        String target = readPath(m, u32(a[0]), u32(a[1]));
        return changeAt(
                m,
                a,
                2,
                FileListener.Operation.SYMLINK,
                target,
                r -> {
                    absent(r).parent().createSymlink(r.name(), target);
                    return 0;
                });
    }

    private int pathReadlink(GuestMemory m, long[] a) {
        long buffer = u32(a[3]);
        long length = u32(a[4]);
        long usedPointer = u32(a[5]);
        m.check(buffer, length);
        m.check(usedPointer, 4);
        Node node = existing(resolveAt(m, u32(a[0]), u32(a[1]), u32(a[2]), false));
        if (node.type() != NodeType.SYMLINK) {
            return Errno.INVAL.code();
        }
        byte[] target = ((SymlinkNode) node).target().getBytes(StandardCharsets.UTF_8);
        int copied = (int) Math.min(length, target.length); // truncation is readlink's contract
        m.writeBytes(buffer, target, 0, copied);
        m.writeI32(usedPointer, copied);
        return 0;
    }

    /** No hard links anywhere: they would let a name escape its directory's confinement. */
    private int pathLink(GuestMemory m, long[] a) {
        directory(u32(a[0]));
        directory(u32(a[4]));
        return Errno.PERM.code();
    }

    // ====================================================================== sockets

    /** Bytes one recv or send moves at most (the guest asks again for more). */
    private static final int SOCKET_CHUNK = 256 * 1024;

    private Descriptor.Socket socketDescriptor(long fd) {
        Descriptor d = fds.get(fd);
        if (d instanceof Descriptor.Socket socket) {
            return socket;
        }
        throw new ErrnoException(Errno.NOTSOCK, "not a socket");
    }

    private int sockRecv(GuestMemory m, long[] a) {
        Descriptor.Socket socket = socketDescriptor(u32(a[0]));
        long[] entries = iovecs(m, u32(a[1]), u32(a[2]));
        long flags = u32(a[3]);
        if ((flags & ~(RIFLAG_RECV_PEEK | RIFLAG_RECV_WAITALL)) != 0) {
            return Errno.INVAL.code();
        }
        long lengthPointer = u32(a[4]);
        long flagsPointer = u32(a[5]);
        m.check(lengthPointer, 4);
        m.check(flagsPointer, 2);
        int got =
                socketRecv(
                        m,
                        socket,
                        entries,
                        (flags & RIFLAG_RECV_PEEK) != 0,
                        (flags & RIFLAG_RECV_WAITALL) != 0);
        m.writeI32(lengthPointer, got);
        m.writeU16(flagsPointer, 0);
        return 0;
    }

    private int sockSend(GuestMemory m, long[] a) {
        Descriptor.Socket socket = socketDescriptor(u32(a[0]));
        long[] entries = iovecs(m, u32(a[1]), u32(a[2]));
        long lengthPointer = u32(a[4]);
        m.check(lengthPointer, 4);
        m.writeI32(lengthPointer, socketSend(m, socket, entries));
        return 0;
    }

    private int sockShutdown(GuestMemory m, long[] a) {
        Descriptor.Socket socket = socketDescriptor(u32(a[0]));
        long how = u32(a[1]);
        if (how == 0 || (how & ~(SDFLAG_RD | SDFLAG_WR)) != 0) {
            return Errno.INVAL.code();
        }
        socket.socket.shutdown((how & SDFLAG_RD) != 0, (how & SDFLAG_WR) != 0);
        return 0;
    }

    /** One recv into the iovecs (validated by {@link #iovecs}); returns the bytes read. */
    private int socketRecv(
            GuestMemory m, Descriptor.Socket socket, long[] entries, boolean peek, boolean all) {
        long total = 0;
        for (int i = 1; i < entries.length; i += 2) {
            total += entries[i];
        }
        int want = (int) Math.min(total, SOCKET_CHUNK);
        byte[] buffer = want <= ioBuffer.length ? ioBuffer : new byte[want];
        int got =
                want == 0
                        ? 0
                        : socket.socket.recv(buffer, 0, want, peek, all, socket.nonBlocking());
        int done = 0;
        for (int i = 0; i < entries.length && done < got; i += 2) {
            int n = (int) Math.min(entries[i + 1], got - done);
            m.writeBytes(entries[i], buffer, done, n);
            done += n;
        }
        return got;
    }

    /** One send of the iovecs' bytes (up to {@link #SOCKET_CHUNK}); returns the bytes taken. */
    private int socketSend(GuestMemory m, Descriptor.Socket socket, long[] entries) {
        long total = 0;
        for (int i = 1; i < entries.length; i += 2) {
            total += entries[i];
        }
        int length = (int) Math.min(total, SOCKET_CHUNK);
        byte[] buffer = new byte[length];
        int filled = 0;
        for (int i = 0; i < entries.length && filled < length; i += 2) {
            int n = (int) Math.min(entries[i + 1], length - filled);
            byte[] part = m.readBytes(entries[i], n);
            System.arraycopy(part, 0, buffer, filled, n);
            filled += n;
        }
        return length == 0 ? 0 : socket.socket.send(buffer, 0, length, socket.nonBlocking());
    }

    /** sock_accept: this sandbox makes client sockets only. */
    private int socket(GuestMemory m, long[] a) {
        fds.get(u32(a[0]));
        return Errno.NOTSUP.code();
    }
}
