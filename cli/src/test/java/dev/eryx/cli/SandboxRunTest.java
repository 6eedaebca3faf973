package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real sandbox through the command; each test boots one sandbox. */
class SandboxRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void successStreamsOutput() {
        CliRun r =
                CliRun.run(
                        "-c",
                        "import sys\nprint('hello')\nprint('warn', file=sys.stderr)\nprint(sys.argv)",
                        "a1");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("hello\n['-c', 'a1']\n", r.out);
        assertEquals("warn\n", r.err);
    }

    @Test
    void uncaughtExceptionExitsWith1AndPrintsTheTraceback() {
        CliRun r = CliRun.run("-c", "print('before')\nraise ValueError('x')");
        assertEquals(1, r.exitCode, r.toString());
        assertEquals("before\n", r.out);
        assertTrue(r.err.startsWith("Traceback (most recent call last):\n"), r.toString());
        assertTrue(r.err.endsWith("ValueError: x\n"), r.toString());
    }

    @Test
    void subcommandNamesAfterTheFirstArgumentAreArguments() {
        CliRun r = CliRun.run("-c", "import sys; print(sys.argv)", "serve", "mcp");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("['-c', 'serve', 'mcp']\n", r.out);
    }

    @Test
    void sysExitCodeBecomesTheExitCode() {
        CliRun r = CliRun.run("-c", "import sys; sys.exit(3)");
        assertEquals(3, r.exitCode, r.toString());
    }

    @Test
    void timeoutExitsWith124() {
        CliRun r = CliRun.run("--timeout", "1s", "-c", "while True: pass");
        assertEquals(124, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("eryx: "), r.toString());
    }

    @Test
    void fuelExhaustedExitsWith3() {
        CliRun r = CliRun.run("--fuel", "100000", "--timeout", "10s", "-c", "while True: pass");
        assertEquals(3, r.exitCode, r.toString());
    }

    @Test
    void outputLimitExitsWith5() {
        CliRun r = CliRun.run("--max-output", "1k", "-c", "print('x' * 5000)");
        assertEquals(5, r.exitCode, r.toString());
    }

    @Test
    void jsonShape() throws Exception {
        CliRun r =
                CliRun.run(
                        "--json",
                        "-c",
                        "import sys\nprint('out')\nprint('err', file=sys.stderr)\nresult = {'k': [1, 2]}");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("", r.err);
        assertEquals(
                1, r.out.strip().lines().count(), "one line of JSON and nothing else: " + r.out);
        JsonNode json = JSON.readTree(r.out);
        assertEquals("out\n", json.get("stdout").asText());
        assertEquals("err\n", json.get("stderr").asText());
        assertEquals(JSON.readTree("{\"k\": [1, 2]}"), json.get("result"));
        assertTrue(json.get("duration").isIntegralNumber(), r.out);
        assertTrue(json.at("/stats/fuelConsumed").isIntegralNumber(), r.out);
        assertTrue(json.at("/stats/peakMemoryBytes").asLong() > 0, r.out);
        assertEquals(0, json.at("/stats/callbackInvocations").asInt(), r.out);
        assertTrue(json.get("error").isNull(), r.out);
        assertEquals(0, json.get("exitCode").asInt());
        assertEquals("ok", json.get("verdict").asText());
    }

    @Test
    void jsonVerdictOfExits() throws Exception {
        CliRun exit = CliRun.run("--json", "-c", "import sys; sys.exit(3)");
        assertEquals(3, exit.exitCode, exit.toString());
        assertEquals("python_error", JSON.readTree(exit.out).get("verdict").asText(), exit.out);
        // os._exit(n) ends the interpreter (CRASHED) but the process keeps the status it asked.
        CliRun hard = CliRun.run("--json", "-c", "import os; os._exit(7)");
        assertEquals(7, hard.exitCode, hard.toString());
        JsonNode json = JSON.readTree(hard.out);
        assertEquals("crashed", json.get("verdict").asText(), hard.out);
        assertEquals(7, json.get("exitCode").asInt(), hard.out);
    }

    @Test
    void jsonError() throws Exception {
        CliRun r = CliRun.run("--json", "-c", "print('partial')\nraise ValueError('x')");
        assertEquals(1, r.exitCode, r.toString());
        assertEquals("", r.err);
        JsonNode json = JSON.readTree(r.out);
        assertEquals("partial\n", json.get("stdout").asText());
        assertTrue(json.get("result").isNull(), r.out);
        assertEquals("ValueError", json.at("/error/type").asText());
        assertEquals("x", json.at("/error/message").asText());
        assertTrue(json.at("/error/traceback").asText().endsWith("ValueError: x\n"), r.out);
        assertEquals(1, json.get("exitCode").asInt());
        assertEquals("python_error", json.get("verdict").asText());
    }

    @Test
    void volumesAreReadOnlyByDefault(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "from the host");
        Path out = Files.createDirectory(dir.resolve("out"));
        String code =
                "print(open('/data/in.txt').read())\n"
                        + "try:\n"
                        + "    open('/data/new.txt', 'w').write('no')\n"
                        + "    print('WROTE')\n"
                        + "except OSError:\n"
                        + "    print('read-only')\n"
                        + "open('/out/made.txt', 'w').write('yes')\n";
        CliRun r = CliRun.run("-v", dir + ":/data", "-v", out + ":/out:rw", "-c", code);
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("from the host\nread-only\n", r.out);
        assertTrue(Files.notExists(dir.resolve("new.txt")));
        assertEquals("yes", Files.readString(out.resolve("made.txt")));
    }

    @Test
    void envIsPassed() {
        CliRun r =
                CliRun.run(
                        "--env",
                        "GREETING=hi there",
                        "--env",
                        "EMPTY=",
                        "-c",
                        "import os\nprint(os.environ['GREETING'], repr(os.environ['EMPTY']), 'HOME' in os.environ)");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("hi there '' False\n", r.out);
    }

    @Test
    void programFromStdin() {
        CliRun r = CliRun.withStdin("import sys\nprint('from stdin', sys.argv)\n", false, "-", "x");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("from stdin ['-', 'x']\n", r.out);
    }

    @Test
    void scriptFileWithArguments(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("hello.py");
        Files.write(
                script,
                "import sys\nprint('args:', sys.argv[1:])\nsys.exit(len(sys.argv))\n"
                        .getBytes(StandardCharsets.UTF_8));
        CliRun r = CliRun.run(script.toString(), "--json", "é");
        assertEquals(3, r.exitCode, r.toString());
        assertEquals("args: ['--json', 'é']\n", r.out);
    }
}
