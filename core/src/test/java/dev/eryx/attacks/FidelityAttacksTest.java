package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.InterpreterExitException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxCrashedException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What users meet first (issue 15, items 12-14): binary output, scripts given as bytes, exit codes
 * as CPython's, plain errors for impossible configurations, and exceptions that say where the
 * caller was. Each must leave the attacked sandbox and the bystander intact.
 */
class FidelityAttacksTest extends SharedVictimAttacks {
    private final ByteArrayOutputStream liveStdout = new ByteArrayOutputStream();

    @Override
    Sandbox newVictim() {
        return Sandbox.builder()
                .stdoutBytes(bytes -> liveStdout.write(bytes, 0, bytes.length))
                .build();
    }

    @Test
    void binaryStdoutComesBackByteForByte() throws IOException {
        bystander.alongside(
                () -> {
                    liveStdout.reset();
                    ExecutionResult r =
                            sandbox.execute(
                                    "import gzip, sys\n"
                                            + "sys.stdout.buffer.write(gzip.compress(b'hi', mtime=0))\n"
                                            + "sys.stdout.buffer.write(bytes(range(256)))\n");
                    byte[] out = r.stdoutBytes();
                    assertArrayEquals(out, liveStdout.toByteArray(), "the live listener's bytes");
                    byte[] tail = Arrays.copyOfRange(out, out.length - 256, out.length);
                    for (int i = 0; i < 256; i++) {
                        assertEquals((byte) i, tail[i]);
                    }
                    byte[] gzip = Arrays.copyOf(out, out.length - 256);
                    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
                        assertEquals("hi", new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                    assertTrue(r.stdout().contains("\uFFFD"), "the String form still replaces");
                    assertEquals(0, r.stderrBytes().length);
                });
    }

    @Test
    void scriptBytesAreDecodedAsCPythonDecodesAFile() {
        bystander.alongside(
                () -> {
                    byte[] latin1 =
                            "# -*- coding: latin-1 -*-\nresult = 'caf\u00e9'\n"
                                    .getBytes(StandardCharsets.ISO_8859_1);
                    assertEquals("caf\u00e9", sandbox.execute(latin1, "cafe.py").result().asText());
                    byte[] bom = "\uFEFFresult = '\u00e9'".getBytes(StandardCharsets.UTF_8);
                    assertEquals("\u00e9", sandbox.execute(bom, "bom.py").result().asText());

                    byte[] invalid = {'x', ' ', '=', ' ', '"', (byte) 0xff, '"', '\n'};
                    PythonException e =
                            assertThrows(
                                    PythonException.class,
                                    () -> sandbox.execute(invalid, "bad.py"));
                    assertEquals("SyntaxError", e.pythonType());
                    assertTrue(e.traceback().contains("bad.py"), e.traceback());
                });
    }

    @Test
    void tracebacksNameTheScriptAndShowItsLines() {
        byte[] script =
                "def divide():\n    return 1 / 0\n\ndivide()\n".getBytes(StandardCharsets.UTF_8);
        PythonException e =
                assertThrows(PythonException.class, () -> sandbox.execute(script, "job.py"));
        assertTrue(e.traceback().contains("File \"job.py\", line 4, in <module>"), e.traceback());
        assertTrue(e.traceback().contains("File \"job.py\", line 2, in divide"), e.traceback());
        assertTrue(e.traceback().contains("    return 1 / 0\n"), e.traceback());

        // Code given as text shows its lines too, and a function defined by an earlier execution
        // keeps its own although every execution is "<string>".
        sandbox.execute("def earlier():\n    raise ValueError('from earlier')\n");
        PythonException later =
                assertThrows(PythonException.class, () -> sandbox.execute("x = 1\nearlier()"));
        assertTrue(later.traceback().contains("    earlier()\n"), later.traceback());
        assertTrue(
                later.traceback().contains("    raise ValueError('from earlier')\n"),
                later.traceback());
    }

    @Test
    void exitAndQuitWorkAsInCPython() {
        ExecutionResult exit = sandbox.execute("exit(3)");
        assertEquals(3, exit.exitCode());
        assertTrue(exit.exited());
        ExecutionResult quit = sandbox.execute("quit()");
        assertEquals(0, quit.exitCode());
        assertTrue(quit.exited());
        assertFalse(sandbox.execute("x = 1").exited());
        assertEquals("Use exit() or Ctrl-D (i.e. EOF) to exit", attemptRepr("exit"));
        // CPython: a C long long truncated to int; -1 when it does not fit.
        assertEquals(-1, sandbox.execute("import sys; sys.exit(2**64)").exitCode());
        assertEquals(256, sandbox.execute("import sys; sys.exit(256)").exitCode());
        assertEquals(-1, sandbox.execute("import sys; sys.exit(2**32 - 1)").exitCode());
        assertEquals(1, sandbox.execute("import sys; sys.exit('bye')").exitCode());
        // stdin stays open for later executions (site's Quitter would close it).
        assertFalse(sandbox.execute("import sys; result = sys.stdin.closed").result().asBoolean());
    }

    private String attemptRepr(String name) {
        return sandbox.execute("result = repr(" + name + ")").result().asText();
    }

    @Test
    void osExitReportsItsStatus() {
        try (Sandbox own = Sandbox.builder().build()) {
            bystander.alongside(
                    () -> {
                        InterpreterExitException e =
                                assertThrows(
                                        InterpreterExitException.class,
                                        () -> own.execute("import os; os._exit(3)"));
                        assertEquals(3, e.exitCode());
                        assertTrue(e instanceof SandboxCrashedException);
                    });
            assertFalse(own.isUsable());
        }
    }

    @Test
    void aClosedSandboxSaysItIsClosed() {
        Sandbox own = Sandbox.builder().build();
        own.close();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> own.execute("x = 1"));
        assertEquals("the sandbox is closed", e.getMessage());
        Sandbox exited = Sandbox.builder().build();
        assertThrows(
                InterpreterExitException.class, () -> exited.execute("import os; os._exit(0)"));
        exited.close();
        e = assertThrows(IllegalStateException.class, () -> exited.execute("x = 1"));
        assertEquals("the sandbox is closed", e.getMessage());
    }

    @Test
    void exceptionsCarryTheCallersStack() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.execute("1/0"));
        assertTrue(
                Arrays.stream(e.getSuppressed())
                        .flatMap(s -> Arrays.stream(s.getStackTrace()))
                        .anyMatch(
                                frame ->
                                        frame.getMethodName()
                                                .contains("exceptionsCarryTheCallersStack")),
                "the caller's frames are attached");
        assertEquals("ZeroDivisionError", e.pythonType(), "the type callers catch on is kept");
    }

    @Test
    void timeoutsReadAsDurations() {
        ResourceLimits quick =
                ResourceLimits.defaults().toBuilder()
                        .executionTimeout(Duration.ofMillis(300))
                        .build();
        ExecutionTimeoutException e =
                assertThrows(
                        ExecutionTimeoutException.class,
                        () -> sandbox.execute("while True: pass", quick));
        assertEquals("execution exceeded 300ms", e.getMessage());
    }

    @Test
    void impossibleConfigurationsArePlainErrors(@TempDir Path dir) {
        assertPlain(() -> Sandbox.builder().mount(dir, "/", true));
        assertPlain(() -> Sandbox.builder().mount(dir, "/a", true).mount(dir, "/a/", true));
        assertPlain(() -> Sandbox.builder().mount(dir, "/a", true).mount(dir, "/a/b", true));
        assertPlain(() -> Sandbox.builder().mount(dir, "/usr", true).build().close());
        assertPlain(
                () ->
                        Sandbox.builder()
                                .resourceLimits(
                                        ResourceLimits.defaults().toBuilder()
                                                .maxMemoryBytes(16L << 20)
                                                .build())
                                .build()
                                .close());
    }

    private static void assertPlain(org.junit.jupiter.api.function.Executable configure) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, configure);
        assertFalse(e.getMessage().contains("dev.eryx"), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }
}
