package dev.eryx.internal.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.CompiledCodeCache;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The compiled-code cache (docs/performance.md "Round 2", lever 6): what it serves is what the
 * guest would have compiled, only its own compiler fills it, what must not be cached is not, and
 * only the sandboxes given the same cache share it. A hit is seen as the guest sees it: an audit
 * hook counts the runtime's {@code marshal.loads} (it loads a hit with it).
 */
class CodeCacheTest {
    private static final String HOOK =
            """
            import sys
            _eryx_loads = [0]
            def _eryx_hook(event, args):
                # The runtime's _load, not an import's .pyc (a module imported lazily).
                if event == 'marshal.loads' and sys._getframe(1).f_code.co_name == '_load':
                    _eryx_loads[0] += 1
            sys.addaudithook(_eryx_hook)
            """;

    private static final AtomicInteger PROBES = new AtomicInteger();

    private static Sandbox sandbox(CompiledCodeCache cache) {
        Sandbox sandbox = Sandbox.builder().codeCache(cache).build();
        sandbox.execute(HOOK);
        return sandbox;
    }

    private static int loads(Sandbox sandbox) {
        // A source of its own each time: seen once, never served.
        return sandbox.execute("result = _eryx_loads[0]  # " + PROBES.incrementAndGet())
                .result()
                .asInt();
    }

    /** Whether running {@code run} in {@code sandbox} was served from the cache. */
    private static boolean served(Sandbox sandbox, Runnable run) {
        int before = loads(sandbox);
        run.run();
        return loads(sandbox) > before;
    }

    private static boolean served(Sandbox sandbox, String code) {
        return served(sandbox, () -> sandbox.execute(code));
    }

    /** Runs {@code run} until it is served from the cache (compiled on the second sighting). */
    private static boolean awaitServed(Sandbox sandbox, Runnable run) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (served(sandbox, run)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static boolean awaitServed(Sandbox sandbox, String code) throws InterruptedException {
        return awaitServed(sandbox, () -> sandbox.execute(code));
    }

    private static String unique(String code) {
        return code + "  # " + UUID.randomUUID();
    }

    @Test
    void aRepeatedSourceIsServedCompiledAndBehavesAlike() throws Exception {
        String code = unique("x = [i * i for i in range(4)]\nprint(sum(x))\nresult = x");
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            assertFalse(served(sandbox, code), "seen once: compiled by the guest");
            assertTrue(awaitServed(sandbox, code));
            ExecutionResult[] served = new ExecutionResult[1];
            assertTrue(served(sandbox, () -> served[0] = sandbox.execute(code)));
            assertEquals("14\n", served[0].stdout());
            assertEquals("[0,1,4,9]", served[0].result().toString());
        }
    }

    @Test
    void onlySandboxesGivenTheSameCacheShareIt() throws Exception {
        String code = unique("print('shared?')");
        try (CompiledCodeCache first = CompiledCodeCache.create();
                CompiledCodeCache second = CompiledCodeCache.create();
                Sandbox a = sandbox(first);
                Sandbox b = sandbox(first);
                Sandbox c = sandbox(second);
                Sandbox lone = sandbox(null)) {
            assertTrue(awaitServed(a, code));
            assertTrue(served(b, code), "same cache");
            for (int i = 0; i < 2; i++) {
                assertFalse(served(c, code), "another cache");
                assertFalse(served(lone, code), "no cache");
            }
        }
    }

    @Test
    void tracebacksOfCachedCodeShowTheSourceLines() throws Exception {
        String code = unique("def f():\n    raise ValueError('boom')\nf()");
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            Runnable run = () -> assertThrows(PythonException.class, () -> sandbox.execute(code));
            assertTrue(awaitServed(sandbox, run));
            PythonException error =
                    assertThrows(PythonException.class, () -> sandbox.execute(code));
            assertTrue(error.traceback().contains("raise ValueError('boom')"), error.traceback());
            assertTrue(error.traceback().contains("line 2, in f"), error.traceback());
        }
    }

    @Test
    void sourcesThatWarnFailOrBreakTheCompilerAreNeverCachedAndTheCacheCarriesOn()
            throws Exception {
        String warns = unique("x = '\\d'\nprint(len(x))");
        String fails = unique("def (:");
        String tooDeep = unique("x = " + "(".repeat(5000) + "1" + ")".repeat(5000));
        String big = "# " + "é".repeat(CodeCache.MAX_SOURCE_BYTES / 2 + 1) + "\nprint('big')";
        String control = unique("print('control')");
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            var first = sandbox.execute(warns);
            assertTrue(first.stderr().contains("SyntaxWarning"), first.stderr());
            assertEquals("2\n", sandbox.execute(warns).stdout());
            for (String bad : List.of(fails, tooDeep)) {
                for (int i = 0; i < 2; i++) {
                    assertThrows(PythonException.class, () -> sandbox.execute(bad));
                }
            }
            for (int i = 0; i < 2; i++) {
                assertEquals("big\n", sandbox.execute(big).stdout());
            }
            // Queued after them (the queue is FIFO): once it is served, they have been compiled.
            assertTrue(awaitServed(sandbox, control), "compiles on after failures");
            assertFalse(served(sandbox, warns));
            var again = sandbox.execute(warns);
            assertTrue(again.stderr().contains("SyntaxWarning"), again.stderr());
            for (String bad : List.of(fails, tooDeep)) {
                assertFalse(
                        served(
                                sandbox,
                                () ->
                                        assertThrows(
                                                PythonException.class,
                                                () -> sandbox.execute(bad))));
            }
            assertFalse(served(sandbox, big), "over 256 KiB in UTF-8, though not in chars");
        }
    }

    @Test
    void userCodeCannotPoisonAnotherSandboxsCode() throws Exception {
        String victim = unique("print('hello')");
        try (CompiledCodeCache cache = CompiledCodeCache.create()) {
            // A tenant makes its interpreter's compile() and marshal.dumps lie, then runs the
            // victim's source until it is cached.
            try (Sandbox attacker = sandbox(cache)) {
                attacker.execute(
                        "import builtins, marshal\n"
                                + "_real = builtins.compile\n"
                                + "def _evil(source, filename, mode, *a, **k):\n"
                                + "    return _real(\"print('pwned')\", filename, mode, *a, **k)\n"
                                + "builtins.compile = _evil\n"
                                + "marshal.dumps = lambda *a, **k: b'pwned'");
                // The runtime's compile() is its own: a hit and a miss behave alike.
                assertEquals("hello\n", attacker.execute(victim).stdout());
                assertTrue(awaitServed(attacker, victim));
            }
            try (Sandbox other = sandbox(cache)) {
                ExecutionResult[] result = new ExecutionResult[1];
                assertTrue(served(other, () -> result[0] = other.execute(victim)));
                assertEquals("hello\n", result[0].stdout());
            }
        }
    }

    @Test
    void aSandboxFromASavedStateNeitherReadsNorFillsTheCache() throws Exception {
        String code = unique("print(2)");
        String fresh = unique("print(3)");
        String control = unique("print('control')");
        try (CompiledCodeCache cache = CompiledCodeCache.create()) {
            byte[] state;
            try (Sandbox sandbox = sandbox(cache)) {
                assertTrue(awaitServed(sandbox, code));
                state = sandbox.saveState(); // the hook comes along
            }
            try (Sandbox restored = Sandbox.builder().codeCache(cache).restoreFrom(state).build()) {
                for (int i = 0; i < 3; i++) {
                    assertFalse(served(restored, code));
                    restored.execute(fresh); // would be queued by a sandbox using the cache
                }
            }
            try (Sandbox sandbox = sandbox(cache)) {
                // Queued after anything the restored one could have queued (FIFO).
                assertTrue(awaitServed(sandbox, control));
                assertFalse(served(sandbox, fresh), "the restored sandbox's lookups went nowhere");
            }
        }
    }

    @Test
    void aScriptWithACodingCookieAndAFileNameIsServed() throws Exception {
        byte[] script =
                unique(
                                "# -*- coding: latin-1 -*-\nimport sys\nprint('caf\u00e9')\n"
                                        + "result = sys._getframe().f_code.co_filename")
                        .getBytes(StandardCharsets.ISO_8859_1);
        String name = "job\r\n.py"; // the compiler gets it unchanged
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            assertTrue(awaitServed(sandbox, () -> sandbox.execute(script, name)));
            ExecutionResult[] result = new ExecutionResult[1];
            assertTrue(served(sandbox, () -> result[0] = sandbox.execute(script, name)));
            assertEquals("caf\u00e9\n", result[0].stdout());
            assertEquals(name, result[0].result().asText());
            assertFalse(
                    served(sandbox, () -> sandbox.execute(script, "other.py")),
                    "the file name is part of the key");
        }
    }

    @Test
    void topLevelAwaitAndFutureImportsSurviveTheCache() throws Exception {
        String awaits = unique("async def f():\n    return 5\nresult = await f()");
        String future =
                unique(
                        "from __future__ import annotations\n"
                                + "def f(x: not_defined) -> int:\n"
                                + "    return 1\n"
                                + "result = f.__annotations__['x']");
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            assertTrue(awaitServed(sandbox, awaits));
            ExecutionResult[] result = new ExecutionResult[1];
            assertTrue(served(sandbox, () -> result[0] = sandbox.execute(awaits)));
            assertEquals(5, result[0].result().asInt());
            assertTrue(awaitServed(sandbox, future));
            assertTrue(served(sandbox, () -> result[0] = sandbox.execute(future)));
            assertEquals("not_defined", result[0].result().asText());
        }
    }

    @Test
    void aChangedIntDigitsLimitCompilesInTheGuest() throws Exception {
        String code = unique("x = " + "9".repeat(3000));
        try (CompiledCodeCache cache = CompiledCodeCache.create();
                Sandbox sandbox = sandbox(cache)) {
            assertTrue(awaitServed(sandbox, code));
            sandbox.execute("import sys; sys.set_int_max_str_digits(2000)");
            // Compiled here, where it fails as it must.
            assertFalse(
                    served(
                            sandbox,
                            () ->
                                    assertThrows(
                                            PythonException.class, () -> sandbox.execute(code))));
            sandbox.execute("sys.set_int_max_str_digits(sys.int_info.default_max_str_digits)");
            assertTrue(served(sandbox, code));
        }
    }

    @Test
    void severalSandboxesAreServedAtOnce() throws Exception {
        String code = unique("result = sum(range(10))");
        try (CompiledCodeCache cache = CompiledCodeCache.create()) {
            List<Sandbox> sandboxes = new ArrayList<>();
            ExecutorService threads = Executors.newFixedThreadPool(3);
            try {
                for (int i = 0; i < 3; i++) {
                    sandboxes.add(sandbox(cache));
                }
                List<Future<Boolean>> all = new ArrayList<>();
                for (Sandbox sandbox : sandboxes) {
                    Supplier<Boolean> served =
                            () -> {
                                try {
                                    return awaitServed(sandbox, code)
                                            && served(sandbox, code)
                                            && sandbox.execute(code).result().asInt() == 45;
                                } catch (InterruptedException e) {
                                    return false;
                                }
                            };
                    all.add(threads.submit(served::get));
                }
                for (Future<Boolean> each : all) {
                    assertTrue(each.get());
                }
            } finally {
                threads.shutdownNow();
                sandboxes.forEach(Sandbox::close);
            }
        }
    }

    @Test
    void aClosedCacheServesNothing() throws Exception {
        String code = unique("print(4)");
        CompiledCodeCache cache = CompiledCodeCache.create();
        try (Sandbox sandbox = sandbox(cache)) {
            assertTrue(awaitServed(sandbox, code));
            cache.close();
            assertFalse(served(sandbox, code));
            assertEquals("4\n", sandbox.execute(code).stdout());
        }
    }

    @Test
    void scriptsAreKeyedByTheirBytesAndFileName() {
        try (CodeCache cache = new CodeCache()) {
            byte[] source = "print(1)".getBytes(StandardCharsets.UTF_8);
            CodeCache.Key text = cache.key(source, null, "<string>");
            CodeCache.Key bytes = cache.key(null, source, "<string>");
            CodeCache.Key named = cache.key(null, source, "a.py");
            assertNotEquals(text, bytes);
            assertNotEquals(bytes, named);
            assertEquals(named, cache.key(null, source.clone(), "a.py"));
            assertNotEquals(cache.key(null, source, "a\r.py"), cache.key(null, source, "a\n.py"));
        }
    }

    @Test
    void textWithALoneSurrogateIsNotEvenLookedUp() {
        try (CodeCache cache = new CodeCache()) {
            String lone = unique("x = '\ud800'");
            for (int i = 0; i < 3; i++) {
                assertNull(cache.lookup(lone, null, "<string>"));
                assertNull(cache.lookup("x = 1", null, "a\udc00.py"));
            }
            assertEquals(0, cache.counts()[1], "no misses counted: refused before the key");
        }
    }
}
