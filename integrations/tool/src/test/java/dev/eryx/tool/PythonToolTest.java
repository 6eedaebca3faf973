package dev.eryx.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.SandboxPool;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tool over one real pool: sessions, limits, arguments, files, saved states. */
class PythonToolTest {
    private static SandboxPool pool;
    private static PythonTool tool;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(1).maxSize(2).build();
        tool = PythonTool.builder().pool(pool).maxTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() {
        tool.close();
        pool.close();
    }

    @Test
    void runInSessionNeverCreatesOne() {
        String id = "existing-only";
        assertThrows(
                java.util.NoSuchElementException.class, () -> tool.runInSession(id, "x = 1", null));
        assertFalse(tool.hasSession(id), "a refused call starts no session");
        tool.run(id, "x = 20", null);
        assertEquals("21", tool.runInSession(id, "print(x + 1)", null).text().strip());
        assertTrue(tool.reset(id));
        assertThrows(
                java.util.NoSuchElementException.class,
                () -> tool.runInSession(id, "print(x)", null));
        assertFalse(tool.hasSession(id));
    }

    @Test
    void statelessCallsKeepNothing() {
        assertEquals(Verdict.OK, tool.run(null, "leak = 1", null).verdict());
        ToolOutput out = tool.run(null, "print(leak)", null);
        assertEquals(Verdict.PYTHON_ERROR, out.verdict());
        assertEquals("NameError", out.errorType());
        assertEquals("7", tool.run(null, "print(3 + 4)", null).text());
    }

    @Test
    void sessionsKeepStateAndAreIsolated() {
        tool.run("keep-a", "x = 'a'\nimport json", null);
        tool.run("keep-b", "x = 'b'", null);
        assertEquals("a", tool.run("keep-a", "print(x)", null).text());
        assertEquals("b", tool.run("keep-b", "print(x)", null).text());
        assertEquals(
                "[result]\n[1]", tool.run("keep-a", "result = json.loads('[1]')", null).text());
        assertTrue(tool.hasSession("keep-a"));
        assertFalse(tool.hasSession("never"));
        tool.reset("keep-a");
        tool.reset("keep-b");
    }

    @Test
    void resetForgetsTheState() {
        tool.run("reset", "x = 1", null);
        assertTrue(tool.reset("reset"));
        assertFalse(tool.hasSession("reset"));
        assertFalse(tool.reset("reset"));
        assertFalse(tool.reset(null));
        assertEquals("NameError", tool.run("reset", "x", null).errorType());
        tool.reset("reset");
    }

    @Test
    void callTakesTheModelsJson() {
        ToolOutput out = tool.call("call", "{\"code\": \"print('hi')\", \"timeout_ms\": 5000}");
        assertEquals("hi", out.text());
        assertEquals(
                "2", tool.call("call", "{\"code\": \"print(2)\", \"timeout_ms\": null}").text());
        assertEquals(
                "3", tool.call("call", "{\"code\": \"print(3)\", \"timeout_ms\": 5000.0}").text());
        tool.reset("call");
    }

    @Test
    void callRefusesBadArgumentsClearly() {
        assertMessage("code is required", "{}");
        assertMessage("code is required", "{\"code\": null}");
        assertMessage("code must be a string", "{\"code\": 42}");
        assertMessage(
                "timeout_ms must be a positive integer", "{\"code\": \"1\", \"timeout_ms\": 0}");
        assertMessage(
                "timeout_ms must be a positive integer", "{\"code\": \"1\", \"timeout_ms\": -5}");
        assertMessage(
                "timeout_ms must be a positive integer", "{\"code\": \"1\", \"timeout_ms\": 1.5}");
        assertMessage(
                "timeout_ms must be a positive integer",
                "{\"code\": \"1\", \"timeout_ms\": \"9\"}");
        assertMessage("unknown argument \"cmd\"", "{\"code\": \"1\", \"cmd\": \"ls\"}");
        assertMessage("arguments are not valid JSON", "{\"code\": ");
        assertMessage("arguments are not valid JSON", "{\"code\": \"1\"} trailing");
        assertMessage("arguments must be a JSON object", "[\"print(1)\"]");
        assertMessage("arguments are missing", "  ");
        assertMessage("arguments are missing", null);
        assertThrows(IllegalArgumentException.class, () -> tool.run(null, null, null));
        assertThrows(IllegalArgumentException.class, () -> tool.run(null, "1", Duration.ZERO));
        assertThrows(
                IllegalArgumentException.class, () -> tool.run(null, "1", Duration.ofMillis(-1)));
    }

    private static void assertMessage(String expected, String json) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tool.call(null, json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void inputSchemaAgreesWithCall() throws Exception {
        Schema schema =
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                        .getSchema(PythonTool.inputSchema());
        ObjectMapper json = new ObjectMapper();
        assertTrue(
                schema.validate(json.readTree("{\"code\": \"1\", \"timeout_ms\": 5}")).isEmpty());
        assertFalse(schema.validate(json.readTree("{\"timeout_ms\": 5}")).isEmpty());
        assertFalse(
                schema.validate(json.readTree("{\"code\": \"1\", \"timeout_ms\": 0}")).isEmpty());
        assertFalse(schema.validate(json.readTree("{\"code\": \"1\", \"x\": 0}")).isEmpty());
        assertTrue(json.readTree(PythonTool.outputSchema()).isObject());
        assertTrue(PythonTool.description().contains("[stderr]"));
        // A constant an annotation can use, and the same text.
        assertEquals(PythonTool.DESCRIPTION, PythonTool.description());
        assertEquals("run_python", PythonTool.NAME);
    }

    @Test
    void timeoutsAreCappedAtTheMaximum() {
        try (PythonTool capped =
                PythonTool.builder().pool(pool).maxTimeout(Duration.ofMillis(400)).build()) {
            assertEquals(Duration.ofMillis(400), capped.maxTimeout());
            long started = System.nanoTime();
            ToolOutput out =
                    capped.run(
                            null,
                            "print('spin', flush=True)\nwhile True: pass",
                            Duration.ofHours(1));
            assertEquals(Verdict.TIMEOUT, out.verdict());
            assertEquals("spin\n", out.stdout());
            ToolOutput viaCall =
                    capped.call(
                            "t",
                            "{\"code\": \"while True: pass\", \"timeout_ms\": 1000000000000000000000}");
            assertEquals(Verdict.TIMEOUT, viaCall.verdict());
            // Generous: the point is that it did not run for an hour.
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30));
        }
        // The pool's own timeout is the default cap.
        try (PythonTool byPool = PythonTool.builder().pool(pool).build()) {
            assertEquals(pool.resourceLimits().executionTimeout(), byPool.maxTimeout());
        }
    }

    @Test
    void aShorterTimeoutApplies() {
        ToolOutput out = tool.run("short", "while True: pass", Duration.ofMillis(300));
        assertEquals(Verdict.TIMEOUT, out.verdict());
        assertTrue(out.text().startsWith("[error: timeout] "), out.text());
        // The session survives a timeout with its state.
        tool.run("short", "y = 5", null);
        assertEquals("5", tool.run("short", "print(y)", null).text());
        tool.reset("short");
    }

    @Test
    void perCallFuelAndOutputAreCutToTheMaxima() {
        ResourceLimits max =
                ResourceLimits.builder().maxFuel(1_000_000).maxOutputBytes(100).build();
        try (PythonTool capped = PythonTool.builder().pool(pool).maxLimits(max).build()) {
            // Asking for unlimited fuel in a session gets the cap, on both entry points.
            ToolOutput fuel =
                    capped.runWithLimits("fuel", "sum(range(10**7))", ResourceLimits.unlimited());
            assertEquals(Verdict.FUEL, fuel.verdict(), fuel.text());
            assertEquals(Verdict.FUEL, capped.run("fuel", "sum(range(10**7))", null).verdict());
            // The session survives and keeps its state; cheap code runs under the cap.
            assertEquals(Verdict.OK, capped.run("fuel", "kept = 3", null).verdict());
            assertEquals("3", capped.run("fuel", "print(kept)", null).text());
            // Less than the cap is what applies.
            ResourceLimits tight = ResourceLimits.builder().maxFuel(1).build();
            assertEquals(
                    Verdict.FUEL, capped.runWithLimits("fuel", "print(kept)", tight).verdict());
            // Output, stateless.
            ToolOutput output =
                    capped.runWithLimits(null, "print('x' * 5000)", ResourceLimits.unlimited());
            assertEquals(Verdict.OUTPUT, output.verdict(), output.text());
        }
        // By default the pool's limits are the maxima: its timeout still caps, memory is its own.
        ToolOutput loose =
                tool.runWithLimits(
                        null,
                        "import sys; print(sys.getsizeof(0) > 0)",
                        ResourceLimits.builder().maxMemoryBytes(1 << 20).build());
        assertEquals("True", loose.text());
    }

    @Test
    void leastRecentlyUsedSessionIsEvicted() {
        try (PythonTool lru = PythonTool.builder().pool(pool).maxSessions(2).build()) {
            lru.run("one", "v = 1", null);
            lru.run("two", "v = 2", null);
            lru.run("one", "v += 10", null); // "two" is now the least recently used
            lru.run("three", "v = 3", null);
            assertEquals(2, lru.sessionCount());
            assertFalse(lru.hasSession("two"));
            assertTrue(lru.hasSession("one"));
            assertTrue(lru.hasSession("three"));
            assertEquals("11", lru.run("one", "print(v)", null).text());
            assertEquals("NameError", lru.run("two", "v", null).errorType());
        }
    }

    @Test
    void idleSessionsExpire() throws InterruptedException {
        try (PythonTool ttl =
                PythonTool.builder()
                        .pool(pool)
                        .sessionIdleTimeout(Duration.ofMillis(300))
                        .build()) {
            ttl.run("lazy", "v = 1", null);
            ttl.run("cleaned", "v = 1", null);
            assertEquals(2, ttl.sessionIds().size());
            // The cleaner thread closes idle sessions without anyone calling the tool.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!ttl.sessionIds().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(), ttl.sessionIds());
            assertFalse(ttl.hasSession("lazy"));
            assertEquals("NameError", ttl.run("lazy", "v", null).errorType());
        }
    }

    @Test
    void callsToOneSessionRunOneAtATimeAndCreateOneSandbox() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<ToolOutput>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(
                        threads.submit(
                                () ->
                                        tool.run(
                                                "serial",
                                                "import time\n"
                                                        + "n = globals().get('n', 0)\n"
                                                        + "time.sleep(0.05)\n"
                                                        + "n += 1\n",
                                                null)));
            }
            for (Future<ToolOutput> call : calls) {
                assertEquals(Verdict.OK, call.get(60, TimeUnit.SECONDS).verdict());
            }
            assertEquals("4", tool.run("serial", "print(n)", null).text());
        } finally {
            threads.shutdownNow();
            tool.reset("serial");
        }
    }

    @Test
    void differentSessionsRunInParallel() throws Exception {
        CompletableFuture<ToolOutput> slow =
                CompletableFuture.supplyAsync(
                        () -> tool.run("parallel-slow", "import time\ntime.sleep(4)", null));
        try {
            while (!tool.hasSession("parallel-slow")) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // let it start sleeping
            assertEquals("1", tool.run("parallel-fast", "print(1)", null).text());
            assertFalse(slow.isDone(), "the fast session waited for the slow one");
            assertEquals(Verdict.OK, slow.get(60, TimeUnit.SECONDS).verdict());
        } finally {
            tool.reset("parallel-slow");
            tool.reset("parallel-fast");
        }
    }

    @Test
    void interruptCancelsTheExecution() throws Exception {
        for (String session : new String[] {"interrupted", null}) {
            AtomicReference<ToolOutput> output = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread caller =
                    new Thread(
                            () -> {
                                output.set(
                                        tool.run(
                                                session,
                                                "print('looping', flush=True)\nwhile True: pass",
                                                null));
                                flagKept.set(Thread.currentThread().isInterrupted());
                            });
            caller.start();
            Thread.sleep(1000);
            caller.interrupt();
            caller.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(caller.isAlive());
            assertEquals(Verdict.CANCELLED, output.get().verdict(), output.get().text());
            assertTrue(flagKept.get(), "the interrupt flag was restored");
        }
        // The session still answers (in its sandbox, or a new one if the stop was hard).
        assertEquals("ok", tool.run("interrupted", "print('ok')", null).text());
        tool.reset("interrupted");
    }

    @Test
    void whenEverySessionIsBusyANewOneIsRefused() throws Exception {
        try (PythonTool one = PythonTool.builder().pool(pool).maxSessions(1).build()) {
            CompletableFuture<ToolOutput> busy =
                    CompletableFuture.supplyAsync(
                            () -> one.run("busy", "import time\ntime.sleep(3)", null));
            while (!one.hasSession("busy")) {
                Thread.sleep(10);
            }
            PoolExhaustedException e =
                    assertThrows(PoolExhaustedException.class, () -> one.run("other", "1", null));
            assertTrue(e.getMessage().contains("sessions are running code"), e.getMessage());
            assertEquals(Verdict.OK, busy.get(60, TimeUnit.SECONDS).verdict());
            // Once idle, it is evicted for the new one.
            assertEquals("2", one.run("other", "print(2)", null).text());
            assertFalse(one.hasSession("busy"));
        }
    }

    @Test
    void aSessionThatCannotRunMoreIsDropped() {
        tool.run("exiting", "x = 1", null);
        ToolOutput out =
                tool.run("exiting", "print('bye', flush=True)\nimport os\nos._exit(3)", null);
        assertEquals(Verdict.CRASHED, out.verdict());
        assertEquals("bye\n", out.stdout());
        assertTrue(out.text().contains(PythonTool.SESSION_DROPPED_NOTE), out.text());
        assertFalse(tool.hasSession("exiting"));
        assertEquals("NameError", tool.run("exiting", "x", null).errorType());
        tool.reset("exiting");
    }

    @Test
    void savedSessionsResume() {
        tool.run("saved", "x = 41\nopen('/tmp/kept.txt', 'w').write('file')", null);
        byte[] state = tool.saveSession("saved");
        tool.restoreSession("resumed", state);
        assertTrue(tool.hasSession("resumed"));
        assertEquals(
                "42 file",
                tool.run("resumed", "print(x + 1, open('/tmp/kept.txt').read())", null).text());
        // Replacing a live session.
        tool.run("saved", "x = 0", null);
        tool.restoreSession("saved", state);
        assertEquals("41", tool.run("saved", "print(x)", null).text());
        assertThrows(IllegalArgumentException.class, () -> tool.saveSession("no-such-session"));
        assertThrows(
                IllegalArgumentException.class,
                () -> tool.restoreSession("bad", new byte[] {1, 2, 3}));
        assertFalse(tool.hasSession("bad"));
        tool.reset("saved");
        tool.reset("resumed");
    }

    @Test
    void listFilesWalksTheSessionsFiles() {
        tool.run(
                "files",
                "import os\n"
                        + "os.makedirs('/tmp/d/e', exist_ok=True)\n"
                        + "open('/tmp/d/a.txt', 'w').write('a')\n"
                        + "open('/tmp/d/e/b.txt', 'w').write('b')\n",
                null);
        assertEquals(
                List.of("/tmp/d/a.txt", "/tmp/d/e/", "/tmp/d/e/b.txt"),
                tool.listFiles("files", "/tmp/d"));
        assertEquals(tool.listFiles("files", "/tmp/d"), tool.listFiles("files", "/tmp/d/"));
        // Without that session: a fresh sandbox, which has none of these.
        assertThrows(UncheckedIOException.class, () -> tool.listFiles("other", "/tmp/d"));
        assertThrows(UncheckedIOException.class, () -> tool.listFiles("files", "/tmp/d/a.txt"));
        assertNotEquals(List.of(), tool.listFiles(null, "/"));

        tool.run(
                "files", "for i in range(1100):\n    open(f'/tmp/d/e/f{i:04}', 'w').close()", null);
        List<String> many = tool.listFiles("files", "/tmp/d");
        assertEquals(PythonTool.MAX_LISTED_FILES + 1, many.size());
        assertTrue(many.get(many.size() - 1).startsWith("(truncated"), many.get(many.size() - 1));
        tool.reset("files");
    }

    @Test
    void listingTheRootShowsTheUsersFilesNotTheStandardLibrary() {
        tool.run(
                "root",
                "import os\n"
                        + "open('/tmp/x.txt', 'w').write('x')\n"
                        + "os.makedirs('/work', exist_ok=True)\n"
                        + "open('/work/y.txt', 'w').write('y')\n",
                null);
        List<String> root = tool.listFiles("root", null);
        assertTrue(root.contains("/tmp/x.txt"), root.toString());
        // After /usr in the walk: the standard library used to fill the listing before it.
        assertTrue(root.contains("/work/y.txt"), root.toString());
        assertTrue(root.stream().noneMatch(p -> p.startsWith("/usr")), root.toString());
        assertEquals(root, tool.listFiles("root", "/"));
        assertEquals(root, tool.listFiles("root", ""));
        // Asked for explicitly, the runtime's tree is there.
        assertTrue(tool.listFiles("root", "/usr").contains("/usr/local/"));
        tool.reset("root");
    }

    @Test
    void aClosedToolRefusesAndLeavesThePoolOpen() {
        PythonTool closing = PythonTool.builder().pool(pool).build();
        closing.run("s", "x = 1", null);
        closing.close();
        closing.close();
        assertThrows(IllegalStateException.class, () -> closing.run("s", "1", null));
        assertThrows(IllegalStateException.class, () -> closing.run(null, "1", null));
        assertFalse(closing.hasSession("s"));
        assertEquals("1", tool.run(null, "print(1)", null).text());
    }

    @Test
    void builderChecksItsOptions() {
        assertThrows(IllegalStateException.class, () -> PythonTool.builder().build());
        assertThrows(IllegalArgumentException.class, () -> PythonTool.builder().maxSessions(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> PythonTool.builder().maxTimeout(Duration.ZERO));
        assertThrows(
                IllegalArgumentException.class,
                () -> PythonTool.builder().sessionIdleTimeout(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> PythonTool.builder().maxLimits(null));
        assertThrows(
                IllegalArgumentException.class, () -> tool.run("s", "1", Duration.ofMillis(-1)));
        assertThrows(
                IllegalArgumentException.class,
                () -> tool.runWithLimits(null, null, ResourceLimits.defaults()));
    }
}
