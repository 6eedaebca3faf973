package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionResult;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code Sandbox.saveState()} and {@code Sandbox.builder().restoreFrom(...)}. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SavedStateTest {
    private static final String SESSION =
            String.join(
                    "\n",
                    "import fractions, collections",
                    "class Point:",
                    "    def __init__(self, x, y):",
                    "        self.x, self.y = x, y",
                    "    def norm1(self):",
                    "        return abs(self.x) + abs(self.y)",
                    "p = Point(3, -4)",
                    "third = fractions.Fraction(1, 3)",
                    "counts = collections.Counter('abracadabra')",
                    "import os",
                    "os.makedirs('/tmp/work/empty', exist_ok=True)",
                    "with open('/tmp/work/notes.txt', 'w') as f:",
                    "    f.write('kept across restore')",
                    "def greet(name):",
                    "    return 'hello ' + name");

    private static final String CHECK =
            String.join(
                    "\n",
                    "import sys, os",
                    "result = [p.norm1(), str(third + third), counts['a'], greet('eryx'),",
                    "          'fractions' in sys.modules, type(p).__name__,",
                    "          open('/tmp/work/notes.txt').read(), os.path.isdir('/tmp/work/empty'),",
                    "          os.environ.get('WHERE')]");

    @Test
    void aSavedSessionContinuesInAFreshSandbox() {
        byte[] state;
        try (Sandbox original = Sandbox.builder().env("WHERE", "original").build()) {
            original.execute(SESSION);
            state = original.saveState();
            // The original goes on unaffected.
            assertEquals(7, original.execute("result = p.norm1()").result().asInt());
        }
        assertTrue(state.length < 16 << 20, "state is compressed: " + state.length + " bytes");
        try (Sandbox restored =
                Sandbox.builder().env("WHERE", "restored").restoreFrom(state).build()) {
            ExecutionResult r = restored.execute(CHECK);
            assertEquals(
                    "[7,\"2/3\",5,\"hello eryx\",true,\"Point\",\"kept across restore\",true,\"restored\"]",
                    r.result().toString());
            assertArrayEquals(
                    "kept across restore".getBytes(StandardCharsets.UTF_8),
                    restored.files().read("/tmp/work/notes.txt"));
            // It keeps going, and can be saved again.
            restored.execute("p.x = 10");
            byte[] again = restored.saveState();
            try (Sandbox third = Sandbox.builder().restoreFrom(again).build()) {
                assertEquals(14, third.execute("result = p.norm1()").result().asInt());
            }
        }
        // The same bytes restore any number of independent sandboxes.
        try (Sandbox a = Sandbox.builder().restoreFrom(state).build();
                Sandbox b = Sandbox.builder().restoreFrom(state).build()) {
            a.execute("p.x = 100");
            assertEquals(7, b.execute("result = p.norm1()").result().asInt());
            assertEquals(104, a.execute("result = p.norm1()").result().asInt());
        }
    }

    @Test
    void emptyDirectoriesAreRestoredAgainAfterAResetButNeverInsideAMount(@TempDir Path host)
            throws Exception {
        byte[] state;
        try (Sandbox original = Sandbox.builder().build()) {
            original.execute(
                    "import os\n"
                            + "os.makedirs('/tmp/a/b/empty')\n"
                            + "os.makedirs('/data/empty')");
            state = original.saveState();
        }
        try (Sandbox restored =
                Sandbox.builder().mount(host, "/data", false).restoreFrom(state).build()) {
            String check = "import os\nresult = os.path.isdir('/tmp/a/b/empty')";
            assertTrue(restored.execute(check).result().asBoolean());
            restored.execute("import os\nos.rmdir('/tmp/a/b/empty')");
            assertTrue(restored.reset());
            assertTrue(restored.execute(check).result().asBoolean(), "recreated by the reset");
            // What lies below a mount point is the mount's: nothing is created on the host.
            try (Stream<Path> entries = Files.list(host)) {
                assertEquals(0, entries.count());
            }
        }
    }

    @Test
    void corruptTruncatedAndForeignStatesAreRefusedClearly() {
        byte[] state;
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.execute("x = 42");
            state = sandbox.saveState();
        }
        assertRefused(new byte[0], "not an eryx saved state");
        assertRefused(
                "hello world, this is not a state at all........................"
                        .getBytes(StandardCharsets.UTF_8),
                "not an eryx saved state");
        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        assertRefused(garbage, "not an eryx saved state");
        assertRefused(Arrays.copyOf(state, state.length / 2), "truncated");
        assertRefused(Arrays.copyOf(state, 60), "truncated");

        byte[] flipped = state.clone();
        flipped[flipped.length / 2] ^= 0x5a;
        assertRefused(flipped, "corrupt");

        byte[] foreign = state.clone();
        foreign[8 + 2 + 2 + 5] ^= 1; // a byte of the module identity (docs/saved-state.md)
        assertRefused(foreign, "different build");

        byte[] future = state.clone();
        future[9] = 99; // format version
        assertRefused(future, "format version");

        byte[] version1 = state.clone();
        version1[9] = 1;
        assertRefused(version1, "format 1 is no longer supported");

        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().restoreFrom(null));
        // The intact state still restores.
        try (Sandbox ok = Sandbox.builder().restoreFrom(state).build()) {
            assertEquals(42, ok.execute("result = x").result().asInt());
        }
    }

    private static void assertRefused(byte[] state, String expected) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Sandbox.builder().restoreFrom(state).build());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }
}
