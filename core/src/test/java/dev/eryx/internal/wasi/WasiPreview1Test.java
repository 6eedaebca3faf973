package dev.eryx.internal.wasi;

import static dev.eryx.internal.wasi.Preview1.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.ValType;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import dev.eryx.internal.vfs.Vfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class WasiPreview1Test {
    static final int OK = 0;
    static final long RW =
            RIGHT_FD_READ
                    | RIGHT_FD_WRITE
                    | RIGHT_FD_SEEK
                    | RIGHT_FD_TELL
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_FD_FILESTAT_SET_SIZE
                    | RIGHT_FD_FILESTAT_SET_TIMES;
    static final long RO = RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_TELL | RIGHT_FD_FILESTAT_GET;
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    final Vfs vfs = Vfs.builder().maxBytes(1000).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final List<Long> sleeps = new ArrayList<>();

    WasiConfig.Builder config() {
        return WasiConfig.builder()
                .vfs(vfs)
                .stdout(stdout::write)
                .wallClock(Clock.fixed(NOW, ZoneOffset.UTC))
                .randomSeed(1)
                .sleeper(sleeps::add);
    }

    WasiHarness harness() {
        return new WasiHarness(config().build());
    }

    static int errno(Errno e) {
        return e.code();
    }

    // ------------------------------------------------------------------ surface

    @Test
    void exportsEveryPreview1FunctionOnceWithItsSignature() {
        HostFunction[] functions = harness().wasi.hostFunctions();
        Set<String> names = new HashSet<>();
        for (HostFunction f : functions) {
            assertTrue(names.add(f.name()), "duplicate " + f.name());
            assertEquals("wasi_snapshot_preview1", f.module());
        }
        assertEquals(46, names.size());
        HostFunction pathOpen = harness().function("path_open");
        assertEquals(
                List.of(
                        ValType.I32,
                        ValType.I32,
                        ValType.I32,
                        ValType.I32,
                        ValType.I32,
                        ValType.I64,
                        ValType.I64,
                        ValType.I32,
                        ValType.I32),
                pathOpen.paramTypes());
        assertEquals(List.of(ValType.I32), pathOpen.returnTypes());
        assertEquals(List.of(), harness().function("proc_exit").returnTypes());
        assertEquals(
                List.of(ValType.I32, ValType.I64, ValType.I32),
                harness().function("clock_time_get").paramTypes());
    }

    // ------------------------------------------------------------------ args, env, clocks, random

    @Test
    void argsAndEnvironmentAreExactlyTheConfiguredOnes() {
        WasiHarness h =
                new WasiHarness(
                        config().args(List.of("prog", "ä")).env("A", "1").env("B", "x=y").build());
        assertEquals(OK, h.call("args_sizes_get", 0, 4));
        assertEquals(2, h.i32(0));
        assertEquals(5 + 3, h.i32(4));
        assertEquals(OK, h.call("args_get", 100, 200));
        assertEquals("prog\0ä\0", h.read(h.i32(100), 8));
        assertEquals(OK, h.call("environ_sizes_get", 0, 4));
        assertEquals(2, h.i32(0));
        assertEquals(OK, h.call("environ_get", 100, 200));
        assertEquals("A=1\0", h.read(h.i32(100), 4));
        assertEquals("B=x=y\0", h.read(h.i32(104), 6));
        assertEquals(errno(Errno.FAULT), h.call("args_get", 100, WasiHarness.MEMORY_SIZE - 2));
        assertEquals(errno(Errno.FAULT), h.call("environ_sizes_get", -1, 0));
    }

    @Test
    void clocks() {
        long[] source = {1_000};
        WasiHarness h = new WasiHarness(config().monotonicNanos(() -> source[0]).build());
        assertEquals(OK, h.call("clock_time_get", CLOCK_REALTIME, 0, 0));
        assertEquals(NOW.getEpochSecond() * 1_000_000_000L, h.i64(0));
        assertEquals(OK, h.call("clock_time_get", CLOCK_MONOTONIC, 0, 0));
        long first = h.i64(0);
        assertEquals(OK, h.call("clock_time_get", CLOCK_MONOTONIC, 0, 0)); // source frozen
        assertTrue(h.i64(0) > first);
        source[0] += 5_000_000;
        assertEquals(OK, h.call("clock_time_get", CLOCK_MONOTONIC, 0, 0));
        assertTrue(h.i64(0) >= 5_000_000, "follows the source once it moves");
        assertEquals(OK, h.call("clock_time_get", CLOCK_PROCESS_CPUTIME, 0, 0));
        assertEquals(OK, h.call("clock_res_get", CLOCK_MONOTONIC, 8));
        assertTrue(h.i64(8) > 0);
        assertEquals(errno(Errno.INVAL), h.call("clock_time_get", 99, 0, 0));
        assertEquals(errno(Errno.INVAL), h.call("clock_res_get", 99, 0));
        assertEquals(
                errno(Errno.FAULT),
                h.call("clock_time_get", CLOCK_REALTIME, 0, WasiHarness.MEMORY_SIZE - 4));
    }

    @Test
    void randomIsDeterministicWithASeed() {
        WasiHarness a = harness();
        WasiHarness b = harness();
        assertEquals(OK, a.call("random_get", 0, 100_000 % WasiHarness.MEMORY_SIZE));
        assertEquals(OK, b.call("random_get", 0, 100_000 % WasiHarness.MEMORY_SIZE));
        assertEquals(a.read(0, 1000), b.read(0, 1000));
        assertEquals(errno(Errno.FAULT), a.call("random_get", 65000, 1000));
        assertEquals(errno(Errno.FAULT), a.call("random_get", 0, 0xFFFF_FFFFL));
        WasiHarness secure =
                new WasiHarness(config().random(java.security.SecureRandom::new).build());
        assertEquals(OK, secure.call("random_get", 0, 32));
    }

    @Test
    void pollSleepsForClockSubscriptionsAndFdsAreReady() {
        WasiHarness h = harness();
        // subscription 0: relative monotonic clock, 5 ms
        h.memory.writeLong(0, 77); // userdata
        h.memory.writeByte(8, (byte) EVENTTYPE_CLOCK);
        h.memory.writeI32(16, CLOCK_MONOTONIC);
        h.memory.writeLong(24, 5_000_000);
        h.memory.writeShort(40, (short) 0);
        assertEquals(OK, h.call("poll_oneoff", 0, 1000, 1, 2000));
        assertEquals(List.of(5_000_000L), sleeps);
        assertEquals(1, h.i32(2000));
        assertEquals(77, h.i64(1000));
        assertEquals(0, h.memory.readShort(1008)); // error
        // add an fd_read subscription on stdin: ready at once, no sleep
        h.memory.writeLong(48, 88);
        h.memory.writeByte(56, (byte) EVENTTYPE_FD_READ);
        h.memory.writeI32(64, 0);
        assertEquals(OK, h.call("poll_oneoff", 0, 1000, 2, 2000));
        assertEquals(1, sleeps.size());
        assertEquals(1, h.i32(2000));
        assertEquals(88, h.i64(1000));
        // bad fd → event carries EBADF
        h.memory.writeI32(64, 555);
        assertEquals(OK, h.call("poll_oneoff", 48, 1000, 1, 2000));
        assertEquals(errno(Errno.BADF), h.memory.readShort(1008));
        assertEquals(errno(Errno.INVAL), h.call("poll_oneoff", 0, 1000, 0, 2000));
        // more subscriptions than the host accepts: EINVAL before any guest memory is read
        assertEquals(errno(Errno.INVAL), h.call("poll_oneoff", 0, 1000, 100_000, 2000));
    }

    @Test
    void interruptEndsASleepWithAnException() throws Exception {
        WasiHarness h = new WasiHarness(config().sleeper(Sleeper.threadSleep()).build());
        h.memory.writeByte(8, (byte) EVENTTYPE_CLOCK);
        h.memory.writeI32(16, CLOCK_MONOTONIC);
        h.memory.writeLong(24, TimeUnit.HOURS.toNanos(1));
        Thread.currentThread().interrupt();
        long start = System.nanoTime();
        assertThrows(
                ChicoryInterruptedException.class, () -> h.call("poll_oneoff", 0, 1000, 1, 2000));
        assertTrue(Thread.interrupted(), "interrupt status is preserved");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void procExitRaiseSocketsAndYield() {
        WasiHarness h = harness();
        WasiExitException exit =
                assertThrows(WasiExitException.class, () -> h.call("proc_exit", 42));
        assertEquals(42, exit.exitCode());
        assertEquals(errno(Errno.NOSYS), h.call("proc_raise", 9));
        assertEquals(OK, h.call("sched_yield"));
        assertEquals(errno(Errno.NOTSUP), h.call("sock_accept", 3, 0, 0));
        // Socket calls on descriptors that are not sockets (sockets come from the network bridge).
        assertEquals(errno(Errno.NOTSOCK), h.call("sock_recv", 0, 0, 0, 0, 0, 0));
        assertEquals(errno(Errno.NOTSOCK), h.call("sock_send", 1, 0, 0, 0, 0));
        assertEquals(errno(Errno.NOTSOCK), h.call("sock_shutdown", 1, 0));
        assertEquals(errno(Errno.BADF), h.call("sock_shutdown", 77, 0));
    }

    // ------------------------------------------------------------------ stdio

    @Test
    void stdioStreams() {
        WasiHarness h =
                new WasiHarness(
                        config().stdin(
                                        new ByteArrayInputStream(
                                                "input".getBytes(StandardCharsets.UTF_8)))
                                .build());
        h.string(100, "hello ");
        h.string(200, "world\n");
        h.iovec(0, 100, 6);
        h.iovec(8, 200, 6);
        assertEquals(OK, h.call("fd_write", 1, 0, 2, 50));
        assertEquals(12, h.i32(50));
        assertEquals("hello world\n", stdout.toString(StandardCharsets.UTF_8));
        h.iovec(0, 300, 3);
        h.iovec(8, 400, 10);
        assertEquals(OK, h.call("fd_read", 0, 0, 2, 50));
        assertEquals(5, h.i32(50));
        assertEquals("inp", h.read(300, 3));
        assertEquals("ut", h.read(400, 2));
        assertEquals(OK, h.call("fd_read", 0, 0, 2, 50));
        assertEquals(0, h.i32(50)); // EOF
        assertEquals(errno(Errno.BADF), h.call("fd_read", 1, 0, 1, 50));
        assertEquals(errno(Errno.BADF), h.call("fd_write", 0, 0, 1, 50));
        assertEquals(errno(Errno.SPIPE), h.call("fd_seek", 1, 0, WHENCE_CUR, 50));
        assertEquals(errno(Errno.SPIPE), h.call("fd_pwrite", 1, 0, 1, 0, 50));
        assertEquals(OK, h.call("fd_fdstat_get", 1, 500));
        assertEquals(FILETYPE_UNKNOWN, h.memory.read(500));
        assertEquals(0, h.i64(508) & (RIGHT_FD_SEEK | RIGHT_FD_TELL), "streams are not seekable");
        assertEquals(OK, h.call("fd_filestat_get", 2, 500));
    }

    @Test
    void sinkExceptionsPropagateUnchanged() {
        RuntimeException limit = new IllegalStateException("output limit");
        WasiHarness h =
                new WasiHarness(
                        config().stdout(
                                        (b, o, l) -> {
                                            throw limit;
                                        })
                                .build());
        h.iovec(0, 100, 1);
        assertSame(
                limit,
                assertThrows(IllegalStateException.class, () -> h.call("fd_write", 1, 0, 1, 50)));
    }

    // ------------------------------------------------------------------ preopen

    @Test
    void singlePreopenIsRoot() {
        WasiHarness h = harness();
        assertEquals(OK, h.call("fd_prestat_get", 3, 0));
        assertEquals(0, h.memory.read(0)); // tag dir
        assertEquals(1, h.i32(4));
        assertEquals(OK, h.call("fd_prestat_dir_name", 3, 100, 1));
        assertEquals("/", h.read(100, 1));
        assertEquals(errno(Errno.NAMETOOLONG), h.call("fd_prestat_dir_name", 3, 100, 0));
        assertEquals(errno(Errno.BADF), h.call("fd_prestat_get", 4, 0));
        assertEquals(errno(Errno.BADF), h.call("fd_prestat_get", 1, 0));
        assertEquals(OK, h.call("fd_fdstat_get", 3, 0));
        assertEquals(FILETYPE_DIRECTORY, h.memory.read(0));
        assertEquals(RIGHTS_ALL, h.i64(16));
    }

    // ------------------------------------------------------------------ files

    @Test
    void fileReadWriteSeekTellPreadPwrite() {
        WasiHarness h = harness();
        int fd = h.open("/f.txt", OFLAG_CREAT, RW, 0);
        h.string(100, "abcdef");
        h.iovec(0, 100, 6);
        assertEquals(OK, h.call("fd_write", fd, 0, 1, 50));
        assertEquals(6, h.i32(50));
        assertEquals(OK, h.call("fd_tell", fd, 50));
        assertEquals(6, h.i64(50));
        assertEquals(OK, h.call("fd_seek", fd, -4, WHENCE_END, 50));
        assertEquals(2, h.i64(50));
        h.iovec(0, 200, 10);
        assertEquals(OK, h.call("fd_read", fd, 0, 1, 50));
        assertEquals(4, h.i32(50));
        assertEquals("cdef", h.read(200, 4));
        assertEquals(OK, h.call("fd_pread", fd, 0, 1, 1, 50));
        assertEquals("bcdef", h.read(200, 5));
        h.string(100, "XY");
        h.iovec(0, 100, 2);
        assertEquals(OK, h.call("fd_pwrite", fd, 0, 1, 0, 50));
        assertEquals("XYcdef", new String(vfs.readFile("/f.txt"), StandardCharsets.UTF_8));
        assertEquals(OK, h.call("fd_tell", fd, 50));
        assertEquals(6, h.i64(50), "pread/pwrite leave the position alone");
        assertEquals(errno(Errno.INVAL), h.call("fd_seek", fd, -100, WHENCE_CUR, 50));
        assertEquals(errno(Errno.INVAL), h.call("fd_seek", fd, 0, 7, 50));
        assertEquals(errno(Errno.INVAL), h.call("fd_pread", fd, 0, 1, -1, 50));
        assertEquals(OK, h.call("fd_filestat_get", fd, 300));
        assertEquals(FILETYPE_REGULAR_FILE, h.memory.read(316));
        assertEquals(6, h.i64(332));
        assertEquals(NOW.getEpochSecond() * 1_000_000_000L, h.i64(348));
        assertEquals(OK, h.call("fd_filestat_set_size", fd, 2));
        assertEquals("XY", new String(vfs.readFile("/f.txt"), StandardCharsets.UTF_8));
        assertEquals(OK, h.call("fd_allocate", fd, 0, 10));
        assertEquals(10, vfs.stat("/f.txt").size());
        assertEquals(OK, h.call("fd_filestat_set_times", fd, 5, 6, FST_ATIM | FST_MTIM));
        assertEquals(6, vfs.stat("/f.txt").modifyTimeNanos());
        assertEquals(5, vfs.stat("/f.txt").accessTimeNanos());
        assertEquals(
                errno(Errno.INVAL),
                h.call("fd_filestat_set_times", fd, 0, 0, FST_ATIM | FST_ATIM_NOW));
        assertEquals(OK, h.call("fd_advise", fd, 0, 10, 1));
        assertEquals(errno(Errno.INVAL), h.call("fd_advise", fd, 0, 10, 9));
        assertEquals(OK, h.call("fd_sync", fd));
        assertEquals(OK, h.call("fd_datasync", fd));
        assertEquals(OK, h.call("fd_close", fd));
        assertEquals(errno(Errno.BADF), h.call("fd_close", fd));
        assertEquals(errno(Errno.BADF), h.call("fd_read", fd, 0, 1, 50));
    }

    @Test
    void appendTruncExclAndAccessModes() {
        WasiHarness h = harness();
        vfs.writeFile("/a", "12345".getBytes(StandardCharsets.UTF_8));
        int fd = h.open("/a", 0, RW, FDFLAG_APPEND);
        h.string(100, "67");
        h.iovec(0, 100, 2);
        assertEquals(OK, h.call("fd_write", fd, 0, 1, 50));
        assertEquals("1234567", new String(vfs.readFile("/a"), StandardCharsets.UTF_8));
        assertEquals(OK, h.call("fd_fdstat_get", fd, 300));
        assertEquals(FDFLAG_APPEND, h.memory.readShort(302));
        assertEquals(OK, h.call("fd_fdstat_set_flags", fd, 0));
        assertEquals(errno(Errno.INVAL), h.call("fd_fdstat_set_flags", fd, 0x100));
        int ro = h.open("/a", 0, RO, 0);
        assertEquals(errno(Errno.BADF), h.call("fd_write", ro, 0, 1, 50));
        assertEquals(errno(Errno.BADF), h.call("fd_filestat_set_size", ro, 0));
        assertEquals(OK, h.call("fd_fdstat_set_rights", ro, RIGHT_FD_READ, 0));
        assertEquals(errno(Errno.NOTCAPABLE), h.call("fd_fdstat_set_rights", ro, RW, 0));
        h.open("/a", OFLAG_TRUNC, RW, 0);
        assertEquals(0, vfs.stat("/a").size());
        int len = h.string(1000, "/a");
        assertEquals(
                errno(Errno.EXIST),
                h.call("path_open", 3, 0, 1000, len, OFLAG_CREAT | OFLAG_EXCL, RW, 0, 0, 900));
        assertEquals(
                errno(Errno.NOTDIR),
                h.call("path_open", 3, 0, 1000, len, OFLAG_DIRECTORY, RO, 0, 0, 900));
        len = h.string(1000, "/missing");
        assertEquals(errno(Errno.NOENT), h.call("path_open", 3, 0, 1000, len, 0, RO, 0, 0, 900));
        len = h.string(1000, "/");
        assertEquals(errno(Errno.ISDIR), h.call("path_open", 3, 0, 1000, len, 0, RW, 0, 0, 900));
        assertEquals(errno(Errno.INVAL), h.call("path_open", 3, 0, 1000, len, 0x40, RO, 0, 0, 900));
        assertEquals(errno(Errno.NOTDIR), h.call("path_open", fd, 0, 1000, len, 0, RO, 0, 0, 900));
    }

    @Test
    void quotaSurfacesAsEnospcWithPartialWrites() {
        WasiHarness h = harness(); // 1000-byte quota
        int fd = h.open("/big", OFLAG_CREAT, RW, 0);
        h.iovec(0, 0, 800);
        h.iovec(8, 0, 800);
        assertEquals(OK, h.call("fd_write", fd, 0, 2, 50));
        assertEquals(800, h.i32(50), "first iovec fits, the write is partial");
        assertEquals(errno(Errno.NOSPC), h.call("fd_write", fd, 0, 1, 50));
        assertEquals(errno(Errno.NOSPC), h.call("fd_allocate", fd, 0, 5000));
        assertEquals(errno(Errno.NOSPC), h.call("fd_filestat_set_size", fd, 1001));
    }

    @Test
    void readOnlyLayerViaWasi() throws Exception {
        ByteArrayOutputStream zipBytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipBytes)) {
            zip.putNextEntry(new ZipEntry("os.py"));
            zip.write("import x".getBytes(StandardCharsets.UTF_8));
        }
        vfs.mount(ReadOnlyLayer.fromZip(zipBytes.toByteArray()), "/usr/lib/py");
        WasiHarness h = harness();
        int fd = h.open("/usr/lib/py/os.py", 0, RO, 0);
        h.iovec(0, 100, 20);
        assertEquals(OK, h.call("fd_read", fd, 0, 1, 50));
        assertEquals("import x", h.read(100, h.i32(50)));
        int len = h.string(1000, "/usr/lib/py/os.py");
        assertEquals(errno(Errno.ROFS), h.call("path_open", 3, 0, 1000, len, 0, RW, 0, 0, 900));
        assertEquals(
                errno(Errno.ROFS),
                h.call("path_open", 3, 0, 1000, len, OFLAG_TRUNC, RO, 0, 0, 900));
        assertEquals(errno(Errno.ROFS), h.call("path_unlink_file", 3, 1000, len));
        len = h.string(1000, "/usr/lib/py/new");
        assertEquals(errno(Errno.ROFS), h.call("path_create_directory", 3, 1000, len));
        assertEquals(
                errno(Errno.ROFS),
                h.call("path_open", 3, 0, 1000, len, OFLAG_CREAT, RW, 0, 0, 900));
    }

    // ------------------------------------------------------------------ paths and directories

    @Test
    void pathOperations() {
        WasiHarness h = harness();
        int len = h.string(1000, "d");
        assertEquals(OK, h.call("path_create_directory", 3, 1000, len));
        assertEquals(errno(Errno.EXIST), h.call("path_create_directory", 3, 1000, len));
        int dir = h.open("d", OFLAG_DIRECTORY, RIGHTS_DIRECTORY, 0);
        int file = h.open("f", OFLAG_CREAT, RW, 0); // relative to dir? no: to fd 3
        len = h.string(1000, "inner");
        assertEquals(OK, h.call("path_open", dir, 0, 1000, len, OFLAG_CREAT, RW, 0, 0, 900));
        assertTrue(vfs.exists("/d/inner"));
        // path_filestat_get relative to the dir fd, and ".." from it
        len = h.string(1000, "../f");
        assertEquals(OK, h.call("path_filestat_get", dir, 0, 1000, len, 300));
        assertEquals(FILETYPE_REGULAR_FILE, h.memory.read(316));
        len = h.string(1000, "../../../d/inner");
        assertEquals(OK, h.call("path_filestat_get", dir, 0, 1000, len, 300));
        // symlink, readlink, follow vs nofollow
        int target = h.string(2000, "d/inner");
        len = h.string(1000, "ln");
        assertEquals(OK, h.call("path_symlink", 2000, target, 3, 1000, len));
        assertEquals(errno(Errno.EXIST), h.call("path_symlink", 2000, target, 3, 1000, len));
        assertEquals(OK, h.call("path_filestat_get", 3, 0, 1000, len, 300));
        assertEquals(FILETYPE_SYMBOLIC_LINK, h.memory.read(316));
        assertEquals(OK, h.call("path_filestat_get", 3, LOOKUP_SYMLINK_FOLLOW, 1000, len, 300));
        assertEquals(FILETYPE_REGULAR_FILE, h.memory.read(316));
        assertEquals(OK, h.call("path_readlink", 3, 1000, len, 400, 100, 50));
        assertEquals("d/inner", h.read(400, h.i32(50)));
        assertEquals(OK, h.call("path_readlink", 3, 1000, len, 400, 3, 50));
        assertEquals(3, h.i32(50), "readlink truncates");
        assertEquals(errno(Errno.LOOP), h.call("path_open", 3, 0, 1000, len, 0, RO, 0, 0, 900));
        assertEquals(
                OK, h.call("path_open", 3, LOOKUP_SYMLINK_FOLLOW, 1000, len, 0, RO, 0, 0, 900));
        int dlen = h.string(1100, "d");
        assertEquals(errno(Errno.INVAL), h.call("path_readlink", 3, 1100, dlen, 400, 100, 50));
        // times
        assertEquals(OK, h.call("path_filestat_set_times", 3, 0, 1100, dlen, 0, 99, FST_MTIM));
        assertEquals(99, vfs.stat("/d").modifyTimeNanos());
        // rename
        int from = h.string(1200, "f");
        int to = h.string(1300, "d/g");
        assertEquals(OK, h.call("path_rename", 3, 1200, from, 3, 1300, to));
        assertTrue(vfs.exists("/d/g"));
        assertEquals(errno(Errno.NOENT), h.call("path_rename", 3, 1200, from, 3, 1300, to));
        // unlink / rmdir errors
        assertEquals(errno(Errno.ISDIR), h.call("path_unlink_file", 3, 1100, dlen));
        assertEquals(errno(Errno.NOTEMPTY), h.call("path_remove_directory", 3, 1100, dlen));
        len = h.string(1000, "d/g");
        assertEquals(errno(Errno.NOTDIR), h.call("path_remove_directory", 3, 1000, len));
        assertEquals(OK, h.call("path_unlink_file", 3, 1000, len));
        assertEquals(errno(Errno.NOENT), h.call("path_unlink_file", 3, 1000, len));
        len = h.string(1000, "/");
        assertEquals(errno(Errno.BUSY), h.call("path_remove_directory", 3, 1000, len));
        // hard links: never
        from = h.string(1200, "d/inner");
        to = h.string(1300, "hard");
        assertEquals(errno(Errno.PERM), h.call("path_link", 3, 0, 1200, from, 3, 1300, to));
        assertEquals(errno(Errno.BADF), h.call("path_link", 99, 0, 1200, from, 3, 1300, to));
        assertTrue(!vfs.exists("/hard"));
        // a file fd is not a directory
        assertEquals(errno(Errno.NOTDIR), h.call("path_filestat_get", file, 0, 1200, from, 300));
    }

    @Test
    void readdirWithCookiesAndSmallBuffers() {
        vfs.mkdirs("/dir/sub");
        vfs.writeFile("/dir/a.txt", new byte[3]);
        WasiHarness h = harness();
        int fd = h.open("/dir", OFLAG_DIRECTORY, RIGHTS_DIRECTORY, 0);
        assertEquals(OK, h.call("fd_readdir", fd, 100, 4096, 0, 50));
        int used = h.i32(50);
        List<String> names = new ArrayList<>();
        long lastCookie = 0;
        for (int at = 100; at < 100 + used; ) {
            lastCookie = h.i64(at);
            int nameLength = h.i32(at + 16);
            names.add(h.read(at + 24, nameLength) + ":" + h.memory.read(at + 20));
            at += 24 + nameLength;
        }
        assertEquals(List.of(".:3", "..:3", "a.txt:4", "sub:3"), names);
        assertEquals(4, lastCookie);
        // A buffer too small for one entry is filled completely: "call again with a bigger one".
        assertEquals(OK, h.call("fd_readdir", fd, 100, 10, 2, 50));
        assertEquals(10, h.i32(50));
        assertEquals(OK, h.call("fd_readdir", fd, 100, 4096, 4, 50));
        assertEquals(0, h.i32(50), "end of directory");
        assertEquals(errno(Errno.NOTDIR), h.call("fd_readdir", 1, 100, 4096, 0, 50));
        int file = h.open("/dir/a.txt", 0, RO, 0);
        assertEquals(errno(Errno.NOTDIR), h.call("fd_readdir", file, 100, 4096, 0, 50));
        assertEquals(errno(Errno.ISDIR), h.call("fd_read", fd, 0, 0, 50));
    }

    @Test
    void renumberMovesDescriptors() {
        WasiHarness h = harness();
        int a = h.open("/x", OFLAG_CREAT, RW, 0);
        int b = h.open("/y", OFLAG_CREAT, RW, 0);
        assertEquals(OK, h.call("fd_renumber", a, b));
        assertEquals(errno(Errno.BADF), h.call("fd_close", a));
        assertEquals(OK, h.call("fd_close", b));
        assertEquals(errno(Errno.BADF), h.call("fd_renumber", a, 3));
        assertEquals(5, h.wasi.fdTable().openCount() + 1, "stdio + preopen remain");
    }

    @Test
    void descriptorExhaustionIsEmfileAndCreatesNothing() {
        WasiHarness h = new WasiHarness(config().maxOpenFiles(6).build());
        h.open("/1", OFLAG_CREAT, RW, 0);
        h.open("/2", OFLAG_CREAT, RW, 0);
        int len = h.string(1000, "/3");
        assertEquals(
                errno(Errno.MFILE),
                h.call("path_open", 3, 0, 1000, len, OFLAG_CREAT, RW, 0, 0, 900));
        assertTrue(!vfs.exists("/3"));
    }

    // ------------------------------------------------------------------ hostile arguments

    @Test
    void hostilePointersAreEfaultNeverExceptions() {
        WasiHarness h = harness();
        int fd = h.open("/f", OFLAG_CREAT, RW, 0);
        long[] bad = {
            -1,
            0xFFFF_FFFFL,
            WasiHarness.MEMORY_SIZE,
            WasiHarness.MEMORY_SIZE - 1,
            0x8000_0000L,
            -0x8000_0000L
        };
        for (long p : bad) {
            assertEquals(errno(Errno.FAULT), h.call("fd_write", 1, p, 1, 50), "iovs " + p);
            assertEquals(errno(Errno.FAULT), h.call("fd_write", 1, 0, 1, p), "nwritten " + p);
            assertEquals(errno(Errno.FAULT), h.call("fd_read", fd, p, 1, 50));
            assertEquals(errno(Errno.FAULT), h.call("fd_fdstat_get", 1, p));
            assertEquals(errno(Errno.FAULT), h.call("fd_filestat_get", fd, p));
            assertEquals(errno(Errno.FAULT), h.call("fd_prestat_get", 3, p));
            assertEquals(errno(Errno.FAULT), h.call("fd_prestat_dir_name", 3, p, 2));
            assertEquals(errno(Errno.FAULT), h.call("path_open", 3, 0, p, 2, 0, RO, 0, 0, 900));
            assertEquals(errno(Errno.FAULT), h.call("path_filestat_get", 3, 0, p, 2, 0));
            assertEquals(errno(Errno.FAULT), h.call("fd_readdir", 3, p, 100, 0, 50));
            assertEquals(errno(Errno.FAULT), h.call("fd_seek", fd, 0, 0, p));
            assertEquals(errno(Errno.FAULT), h.call("fd_tell", fd, p));
            assertEquals(errno(Errno.FAULT), h.call("args_sizes_get", p, 0));
            assertEquals(errno(Errno.FAULT), h.call("path_readlink", 3, 0, 1, p, 10, 50));
            assertEquals(errno(Errno.FAULT), h.call("path_symlink", p, 2, 3, 0, 1));
        }
        // iovec buffers pointing outside memory, lengths that wrap, huge counts
        h.iovec(0, WasiHarness.MEMORY_SIZE - 2, 10);
        assertEquals(errno(Errno.FAULT), h.call("fd_write", 1, 0, 1, 50));
        assertEquals(errno(Errno.FAULT), h.call("fd_read", fd, 0, 1, 50));
        h.iovec(0, 10, -1);
        assertEquals(errno(Errno.FAULT), h.call("fd_write", 1, 0, 1, 50));
        // more iovecs than IOV_MAX: EINVAL, as on Linux
        assertEquals(errno(Errno.INVAL), h.call("fd_write", 1, 0, 0x7FFF_FFFFL, 50));
        assertEquals(errno(Errno.INVAL), h.call("fd_write", 1, 0, 0xFFFF_FFFFL, 50));
        assertEquals(
                errno(Errno.FAULT), h.call("path_open", 3, 0, 0, 0xFFFF_FFFFL, 0, RO, 0, 0, 900));
        assertEquals(0, stdout.size(), "nothing was written by failed calls");
    }

    @Test
    void hostileDescriptorsAndStrings() {
        WasiHarness h = harness();
        for (long fd : new long[] {-1, 4, 1023, 1024, 0xFFFF_FFFFL, Integer.MAX_VALUE}) {
            assertEquals(errno(Errno.BADF), h.call("fd_close", fd));
            assertEquals(errno(Errno.BADF), h.call("fd_write", fd, 0, 0, 50));
            assertEquals(errno(Errno.BADF), h.call("fd_fdstat_get", fd, 0));
            assertEquals(errno(Errno.BADF), h.call("path_open", fd, 0, 0, 1, 0, RO, 0, 0, 900));
            assertEquals(errno(Errno.BADF), h.call("fd_renumber", 3, fd));
        }
        h.memory.write(0, new byte[] {(byte) 0xff, (byte) 0xfe});
        assertEquals(errno(Errno.ILSEQ), h.call("path_filestat_get", 3, 0, 0, 2, 100));
        h.memory.write(0, new byte[] {'a', 0, 'b'});
        assertEquals(errno(Errno.INVAL), h.call("path_filestat_get", 3, 0, 0, 3, 100));
        assertEquals(errno(Errno.NOENT), h.call("path_filestat_get", 3, 0, 0, 0, 100));
        assertEquals(errno(Errno.NAMETOOLONG), h.call("path_filestat_get", 3, 0, 0, 5000, 100));
        int len = h.string(0, "ünïcode");
        assertEquals(OK, h.call("path_create_directory", 3, 0, len));
        assertTrue(vfs.exists("/ünïcode"));
    }
}
