package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, items 12-14 through the command: binary output, scripts as bytes, exit codes as
 * CPython's, and usage errors that name no Java class.
 */
class FidelityTest {

    @Test
    void binaryStdoutPassesUnchanged() throws IOException {
        CliRun r =
                CliRun.run("-c", "import gzip, sys; sys.stdout.buffer.write(gzip.compress(b'hi'))");
        assertEquals(0, r.exitCode, r.toString());
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.outBytes))) {
            assertEquals("hi", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void scriptsAreDecodedByPython(@TempDir Path dir) throws IOException {
        Path latin1 = dir.resolve("latin1.py");
        Files.write(
                latin1,
                "# -*- coding: latin-1 -*-\nprint('caf\u00e9')\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
        CliRun r = CliRun.run(latin1.toString());
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("caf\u00e9\n", r.out);

        Path invalid = dir.resolve("invalid.py");
        Files.write(
                invalid,
                new byte[] {'p', 'r', 'i', 'n', 't', '(', '1', ')', '\n', '#', (byte) 0xff});
        r = CliRun.run(invalid.toString());
        assertEquals(1, r.exitCode, r.toString());
        assertEquals("", r.out, "nothing runs");
        assertTrue(r.err.contains("SyntaxError"), r.toString());
    }

    @Test
    void tracebacksNameTheScriptAndShowItsLines(@TempDir Path dir) throws IOException {
        Path script = dir.resolve("job.py");
        Files.writeString(script, "def f():\n    return 1 / 0\n\nf()\n");
        CliRun r = CliRun.run(script.toString());
        assertEquals(1, r.exitCode, r.toString());
        assertTrue(r.err.contains("File \"" + script + "\", line 2, in f\n"), r.toString());
        assertTrue(r.err.contains("    return 1 / 0\n"), r.toString());

        r = CliRun.withStdin("x = 1\nraise ValueError(x)\n", false, "-");
        assertTrue(r.err.contains("File \"<stdin>\", line 2"), r.toString());
        assertTrue(r.err.contains("    raise ValueError(x)\n"), r.toString());
    }

    @Test
    void exitCodesFollowCPython() {
        assertEquals(3, CliRun.run("-c", "exit(3)").exitCode);
        assertEquals(0, CliRun.run("-c", "quit(); print('not reached')").exitCode);
        assertEquals(3, CliRun.run("-c", "import os; os._exit(3)").exitCode);
        CliRun interrupt = CliRun.run("-c", "raise KeyboardInterrupt");
        assertEquals(130, interrupt.exitCode);
        assertTrue(interrupt.err.endsWith("KeyboardInterrupt\n"), interrupt.toString());
        assertEquals(255, CliRun.run("-c", "import sys; sys.exit(2**64)").exitCode);
        assertEquals(255, CliRun.run("-c", "import sys; sys.exit(-1)").exitCode);
        CliRun memory = CliRun.run("-c", "raise MemoryError");
        assertEquals(ExitCodes.MEMORY_LIMIT, memory.exitCode, memory.toString());
        assertTrue(CliRun.run("--help").out.contains("also an uncaught MemoryError"));
    }

    @Test
    void impossibleConfigurationsAreUsageErrors(@TempDir Path dir) {
        String host = dir.toString();
        for (String[] args :
                new String[][] {
                    {"--max-memory", "16m", "-c", "pass"},
                    {"-v", host + ":/usr", "-c", "pass"},
                    {"-v", host + ":/", "-c", "pass"},
                    {"-v", host + ":/a", "-v", host + ":/a", "-c", "pass"},
                    {"--env", "FOO", "-c", "pass"},
                }) {
            CliRun r = CliRun.run(args);
            assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
            assertTrue(r.err.startsWith("eryx: "), r.toString());
            assertFalse(r.err.contains("dev.eryx"), r.toString());
            assertFalse(r.err.contains("Exception"), r.toString());
            assertFalse(r.err.contains("option option"), r.toString());
        }
    }

    @Test
    void messagesStartOnTheirOwnLineAndDurationsReadAsDurations() {
        CliRun r = CliRun.run("--max-output", "10", "-c", "print('x' * 100)");
        assertEquals(ExitCodes.OUTPUT_LIMIT, r.exitCode, r.toString());
        assertEquals("xxxxxxxxxx", r.out);
        assertTrue(r.err.startsWith("\neryx: output exceeded"), r.toString());

        r = CliRun.run("--timeout", "300ms", "-c", "while True: pass");
        assertEquals(ExitCodes.TIMEOUT, r.exitCode, r.toString());
        assertEquals("eryx: execution exceeded 300ms\n", r.err);
    }
}
