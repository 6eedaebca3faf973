package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Python exceptions, tracebacks, and failures below Python. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxFailureTest {
    private final Sandbox sandbox = Sandbox.builder().build();

    @AfterAll
    void close() {
        sandbox.close();
    }

    @Test
    void uncaughtExceptionBecomesPythonExceptionWithCPythonsTraceback() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () ->
                                sandbox.execute(
                                        "def divide(a, b):\n    return a / b\n\ndivide(1, 0)\n"));
        assertEquals("ZeroDivisionError", e.pythonType());
        assertEquals("ZeroDivisionError: division by zero", e.getMessage());
        assertEquals(
                "Traceback (most recent call last):\n"
                        + "  File \"<string>\", line 4, in <module>\n"
                        + "    divide(1, 0)\n"
                        + "    ~~~~~~^^^^^^\n"
                        + "  File \"<string>\", line 2, in divide\n"
                        + "    return a / b\n"
                        + "           ~~^~~\n"
                        + "ZeroDivisionError: division by zero\n",
                e.traceback());
        assertTrue(sandbox.isUsable());
    }

    @Test
    void exceptionInTopLevelAwaitShowsOnlyUserFrames() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () ->
                                sandbox.execute(
                                        "import asyncio\nasync def fail():\n    await asyncio.sleep(0)\n    raise ValueError('boom')\nawait fail()\n"));
        assertEquals("ValueError", e.pythonType());
        assertEquals(
                "Traceback (most recent call last):\n"
                        + "  File \"<string>\", line 5, in <module>\n"
                        + "    await fail()\n"
                        + "  File \"<string>\", line 4, in fail\n"
                        + "    raise ValueError('boom')\n"
                        + "ValueError: boom\n",
                e.traceback());
    }

    @Test
    void syntaxErrorCarriesTheLineNumber() {
        PythonException e =
                assertThrows(
                        PythonException.class, () -> sandbox.execute("x = 1\ny = 2\nprint('a'\n"));
        assertEquals("SyntaxError", e.pythonType());
        assertTrue(e.traceback().contains("File \"<string>\", line 3"), e.traceback());
        assertTrue(e.traceback().endsWith("SyntaxError: '(' was never closed\n"), e.traceback());
        assertFalse(e.traceback().contains("_runtime"), e.traceback());
    }

    @Test
    void partialResultKeepsOutputPrintedBeforeTheFailure() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () ->
                                sandbox.execute(
                                        "import sys\nprint('first')\nprint('warn', file=sys.stderr)\nraise KeyError('k')"));
        assertEquals("KeyError", e.pythonType());
        assertEquals("first\n", e.partialResult().stdout());
        assertEquals("warn\n", e.partialResult().stderr());
        assertTrue(e.partialResult().duration().toNanos() > 0);
        assertTrue(e.partialResult().stats().peakMemoryBytes() > 0);
    }

    @Test
    void exceptionsThatCannotDescribeThemselvesAreStillReported() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () ->
                                sandbox.execute(
                                        "class Weird(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise Weird()"));
        assertEquals("Weird", e.pythonType());
        assertTrue(sandbox.isUsable());
    }

    @Test
    void keyboardInterruptRaisedByTheCodeIsAnOrdinaryPythonException() {
        PythonException e =
                assertThrows(
                        PythonException.class, () -> sandbox.execute("raise KeyboardInterrupt"));
        assertEquals("KeyboardInterrupt", e.pythonType());
        assertTrue(sandbox.isUsable());
    }

    @Test
    void deepPythonRecursionIsRecursionError() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () -> sandbox.execute("def down(n):\n    return down(n + 1)\ndown(0)"));
        assertEquals("RecursionError", e.pythonType());
        assertTrue(e.traceback().contains("[Previous line repeated"), e.traceback());
        assertEquals(2, sandbox.execute("result = 2").result().asInt());
    }

    @Test
    void deepNestingInTheParserIsACleanError() {
        PythonException e =
                assertThrows(
                        PythonException.class,
                        () -> sandbox.execute("eval('(' * 200000 + ')' * 200000)"));
        assertEquals("MemoryError", e.pythonType()); // CPython: "Parser stack overflowed"
        assertEquals(2, sandbox.execute("result = 2").result().asInt());
    }

    @Test
    void nulBytesInCodeAreASyntaxError() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.execute("x = 1\0"));
        assertEquals("SyntaxError", e.pythonType());
    }

    @Test
    void osExitEndsTheInterpreterCleanly() {
        try (Sandbox exiting = Sandbox.builder().build()) {
            SandboxCrashedException e =
                    assertThrows(
                            SandboxCrashedException.class,
                            () ->
                                    exiting.execute(
                                            "import os\nprint('bye', flush=True)\nos._exit(1)"));
            assertTrue(e.getMessage().contains("os._exit(1)"), e.getMessage());
            assertNotNull(e.partialResult());
            assertEquals("bye\n", e.partialResult().stdout());
            assertFalse(exiting.isUsable());
            assertThrows(IllegalStateException.class, () -> exiting.execute("x = 1"));
        }
    }
}
