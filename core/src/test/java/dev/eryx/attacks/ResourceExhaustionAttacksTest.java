package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.StopAssertions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest exhausting what the host lends it: CPU (bytecode and C loops), memory, output,
 * descriptors and the in-memory filesystem. Each attack must end in its own limit's error, within
 * bounds, with the attacked sandbox usable afterwards (rolled back after a hard stop) and the
 * bystander correct.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResourceExhaustionAttacksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    /**
     * The contract is 100 ms past the deadline; loaded CI machines stall, so the bound is loose.
     */
    private static final long SLACK_MILLIS = 3_000;

    /** The attacked sandbox's limits; the CPU attacks run under {@link #QUICK}. */
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(30))
                    .maxMemoryBytes(64L << 20)
                    .maxOutputBytes(64 << 10)
                    .maxVfsBytes(1 << 20)
                    .build();

    private static final ResourceLimits QUICK =
            LIMITS.toBuilder().executionTimeout(TIMEOUT).build();

    private Bystander bystander;

    @BeforeAll
    void start() {
        bystander = new Bystander();
    }

    @AfterAll
    void stop() {
        bystander.close();
    }

    private static Victim attacked() {
        return new Victim(Sandbox.builder().resourceLimits(LIMITS).build());
    }

    private static <T extends Throwable> T assertStopsInTime(Class<T> type, Runnable attack) {
        return StopAssertions.assertStopsWithin(
                type, TIMEOUT.plusMillis(SLACK_MILLIS), attack::run);
    }

    @Test
    void bytecodeInfiniteLoop() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        assertStopsInTime(
                                ExecutionTimeoutException.class,
                                () -> sandbox.execute("while True:\n    pass", QUICK));
                        victim.assertUsable();
                        // Swallowing the interrupt does not help: the hard stop follows, and is
                        // rolled back.
                        assertStopsInTime(
                                ExecutionTimeoutException.class,
                                () ->
                                        sandbox.execute(
                                                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ncanary = 'changed'\nwhile True:\n    pass",
                                                QUICK));
                        victim.assertUsable();
                        FuelExhaustedException fuel =
                                assertThrows(
                                        FuelExhaustedException.class,
                                        () ->
                                                sandbox.execute(
                                                        "while True:\n    pass",
                                                        LIMITS.toBuilder()
                                                                .maxFuel(2_000_000)
                                                                .executionTimeout(null)
                                                                .build()));
                        assertEquals(2_000_000, fuel.limit());
                        victim.assertUsable();
                    });
        }
    }

    @Test
    void cInfiniteLoop() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        // No bytecode boundary inside: only the hard stop ends these.
                        assertStopsInTime(
                                ExecutionTimeoutException.class,
                                () ->
                                        sandbox.execute(
                                                "canary = 'changed'\nimport itertools, collections\ncollections.deque(itertools.count(), maxlen=0)",
                                                QUICK));
                        victim.assertUsable();
                        assertStopsInTime(
                                ExecutionTimeoutException.class,
                                () -> sandbox.execute("sum(range(10**15))", QUICK));
                        victim.assertUsable();
                        assertThrows(
                                FuelExhaustedException.class,
                                () ->
                                        sandbox.execute(
                                                "sum(range(10**15))",
                                                LIMITS.toBuilder()
                                                        .maxFuel(5_000_000)
                                                        .executionTimeout(null)
                                                        .build()));
                        victim.assertUsable();
                    });
        }
    }

    @Test
    void memoryBomb() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        for (String bomb :
                                new String[] {
                                    "x = bytearray(10**9)",
                                    "x = [0] * (10**9)",
                                    "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))",
                                    "s = 'a'\nwhile True:\n    s = s + s",
                                    "d = {}\nfor i in range(10**9):\n    d[i] = str(i)",
                                }) {
                            PythonException e =
                                    assertThrows(
                                            PythonException.class,
                                            () -> sandbox.execute(bomb),
                                            bomb);
                            assertEquals("MemoryError", e.pythonType(), bomb);
                            assertTrue(
                                    e.partialResult().stats().peakMemoryBytes()
                                            <= LIMITS.maxMemoryBytes(),
                                    bomb);
                            victim.assertUsable();
                        }
                        // The memory came back: an ordinary allocation fits again.
                        assertEquals(
                                16 << 20,
                                sandbox.execute(
                                                "chunks = d = s = x = None\nresult = len(bytearray(16 << 20))")
                                        .result()
                                        .asInt());
                    });
        }
    }

    @Test
    void outputFlood() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        OutputLimitException printed =
                                assertThrows(
                                        OutputLimitException.class,
                                        () ->
                                                sandbox.execute(
                                                        "while True:\n    print('x' * 1000)"));
                        assertEquals(
                                LIMITS.maxOutputBytes(), printed.partialResult().stdout().length());
                        victim.assertUsable();
                        // Straight to the descriptors, bypassing sys.stdout, and on stderr too.
                        OutputLimitException raw =
                                assertThrows(
                                        OutputLimitException.class,
                                        () ->
                                                sandbox.execute(
                                                        "import os\nwhile True:\n    os.write(2, b'e' * 65536)"));
                        assertEquals(
                                LIMITS.maxOutputBytes(), raw.partialResult().stderr().length());
                        victim.assertUsable();
                        // One huge write is cut at the cap, not buffered whole.
                        OutputLimitException big =
                                assertThrows(
                                        OutputLimitException.class,
                                        () ->
                                                sandbox.execute(
                                                        "import sys\nsys.stdout.write('y' * (8 << 20))"));
                        assertEquals(
                                LIMITS.maxOutputBytes(), big.partialResult().stdout().length());
                        victim.assertUsable();
                    });
        }
    }

    @Test
    void fdExhaustion() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        // Unbuffered: buffered file objects would run into the memory cap first.
                        assertEquals(
                                "OSError EMFILE",
                                victim.attempt(
                                        "open('/tmp/f', 'w').close()\nheld = []\nwhile True:\n    held.append(open('/tmp/f', 'rb', buffering=0))"));
                        assertEquals(
                                "OSError EMFILE",
                                victim.attempt(
                                        "import os\nos.open('/tmp/g', os.O_CREAT | os.O_WRONLY)"));
                        // The sandbox recovers as soon as the guest lets go of them.
                        assertEquals(
                                "ok",
                                victim.attempt(
                                        "for f in held:\n    f.close()\nheld = None\n"
                                                + "open('/tmp/g', 'w').close()"));
                        victim.assertUsable();
                    });
        }
    }

    /**
     * Each guest descriptor on a host mount holds a real host descriptor, so the per-sandbox cap is
     * also what keeps a guest from exhausting the host process's descriptors.
     */
    @Test
    void fdExhaustionThroughAHostMount(@TempDir Path host) throws IOException {
        Path procFds = Path.of("/proc/self/fd");
        assumeTrue(
                Files.isDirectory(procFds), "counts the host process's descriptors through /proc");
        Files.writeString(host.resolve("shared.txt"), "x");
        try (Victim victim =
                new Victim(
                        Sandbox.builder()
                                .resourceLimits(LIMITS)
                                .mount(host, "/mnt", true)
                                .build())) {
            Sandbox sandbox = victim.sandbox();
            long before = count(procFds);
            bystander.alongside(
                    () -> {
                        assertEquals(
                                "OSError EMFILE",
                                victim.attempt(
                                        "import os\nheld = []\nwhile True:\n    held.append(os.open('/mnt/shared.txt', os.O_RDONLY))"));
                        long held = count(procFds) - before;
                        // 1024 guest descriptors minus stdio and the preopens; other tests' threads
                        // open a few too.
                        assertTrue(
                                held > 900 && held <= 1024 + 64,
                                "host descriptors held by the guest: " + held);
                        assertEquals(
                                "ok",
                                victim.attempt("for fd in held:\n    os.close(fd)\nheld = None"));
                    });
            assertTrue(count(procFds) - before < 64, "the host descriptors were released");
            victim.assertUsable();
        }
    }

    private static long count(Path directory) {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void vfsFill() {
        try (Victim victim = attacked()) {
            Sandbox sandbox = victim.sandbox();
            bystander.alongside(
                    () -> {
                        assertEquals(
                                "OSError ENOSPC",
                                victim.attempt(
                                        "with open('/tmp/big', 'wb') as f:\n    while True:\n        f.write(b'x' * 65536)\n        f.flush()"));
                        assertEquals(
                                "ok",
                                victim.attempt(
                                        "import os\nos.remove('/tmp/big')\n"
                                                + "open('/tmp/fits', 'wb').write(b'x' * 500_000)"));
                        // Unlinking a file that is still open does not free its bytes: they are
                        // still held.
                        assertEquals(
                                "OSError ENOSPC",
                                victim.attempt(
                                        "import os\nheld = open('/tmp/fits', 'rb')\n"
                                                + "os.remove('/tmp/fits')\nopen('/tmp/second', 'wb').write(b'y' * 700_000)"));
                        assertEquals(
                                "ok",
                                victim.attempt(
                                        "held.close()\nopen('/tmp/second', 'wb').write(b'y' * 700_000)"));
                        // Entries cost heap though they hold no bytes: their number is capped too.
                        assertEquals(
                                "OSError ENOSPC",
                                victim.attempt(
                                        "import os\nos.mkdir('/tmp/many')\nfor i in range(100_000):\n    open(f'/tmp/many/{i}', 'w').close()"));
                        assertEquals(
                                "ok",
                                victim.attempt(
                                        "import shutil\nshutil.rmtree('/tmp/many')\n"
                                                + "open('/tmp/after', 'w').close()"));
                        victim.assertUsable();
                    });
        }
    }
}
