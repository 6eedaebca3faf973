package dev.eryx.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.MountMode;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real value of a secret never leaves the sandbox in output, results, errors, the ledger or
 * host files. A host callback handing the guest the value is how a guest could get it at all.
 */
class SecretsRedactionTest {
    private static final String VALUE = "sk-live-0123456789abcdef";

    private static Sandbox.Builder builder() {
        return Sandbox.builder()
                .secret(Secret.of("API_KEY", VALUE).forHosts("api.example.com"))
                .callback(Callback.of("leak", "returns the real value", args -> VALUE));
    }

    @Test
    void theGuestSeesAPlaceholderOfTheSameLength() {
        try (Sandbox sandbox = builder().build()) {
            ExecutionResult r = sandbox.execute("import os\nresult = os.environ['API_KEY']");
            String placeholder = r.result().asText();
            assertEquals(VALUE.length(), placeholder.length());
            assertTrue(placeholder.startsWith("ERYX_"), placeholder);
            assertFalse(placeholder.contains(VALUE));
        }
    }

    @Test
    void aSeededSandboxGetsTheSamePlaceholderEveryTime() {
        String[] seen = new String[2];
        for (int i = 0; i < 2; i++) {
            try (Sandbox sandbox = builder().randomSeed(42).build()) {
                seen[i] =
                        sandbox.execute("import os\nresult = os.environ['API_KEY']")
                                .result()
                                .asText();
            }
        }
        assertEquals(seen[0], seen[1]);
    }

    @Test
    void stdoutStderrAndTheResultAreRedactedAlsoAcrossWrites() {
        List<String> streamed = Collections.synchronizedList(new ArrayList<>());
        try (Sandbox sandbox = builder().stdout(streamed::add).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import sys, eryx",
                                    "v = await eryx.tools.leak()",
                                    "print('key:', v)",
                                    "for c in v: sys.stdout.write(c); sys.stdout.flush()",
                                    "print()",
                                    "sys.stderr.write(v[:5]); sys.stderr.flush(); sys.stderr.write(v[5:] + '!')",
                                    "result = {'k': v, v: [v, 'x' + v]}"));
            assertEquals("key: [REDACTED]\n[REDACTED]\n", r.stdout());
            assertEquals("[REDACTED]!", r.stderr());
            assertEquals(
                    "{\"k\":\"[REDACTED]\",\"[REDACTED]\":[\"[REDACTED]\",\"x[REDACTED]\"]}",
                    r.result().toString());
            assertFalse(String.join("", streamed).contains(VALUE), streamed.toString());
            assertTrue(String.join("", streamed).contains("[REDACTED]"), streamed.toString());
        }
    }

    @Test
    void errorMessagesAndTracebacksAreRedacted() {
        try (Sandbox sandbox = builder().build()) {
            PythonException e =
                    assertThrows(
                            PythonException.class,
                            () ->
                                    sandbox.execute(
                                            "import eryx\nv = await eryx.tools.leak()\n"
                                                    + "raise ValueError('bad key ' + v)"));
            assertFalse(e.getMessage().contains(VALUE), e.getMessage());
            assertFalse(e.traceback().contains(VALUE), e.traceback());
            assertTrue(e.getMessage().contains("[REDACTED]"), e.getMessage());
        }
    }

    @Test
    void theLedgerAndHostFilesAreRedacted(@TempDir Path dir) throws Exception {
        try (Sandbox sandbox = builder().mount(dir, "/out", MountMode.READ_WRITE).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import eryx",
                                    "v = await eryx.tools.leak()",
                                    "with open('/out/a.txt', 'w') as f:",
                                    "    f.write('<' + v[:7]); f.flush(); f.write(v[7:] + '>')",
                                    "with open('/tmp/' + v, 'w') as f:",
                                    "    f.write('x')",
                                    "with open('/out/b.bin', 'wb', buffering=0) as f:",
                                    "    for b in ('ab' + v + v + 'cd').encode(): f.write(bytes([b]))"));
            byte[] a = Files.readAllBytes(dir.resolve("a.txt"));
            assertEquals(VALUE.length() + 2, a.length, "the file keeps its size");
            assertEquals("<[REDACTED]**************>", new String(a, StandardCharsets.UTF_8));
            String b = Files.readString(dir.resolve("b.bin"));
            assertEquals("ab[REDACTED]**************[REDACTED]**************cd", b);
            for (Effect effect : r.effects()) {
                assertFalse(effect.toString().contains(VALUE), effect.toString());
            }
            assertTrue(
                    r.effects().stream().anyMatch(e -> e.target().equals("/tmp/[REDACTED]")),
                    r.effects().toString());
        }
    }

    @Test
    void aStagedCommitWritesTheHostFileRedacted(@TempDir Path dir) throws Exception {
        try (Sandbox sandbox = builder().mount(dir, "/work", MountMode.STAGED).build()) {
            sandbox.execute(
                    String.join(
                            "\n",
                            "import eryx",
                            "v = await eryx.tools.leak()",
                            "with open('/work/key.txt', 'w') as f:",
                            "    f.write('[' + v + ']')"));
            sandbox.files().commit();
            byte[] written = Files.readAllBytes(dir.resolve("key.txt"));
            assertEquals(VALUE.length() + 2, written.length, "the file keeps its size");
            assertFalse(new String(written, StandardCharsets.UTF_8).contains(VALUE));
            assertTrue(new String(written, StandardCharsets.UTF_8).startsWith("[[REDACTED]"));
        }
    }
}
