package dev.eryx.internal.wasi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ValType;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeHost;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.wasm.PythonModule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls every function the CPython module imports (WASI and the eryx bridge) with hostile
 * arguments, as a guest could: out-of-bounds and wrapping pointers, huge counts, i32 values of 2^31
 * and above, bad descriptors, iovec and poll arrays that overlap their own output buffers, offsets
 * near 2^63. The list of functions comes from the module's import section, so an import added later
 * is fuzzed (or fails this test) without anyone remembering to add it.
 *
 * <p>Deterministic: a fixed seed, so a failure reproduces. Jazzer was not used: its JUnit
 * integration attaches a native agent at run time and this must run on every CI JVM offline; a
 * seeded generator over edge values and structured guest data (valid paths, iovec and subscription
 * arrays) reaches the same code paths in regression mode.
 *
 * <p>What must hold after every call: no exception leaves the host function except {@link
 * WasiExitException} from {@code proc_exit}; WASI returns a defined errno; a failed call wrote
 * nothing into guest memory; memory never changes size; the descriptor table and the VFS quota stay
 * consistent; and the host directory outside the mount is never touched.
 */
class HostImportFuzzTest {
    private static final long SEED = 0x5EED_E4F0_22L;
    private static final int ROUNDS = 1500;

    /**
     * A fresh WASI instance now and then, so closing stdio or the preopen does not end the
     * exploration.
     */
    private static final int ROUNDS_PER_INSTANCE = 100;

    private static final int MAX_OPEN_FILES = 24;
    private static final long VFS_QUOTA = 256 * 1024;
    private static final byte[] SECRET =
            "host secret, outside the mount".getBytes(StandardCharsets.UTF_8);

    /**
     * Guest memory: one page, so edge pointers sit near its end; min = max, so growth would show.
     */
    private static final byte[] ONE_PAGE_MODULE = {
        0x00,
        0x61,
        0x73,
        0x6d,
        0x01,
        0x00,
        0x00,
        0x00,
        0x05,
        0x04,
        0x01,
        0x01,
        0x01,
        0x01 // memory section: one memory, min 1, max 1
    };

    private static final int MEMORY_SIZE = Memory.PAGE_SIZE;

    // Where structured guest data lives in memory (rewritten before every call).
    private static final int IOVECS_AT = 0x1000;
    private static final int SUBSCRIPTIONS_AT = 0x2000;
    private static final int PATHS_AT = 0x4000;
    private static final int BUFFERS_AT = 0x8000;

    private static final String[] PATHS = {
        "dir/f",
        "dir",
        "f",
        "new",
        "dir/new",
        "link",
        "loop",
        "dangling",
        "host/file",
        "host/sub",
        "host/new",
        "host/../../secret",
        "host/escape",
        "..",
        "../..",
        "/",
        ".",
        "dir/../../..",
        "/etc/passwd",
        "host/sub/../../host",
        "a/b/c/d",
        "dir/",
        "x".repeat(300),
        "y/".repeat(700),
        "\u00e9t\u00e9",
        "dir/\u0000nul",
    };

    private static WasmModule module;
    private static List<Import> functionImports;

    @TempDir Path hostRoot;

    @BeforeAll
    static void readTheModuleImports() {
        module = PythonModule.load();
        List<Import> found = new ArrayList<>();
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            if (imp.importType() == ExternalType.FUNCTION) {
                found.add(imp);
            }
        }
        functionImports = List.copyOf(found);
        assertTrue(functionImports.size() > 20, "imports found: " + functionImports.size());
    }

    private static FunctionType importedType(Import imp) {
        return module.typeSection().getType(((FunctionImport) imp).typeIndex());
    }

    @Test
    void everyImportHasAHostFunctionWithItsExactSignature() {
        Map<String, HostFunction> hosts =
                hostFunctionsByName(newWasi(Vfs.builder().build()), newBridge());
        for (Import imp : functionImports) {
            String key = imp.module() + "." + imp.name();
            HostFunction host = hosts.get(key);
            if (host == null) {
                fail("the module imports " + key + " but no host function provides it");
            }
            FunctionType wanted = importedType(imp);
            assertEquals(wanted.params(), host.paramTypes(), key + " parameters");
            assertEquals(wanted.returns(), host.returnTypes(), key + " results");
        }
    }

    @Test
    void hostileArgumentsNeverEscapeAsExceptionsNorCorruptHostState() throws IOException {
        Path mount = Files.createDirectories(hostRoot.resolve("mount"));
        Files.createDirectories(mount.resolve("sub"));
        Files.write(mount.resolve("file"), "mounted".getBytes(StandardCharsets.UTF_8));
        Path secret = Files.write(hostRoot.resolve("secret"), SECRET);
        Files.createSymbolicLink(mount.resolve("escape"), secret);

        Vfs vfs =
                Vfs.builder()
                        .maxBytes(VFS_QUOTA)
                        .clock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
                        .build();
        vfs.mkdirs("/dir");
        vfs.writeFile("/dir/f", "hello".getBytes(StandardCharsets.UTF_8));
        vfs.writeFile("/f", new byte[100]);
        vfs.mount(mount, "/host", false);

        Random random = new Random(SEED);
        Instance instance =
                Instance.builder(Parser.parse(ONE_PAGE_MODULE))
                        .withMemoryFactory(ByteArrayMemory::new)
                        .build();
        Memory memory = instance.memory();
        Map<String, int[]> outcomes = new TreeMap<>(); // per import: {calls, successes}
        List<Import> order = new ArrayList<>(functionImports);
        WasiPreview1 wasi = null;
        Map<String, HostFunction> hosts = null;
        Fuzzer fuzzer = new Fuzzer(random);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                if (round % ROUNDS_PER_INSTANCE == 0) {
                    if (wasi != null) {
                        wasi.close();
                    }
                    wasi = newWasi(vfs);
                    hosts = hostFunctionsByName(wasi, newBridge());
                }
                openRegularFiles(
                        hosts.get("wasi_snapshot_preview1.path_open"), instance, wasi.fdTable());
                Collections.shuffle(order, random);
                for (Import imp : order) {
                    String key = imp.module() + "." + imp.name();
                    HostFunction host = hosts.get(key);
                    fuzzer.layOut(memory);
                    long[] args = fuzzer.arguments(imp.name(), host.paramTypes());
                    byte[] before = memory.readBytes(0, MEMORY_SIZE);
                    long[] result;
                    try {
                        result = host.handle().apply(instance, args);
                    } catch (WasiExitException e) {
                        if (!imp.name().equals("proc_exit")) {
                            throw new AssertionError(key + Arrays.toString(args) + " exited", e);
                        }
                        result = new long[0];
                    } catch (RuntimeException | Error e) {
                        throw new AssertionError(
                                key + Arrays.toString(args) + " let an exception escape", e);
                    }
                    boolean succeeded = checkResult(key, imp.module(), args, result);
                    if (!succeeded
                            && result.length == 1
                            && imp.module().equals("wasi_snapshot_preview1")) {
                        assertArrayEquals(
                                before,
                                memory.readBytes(0, MEMORY_SIZE),
                                key
                                        + Arrays.toString(args)
                                        + " failed with errno "
                                        + result[0]
                                        + " but wrote guest memory");
                    }
                    assertEquals(1, memory.pages(), key + " changed the memory size");
                    checkInvariants(key, args, wasi.fdTable(), vfs);
                    int[] counts = outcomes.computeIfAbsent(key, k -> new int[2]);
                    counts[0]++;
                    counts[1] += succeeded ? 1 : 0;
                }
            }
        } finally {
            if (wasi != null) {
                wasi.close();
            }
        }

        for (Import imp : functionImports) {
            String key = imp.module() + "." + imp.name();
            assertEquals(ROUNDS, outcomes.get(key)[0], key + " calls");
        }
        // The generator must reach past argument validation, or the fuzz proves little.
        TreeSet<String> neverSucceeded = new TreeSet<>();
        outcomes.forEach(
                (key, counts) -> {
                    if (counts[1] == 0) {
                        neverSucceeded.add(key);
                    }
                });
        // Functions with no success path in this sandbox: no hard links, signals or sockets; exit
        // never returns.
        TreeSet<String> withoutSuccessPath =
                new TreeSet<>(
                        List.of(
                                "path_link",
                                "proc_exit",
                                "proc_raise",
                                "sock_accept",
                                "sock_recv",
                                "sock_send",
                                "sock_shutdown"));
        neverSucceeded.removeIf(
                key -> withoutSuccessPath.contains(key.substring(key.indexOf('.') + 1)));
        assertEquals(
                new TreeSet<>(),
                neverSucceeded,
                "imports the fuzz never got past argument validation");

        assertArrayEquals(
                SECRET, Files.readAllBytes(secret), "the host file outside the mount changed");
        try (Stream<Path> outside = Files.list(hostRoot)) {
            assertEquals(
                    List.of("mount", "secret"),
                    outside.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    // ---------------------------------------------------------------- bugs the fuzz found, pinned

    private static WasiHarness harness(Vfs vfs) {
        return new WasiHarness(
                WasiConfig.builder()
                        .vfs(vfs)
                        .sleeper(nanos -> {})
                        .stdin(new ByteArrayInputStream(new byte[0]))
                        .build());
    }

    @Test
    void aWriteEndingBeyondTheLargestOffsetIsFbigNotACrash() {
        Vfs vfs = Vfs.builder().build();
        vfs.writeFile("/f", new byte[4]);
        WasiHarness h = harness(vfs);
        int fd = h.open("f", 0, Preview1.RIGHTS_REGULAR_FILE, 0);
        h.iovec(0x100, 0x200, 8);
        assertEquals(
                Errno.FBIG.code(), h.call("fd_pwrite", fd, 0x100, 1, Long.MAX_VALUE - 3, 0x300));
        assertEquals(0, h.call("fd_seek", fd, Long.MAX_VALUE - 3, Preview1.WHENCE_SET, 0x300));
        assertEquals(Errno.FBIG.code(), h.call("fd_write", fd, 0x100, 1, 0x300));
        assertEquals(4, vfs.stat("/f").size());
    }

    @Test
    void aReadIntoItsOwnIovecArrayUsesTheIovecsAsValidated() {
        Vfs vfs = Vfs.builder().build();
        vfs.writeFile("/f", "A".repeat(32).getBytes(StandardCharsets.UTF_8));
        WasiHarness h = harness(vfs);
        int fd = h.open("f", 0, Preview1.RIGHTS_REGULAR_FILE, 0);
        h.iovec(0x100, 0x100, 16); // the first read overwrites both iovecs with 'A's
        h.iovec(0x108, 0x200, 4);
        assertEquals(0, h.call("fd_read", fd, 0x100, 2, 0x300));
        assertEquals(20, h.i32(0x300));
        assertEquals("AAAA", h.read(0x200, 4));
        assertEquals(
                Errno.INVAL.code(),
                h.call("fd_read", fd, 0x100, 1025, 0x300),
                "more than IOV_MAX iovecs");
    }

    @Test
    void pollEventsWrittenOverTheSubscriptionsDoNotCreateMoreEvents() {
        WasiHarness h = harness(Vfs.builder().build());
        int in = 0x100;
        for (int i = 0; i < 2; i++) { // two fd_read subscriptions on stdin: always ready
            h.memory.writeLong(in + 48 * i, 10 + i);
            h.memory.writeByte(in + 48 * i + 8, (byte) Preview1.EVENTTYPE_FD_READ);
            h.memory.writeI32(in + 48 * i + 16, 0);
        }
        int clock = in + 96; // and a clock an hour away, so nothing sleeps
        h.memory.writeLong(clock, 12);
        h.memory.writeByte(clock + 8, (byte) Preview1.EVENTTYPE_CLOCK);
        h.memory.writeI32(clock + 16, Preview1.CLOCK_MONOTONIC);
        h.memory.writeLong(clock + 24, 3_600_000_000_000L);
        assertEquals(
                0,
                h.call("poll_oneoff", in, in, 3, 0x400)); // events written over the subscriptions
        assertEquals(2, h.i32(0x400));
        assertEquals(10, h.i64(in));
        assertEquals(11, h.i64(in + 32));
        assertEquals(
                Errno.INVAL.code(),
                h.call("poll_oneoff", in, 0x800, 4097, 0x400),
                "too many subscriptions");
    }

    /**
     * Keeps fds 4 and 5 open on regular files (one in memory, one in the host mount), so that fd_*
     * calls on files get past EBADF. Truncating on open keeps the quota from filling up. The fuzz
     * may have replaced the directories; then the round goes on without them.
     */
    private static void openRegularFiles(HostFunction pathOpen, Instance instance, FdTable fds) {
        Memory memory = instance.memory();
        String[] paths = {"scratch", "host/scratch"};
        for (int i = 0; i < paths.length; i++) {
            if (fds.isOpen(4 + i)) {
                continue;
            }
            byte[] bytes = paths[i].getBytes(StandardCharsets.UTF_8);
            memory.write(PATHS_AT, bytes);
            pathOpen.handle()
                    .apply(
                            instance,
                            3,
                            0,
                            PATHS_AT,
                            bytes.length,
                            Preview1.OFLAG_CREAT | Preview1.OFLAG_TRUNC,
                            Preview1.RIGHTS_REGULAR_FILE,
                            0,
                            0,
                            BUFFERS_AT);
        }
    }

    /** Checks the returned values; true when the call succeeded. */
    private static boolean checkResult(String key, String module, long[] args, long[] result) {
        if (key.endsWith(".proc_exit")) {
            return false;
        }
        assertEquals(1, result.length, key + " result count");
        long value = result[0];
        if (module.equals("wasi_snapshot_preview1")) {
            assertTrue(
                    value >= 0 && value < Errno.values().length,
                    key + Arrays.toString(args) + " returned " + value);
            return value == 0;
        }
        if (key.endsWith(".invoke")) {
            assertTrue(
                    value >= BridgeFailure.TIMEOUT && value <= EchoHandler.MAX_RESPONSE,
                    key + Arrays.toString(args) + " returned " + value);
            return value >= 0;
        }
        long capacity = (int) args[1];
        assertTrue(
                value == BridgeFailure.ERROR || (value >= 0 && value <= Math.max(0, capacity)),
                key + Arrays.toString(args) + " returned " + value);
        return value >= 0;
    }

    private static void checkInvariants(String key, long[] args, FdTable fds, Vfs vfs) {
        int open = 0;
        for (int fd = 0; fd <= fds.maxOpen() + 1; fd++) {
            open += fds.isOpen(fd) ? 1 : 0;
        }
        assertEquals(
                open, fds.openCount(), "descriptor count after " + key + Arrays.toString(args));
        assertTrue(open <= MAX_OPEN_FILES, "descriptors beyond the cap after " + key);
        assertTrue(
                vfs.usedBytes() >= 0 && vfs.usedBytes() <= VFS_QUOTA,
                "VFS usage " + vfs.usedBytes() + " after " + key + Arrays.toString(args));
    }

    private static WasiPreview1 newWasi(Vfs vfs) {
        return new WasiPreview1(
                WasiConfig.builder()
                        .vfs(vfs)
                        .args(List.of("python", "-c", "pass"))
                        .env("HOME", "/")
                        .stdin(
                                new ByteArrayInputStream(
                                        "line one\nline two\n".getBytes(StandardCharsets.UTF_8)))
                        .stdout(OutputSink.discarding())
                        .stderr(OutputSink.discarding())
                        .wallClock(
                                Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
                        .monotonicNanos(
                                () -> 0L) // frozen; WasiPreview1 still keeps it strictly increasing
                        .randomSeed(1)
                        .sleeper(nanos -> {}) // poll_oneoff must not really sleep for fuzzed
                        // timeouts
                        .maxOpenFiles(MAX_OPEN_FILES)
                        .build());
    }

    private static BridgeHost newBridge() {
        return new BridgeHost(new EchoHandler());
    }

    private static Map<String, HostFunction> hostFunctionsByName(
            WasiPreview1 wasi, BridgeHost bridge) {
        Map<String, HostFunction> byName = new LinkedHashMap<>();
        for (HostFunction f : wasi.hostFunctions()) {
            byName.put(f.module() + "." + f.name(), f);
        }
        for (HostFunction f : bridge.hostFunctions()) {
            byName.put(f.module() + "." + f.name(), f);
        }
        return byName;
    }

    /** Answers like the real handler can: a response of some length, or a failure status. */
    private static final class EchoHandler implements dev.eryx.internal.bridge.BridgeHandler {
        static final int MAX_RESPONSE = 4096;

        @Override
        public byte[] handle(BridgeOp op, byte[] request) {
            if (op == BridgeOp.POLL) {
                throw new BridgeFailure(BridgeFailure.TIMEOUT, "no callback finished");
            }
            if (request.length % 3 == 0) {
                throw new BridgeFailure(BridgeFailure.ERROR, "refused " + op);
            }
            return Arrays.copyOf(request, Math.min(request.length * 2, MAX_RESPONSE));
        }
    }

    /**
     * Generates arguments from edge values, random values and pointers to structured guest data.
     */
    private static final class Fuzzer {
        private static final long[] I32_EDGES = {
            0,
            1,
            2,
            3,
            4,
            5,
            8,
            24,
            0x7F,
            0xFF,
            0xFFFF,
            MEMORY_SIZE - 1,
            MEMORY_SIZE,
            MEMORY_SIZE + 1,
            0x7FFF_FFFFL,
            0x8000_0000L,
            0x8000_0001L,
            0xFFFF_FFFFL,
            0xFFFF_FFFEL,
            0xFFFF_FFF8L,
            0xFFFF_0000L,
            0xFFFF_FFFFL - MEMORY_SIZE,
        };
        private static final long[] I64_EDGES = {
            0,
            1,
            2,
            7,
            100,
            -1,
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            Long.MAX_VALUE - 1,
            Long.MAX_VALUE - 65536,
            Integer.MAX_VALUE,
            1L << 31,
            1L << 32,
            (1L << 32) - 1,
            1L << 40,
            (1L << 30) - 1,
            -4096,
        };

        /** Parameter indexes where a (path pointer, length) pair starts, per WASI function. */
        private static final Map<String, int[]> PATH_PAIRS =
                Map.ofEntries(
                        Map.entry("path_create_directory", new int[] {1}),
                        Map.entry("path_filestat_get", new int[] {2}),
                        Map.entry("path_filestat_set_times", new int[] {2}),
                        Map.entry("path_link", new int[] {2, 5}),
                        Map.entry("path_open", new int[] {2}),
                        Map.entry("path_readlink", new int[] {1}),
                        Map.entry("path_remove_directory", new int[] {1}),
                        Map.entry("path_rename", new int[] {1, 4}),
                        Map.entry("path_symlink", new int[] {0, 3}),
                        Map.entry("path_unlink_file", new int[] {1}));

        /** Functions whose parameters 1 and 2 are an iovec array and its length. */
        private static final java.util.Set<String> IOVEC_CALLS =
                java.util.Set.of(
                        "fd_read", "fd_write", "fd_pread", "fd_pwrite", "sock_recv", "sock_send");

        /**
         * Parameter indexes holding a descriptor, where it is not just the first parameter of fd_*.
         */
        private static final Map<String, int[]> FD_SLOTS =
                Map.ofEntries(
                        Map.entry("fd_renumber", new int[] {0, 1}),
                        Map.entry("path_create_directory", new int[] {0}),
                        Map.entry("path_filestat_get", new int[] {0}),
                        Map.entry("path_filestat_set_times", new int[] {0}),
                        Map.entry("path_link", new int[] {0, 4}),
                        Map.entry("path_open", new int[] {0}),
                        Map.entry("path_readlink", new int[] {0}),
                        Map.entry("path_remove_directory", new int[] {0}),
                        Map.entry("path_rename", new int[] {0, 3}),
                        Map.entry("path_symlink", new int[] {2}),
                        Map.entry("path_unlink_file", new int[] {0}));

        private final Random random;
        private final int[] pathOffsets = new int[PATHS.length];
        private final int[] pathLengths = new int[PATHS.length];

        Fuzzer(Random random) {
            this.random = random;
        }

        /** Fresh structured data: iovecs, poll subscriptions, paths and random buffers. */
        void layOut(Memory memory) {
            byte[] noise = new byte[IOVECS_AT];
            random.nextBytes(noise);
            memory.write(0, noise);
            for (int i = 0; i < 64; i++) { // iovec array, some entries overlapping the array itself
                int at = IOVECS_AT + 8 * i;
                boolean valid = random.nextInt(10) < 7;
                memory.writeI32(at, (int) (valid ? BUFFERS_AT + random.nextInt(4096) : pointer()));
                memory.writeI32(at + 4, (int) (valid ? random.nextInt(300) : length()));
            }
            for (int i = 0; i < 16; i++) { // poll subscriptions
                int at = SUBSCRIPTIONS_AT + 48 * i;
                memory.writeLong(at, random.nextLong());
                memory.writeByte(at + 8, (byte) random.nextInt(4));
                memory.writeI32(at + 16, random.nextInt(3) == 0 ? (int) fd() : random.nextInt(6));
                memory.writeLong(at + 24, random.nextBoolean() ? random.nextInt(1_000_000) : i64());
                memory.writeShort(at + 40, (short) random.nextInt(3));
            }
            int at = PATHS_AT;
            for (int i = 0; i < PATHS.length; i++) {
                byte[] bytes = PATHS[i].getBytes(StandardCharsets.UTF_8);
                if (at + bytes.length > BUFFERS_AT) {
                    bytes = Arrays.copyOf(bytes, BUFFERS_AT - at);
                }
                memory.write(at, bytes);
                pathOffsets[i] = at;
                pathLengths[i] = bytes.length;
                at += bytes.length;
            }
            memory.write(BUFFERS_AT, new byte[MEMORY_SIZE - BUFFERS_AT]);
        }

        /**
         * Arguments for one call. {@code pathPairs} and {@code fdSlots} (from {@link #PATH_PAIRS}
         * and {@link #FD_SLOTS}) only bias where valid paths and open descriptors go, so that calls
         * get past validation; an import without hints is fuzzed from its types alone.
         */
        long[] arguments(String name, List<ValType> types) {
            int[] pathPairs = PATH_PAIRS.getOrDefault(name, new int[0]);
            int[] fdSlots =
                    FD_SLOTS.getOrDefault(
                            name,
                            name.startsWith("fd_") || name.startsWith("sock_")
                                    ? new int[] {0}
                                    : new int[0]);
            long[] args = new long[types.size()];
            for (int i = 0; i < args.length; i++) {
                if (types.get(i) == ValType.I64) {
                    args[i] = i64();
                } else if (contains(pathPairs, i) && random.nextInt(4) != 0) {
                    int path = random.nextInt(PATHS.length);
                    args[i] = asI32(pathOffsets[path]);
                    args[++i] = asI32(pathLengths[path]);
                } else if (contains(fdSlots, i)
                        && (closesDescriptors(name) || random.nextInt(4) != 0)) {
                    args[i] = descriptor(name);
                } else if (i == 1 && IOVEC_CALLS.contains(name) && random.nextInt(4) != 0) {
                    args[i] =
                            IOVECS_AT
                                    + 8
                                            * random.nextInt(
                                                    4); // (iovs, iovs_len) into the prepared array
                    args[++i] = random.nextInt(5);
                } else {
                    args[i] = asI32(i32());
                }
            }
            return args;
        }

        /**
         * Mostly the preopen (3) or stdio and recently opened files; closing or replacing the
         * preopen is rare, since it would fail every path call until the next WASI instance.
         */
        private long descriptor(String name) {
            if (closesDescriptors(name)) {
                int pick = random.nextInt(50);
                return pick == 0
                        ? 3
                        : pick < 5
                                ? asI32(I32_EDGES[random.nextInt(I32_EDGES.length)])
                                : 4 + random.nextInt(MAX_OPEN_FILES - 3);
            }
            int pick = random.nextInt(3);
            return pick == 0 ? 3 : pick == 1 ? 4 + random.nextInt(2) : random.nextInt(10);
        }

        private static boolean closesDescriptors(String name) {
            return name.equals("fd_close") || name.equals("fd_renumber");
        }

        private static boolean contains(int[] values, int value) {
            for (int v : values) {
                if (v == value) {
                    return true;
                }
            }
            return false;
        }

        private long i32() {
            int pick = random.nextInt(20);
            if (pick < 7) {
                return random.nextInt(
                        pick < 4 ? 4 : 17); // counts, flags, descriptors, small lengths
            }
            if (pick < 14) {
                return BUFFERS_AT
                        + random.nextInt(MEMORY_SIZE - BUFFERS_AT - 256); // a valid out-pointer
            }
            if (pick < 16) {
                return random.nextBoolean() ? IOVECS_AT + 8 * random.nextInt(8) : SUBSCRIPTIONS_AT;
            }
            switch (random.nextInt(4)) {
                case 0:
                    return I32_EDGES[random.nextInt(I32_EDGES.length)];
                case 1:
                    return pointer();
                case 2:
                    return length();
                default:
                    return random.nextInt() & 0xFFFF_FFFFL;
            }
        }

        private long fd() {
            return random.nextInt(MAX_OPEN_FILES + 4);
        }

        private long pointer() {
            switch (random.nextInt(4)) {
                case 0:
                    return BUFFERS_AT + random.nextInt(MEMORY_SIZE - BUFFERS_AT);
                case 1:
                    return MEMORY_SIZE - random.nextInt(16);
                case 2:
                    return IOVECS_AT + random.nextInt(512); // overlaps the structured arrays
                default:
                    return random.nextInt() & 0xFFFF_FFFFL;
            }
        }

        private long length() {
            switch (random.nextInt(4)) {
                case 0:
                    return random.nextInt(64);
                case 1:
                    return random.nextInt(MEMORY_SIZE);
                case 2:
                    return I32_EDGES[random.nextInt(I32_EDGES.length)];
                default:
                    return random.nextInt() & 0xFFFF_FFFFL;
            }
        }

        private long i64() {
            return random.nextBoolean()
                    ? I64_EDGES[random.nextInt(I64_EDGES.length)]
                    : random.nextBoolean() ? random.nextInt(1 << 16) : random.nextLong();
        }

        /**
         * Chicory hands i32 arguments over sign-extended; the host must only use the low 32 bits.
         */
        private static long asI32(long value) {
            return (int) value;
        }
    }
}
