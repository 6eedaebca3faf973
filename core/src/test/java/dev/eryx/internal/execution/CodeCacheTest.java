package dev.eryx.internal.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The compiled-code cache (docs/performance.md "Round 2", lever 6): what it serves is what the
 * guest would have compiled, only its own compiler fills it, and what must not be cached is not.
 * Every test uses sources of its own (a unique comment): the default image's cache is shared by the
 * whole test JVM.
 */
class CodeCacheTest {
    private static CodeCache cache() {
        return CodeCache.of(DefaultImage.get(), null);
    }

    /** Runs {@code code} until the cache serves it (it is compiled on the second sighting). */
    private static byte[] awaitEntry(Sandbox sandbox, String code) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] found = cache().lookupOnly(code, null, "<string>");
            if (found != null) {
                return found;
            }
            sandbox.execute(code);
            Thread.sleep(20);
        }
        return null;
    }

    private static String unique(String code) {
        return code + "  # " + UUID.randomUUID();
    }

    @Test
    void aRepeatedSourceIsServedCompiledAndBehavesAlike() throws Exception {
        String code = unique("x = [i * i for i in range(4)]\nprint(sum(x))\nresult = x");
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertEquals("14\n", sandbox.execute(code).stdout());
            assertNotNull(awaitEntry(sandbox, code), "the second sighting caches it");
            long hitsBefore = cache().counts()[0];
            var served = sandbox.execute(code);
            assertTrue(cache().counts()[0] > hitsBefore, "served from the cache");
            assertEquals("14\n", served.stdout());
            assertEquals("[0,1,4,9]", served.result().toString());
        }
    }

    @Test
    void tracebacksOfCachedCodeShowTheSourceLines() throws Exception {
        String code = unique("def f():\n    raise ValueError('boom')\nf()");
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertThrows(PythonException.class, () -> sandbox.execute(code));
            assertThrows(PythonException.class, () -> sandbox.execute(code));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (cache().lookupOnly(code, null, "<string>") == null
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertNotNull(cache().lookupOnly(code, null, "<string>"));
            PythonException error =
                    assertThrows(PythonException.class, () -> sandbox.execute(code));
            assertTrue(error.traceback().contains("raise ValueError('boom')"), error.traceback());
            assertTrue(error.traceback().contains("line 2, in f"), error.traceback());
        }
    }

    @Test
    void sourcesThatWarnOrFailAreNeverCached() throws Exception {
        String warns = unique("x = '\\d'\nprint(len(x))");
        String fails = unique("def (:");
        try (Sandbox sandbox = Sandbox.builder().build()) {
            var first = sandbox.execute(warns);
            assertTrue(first.stderr().contains("SyntaxWarning"), first.stderr());
            for (int i = 0; i < 4; i++) {
                assertEquals("2\n", sandbox.execute(warns).stdout());
                PythonException error =
                        assertThrows(PythonException.class, () -> sandbox.execute(fails));
                assertEquals("SyntaxError", error.pythonType());
                Thread.sleep(200); // time for a background compilation to have stored them
            }
        }
        assertNull(cache().lookupOnly(warns, null, "<string>"));
        assertNull(cache().lookupOnly(fails, null, "<string>"));
    }

    @Test
    void userCodeCannotPoisonAnotherSandboxsCode() throws Exception {
        String victim = unique("print('hello')");
        // A tenant makes its own interpreter compile everything to other code, then runs the
        // victim's source often enough to have it cached.
        try (Sandbox attacker = Sandbox.builder().build()) {
            attacker.execute(
                    "import builtins, marshal\n"
                            + "_real = builtins.compile\n"
                            + "def _evil(source, filename, mode, *a, **k):\n"
                            + "    return _real(\"print('pwned')\", filename, mode, *a, **k)\n"
                            + "builtins.compile = _evil\n"
                            + "marshal.dumps = lambda *a, **k: b'pwned'");
            assertEquals("pwned\n", attacker.execute(victim).stdout()); // its own business
            assertNotNull(awaitEntry(attacker, victim));
        }
        try (Sandbox other = Sandbox.builder().build()) {
            assertEquals("hello\n", other.execute(victim).stdout());
        }
    }

    @Test
    void aSandboxFromASavedStateNeitherReadsNorFillsTheCache() throws Exception {
        String code = unique("print(2)");
        byte[] state;
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertNotNull(awaitEntry(sandbox, code));
            // Without its runtime's compile() it can only run what the cache would serve.
            sandbox.execute("import builtins; builtins.compile = None");
            state = sandbox.saveState();
        }
        long[] before = cache().counts();
        try (Sandbox restored = Sandbox.builder().restoreFrom(state).build()) {
            for (int i = 0; i < 3; i++) {
                assertThrows(PythonException.class, () -> restored.execute(code));
            }
        }
        long[] after = cache().counts();
        assertEquals(before[0], after[0], "no hits");
        assertEquals(before[1], after[1], "no misses");
    }

    @Test
    void scriptsAreKeyedByTheirBytesAndFileName() {
        CodeCache cache = cache();
        byte[] source = "print(1)".getBytes(StandardCharsets.UTF_8);
        CodeCache.Key text = cache.key("print(1)", null, "<string>");
        CodeCache.Key bytes = cache.key(null, source, "<string>");
        CodeCache.Key named = cache.key(null, source, "a.py");
        assertNotEquals(text, bytes);
        assertNotEquals(bytes, named);
        assertEquals(named, cache.key(null, source.clone(), "a.py"));
        assertNotEquals(
                cache.key("x = '\ud800'", null, "<string>"),
                cache.key("x = '?'", null, "<string>"));
    }

    @Test
    void textWithALoneSurrogateAndOversizedSourcesAreNotCached() throws Exception {
        CodeCache cache = cache();
        String lone = unique("x = '\ud800'");
        for (int i = 0; i < 3; i++) {
            assertNull(cache.lookup(lone, null, "<string>"));
        }
        String big = "#" + "x".repeat(CodeCache.MAX_SOURCE_BYTES);
        for (int i = 0; i < 3; i++) {
            assertNull(cache.lookup(big, null, "<string>"));
        }
        Thread.sleep(500);
        assertNull(cache.lookupOnly(lone, null, "<string>"));
        assertNull(cache.lookupOnly(big, null, "<string>"));
    }
}
