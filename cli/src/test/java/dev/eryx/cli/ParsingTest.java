package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.InterpreterExitException;
import dev.eryx.MemoryLimitException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.SandboxCrashedException;
import dev.eryx.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Everything that needs no sandbox: none of these tests boots one. */
class ParsingTest {

    @Test
    void sizes() {
        assertEquals(1, Sizes.parse("1"));
        assertEquals(100, Sizes.parse("100b"));
        assertEquals(512L << 10, Sizes.parse("512k"));
        assertEquals(256L << 20, Sizes.parse("256m"));
        assertEquals(256L << 20, Sizes.parse("256M"));
        assertEquals(256L << 20, Sizes.parse("256MiB"));
        assertEquals(256L << 20, Sizes.parse("256mb"));
        assertEquals(1L << 30, Sizes.parse("1g"));
        assertEquals(3L << 29, Sizes.parse("1.5g"));
        assertEquals(2L << 40, Sizes.parse("2t"));
        assertEquals(Long.MAX_VALUE, Sizes.parse("unlimited"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "m", "-1m", "0", "0k", "1x", "1 gb x", "99999999999t", "1e9"})
    void badSizes(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(1), Durations.parse("1s"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1H"));
        assertEquals(Duration.ofSeconds(10), Durations.parse("10"));
        assertEquals(Durations.NONE, Durations.parse("none"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", "s", "0s", "0", "-1s", "1d", "1 sec", "0.0000001ms", "9999999999999h"})
    void badDurations(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void volumes() {
        Volume v = Volume.parse("/tmp/x:/data");
        assertEquals(Path.of("/tmp/x"), v.hostDir());
        assertEquals("/data", v.guestPath());
        assertTrue(v.readOnly(), "read-only is the default");
        assertFalse(Volume.parse("/tmp/x:/data:rw").readOnly());
        assertTrue(Volume.parse("/tmp/x:/data:ro").readOnly());
        assertEquals(Path.of("/a:b"), Volume.parse("/a:b:/data").hostDir());
        assertEquals(Path.of("rel").toAbsolutePath(), Volume.parse("rel:/data").hostDir());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tmp", ":/data", "/tmp:data", "/tmp:/data:rx", "/tmp:"})
    void badVolumes(String spec) {
        assertThrows(IllegalArgumentException.class, () -> Volume.parse(spec));
    }

    @Test
    void optionsMapToLimits(@TempDir Path dir) {
        EryxCommand command = new EryxCommand(System.in, () -> false);
        new CommandLine(command)
                .setStopAtPositional(true)
                .parseArgs(
                        "--timeout",
                        "1500ms",
                        "--fuel",
                        "1_000",
                        "--max-memory",
                        "64m",
                        "--max-output",
                        "1k",
                        "-v",
                        dir + ":/data",
                        "--volume",
                        dir + ":/out:rw",
                        "--env",
                        "A=1",
                        "--env",
                        "B=x=y",
                        "script.py",
                        "--json",
                        "-c",
                        "x");
        ResourceLimits limits = command.options.limits();
        assertEquals(Duration.ofMillis(1500), limits.executionTimeout());
        assertEquals(1000, limits.maxFuel());
        assertEquals(64L << 20, limits.maxMemoryBytes());
        assertEquals(1024, limits.maxOutputBytes());
        assertEquals(
                List.of(new Volume(dir, "/data", true), new Volume(dir, "/out", false)),
                command.options.volumes);
        assertEquals(Map.of("A", "1", "B", "x=y"), command.options.environment());
        assertEquals("script.py", command.script);
        assertEquals(
                List.of("--json", "-c", "x"),
                command.args,
                "options after the script are its arguments");
        assertFalse(command.json);
        assertNull(command.code);
    }

    @Test
    void defaultsAreTheLibrarys() {
        EryxCommand command = new EryxCommand(System.in, () -> false);
        new CommandLine(command).parseArgs("-c", "pass");
        assertEquals(ResourceLimits.defaults(), command.options.limits());
        EryxCommand none = new EryxCommand(System.in, () -> false);
        new CommandLine(none).parseArgs("--timeout", "none", "-c", "pass");
        assertNull(none.options.limits().executionTimeout());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "--bogus",
                "--timeout=10x",
                "--timeout=0",
                "--fuel=-5",
                "--fuel=lots",
                "--max-memory=12q",
                "--max-output=",
                "--env=NOEQUALS",
                "-v=/tmp",
                "-v=/definitely/not/here:/data",
                "-c",
            })
    void usageErrorsExitWith2(String arg) {
        CliRun r = CliRun.run(arg);
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("eryx: "), r.toString());
        assertTrue(r.err.contains("Try 'eryx --help'"), r.toString());
        assertEquals("", r.out);
    }

    @Test
    void usageMessagesAreClear() {
        assertTrue(
                CliRun.run("--max-memory", "12q", "-c", "pass")
                        .err
                        .contains("Invalid value for option '--max-memory': '12q' is not a size"));
        assertTrue(
                CliRun.run("--timeout", "3 days", "-c", "pass")
                        .err
                        .contains(
                                "Invalid value for option '--timeout': '3 days' is not a duration"));
        assertTrue(
                CliRun.run("-v", "/definitely/not/here:/data", "-c", "pass")
                        .err
                        .contains("no such host directory"));
    }

    @Test
    void missingScriptIsAUsageError(@TempDir Path dir) {
        CliRun r = CliRun.run(dir.resolve("nope.py").toString());
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("can't open file"), r.toString());
    }

    @Test
    void jsonNeedsAProgram() {
        CliRun r = CliRun.withStdin("", true, "--json");
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("--json needs a program"), r.toString());
    }

    @Test
    void help() {
        CliRun r = CliRun.run("--help");
        assertEquals(0, r.exitCode);
        assertTrue(r.out.contains("--max-memory=SIZE"), r.out);
        assertTrue(r.out.contains("Exit codes:"), r.out);
        assertTrue(r.out.contains("124"), r.out);
    }

    @Test
    void exitCodeMapping() {
        assertEquals(1, ExitCodes.of(new PythonException("ValueError", "x", "tb", null)));
        assertEquals(3, ExitCodes.of(new FuelExhaustedException(10, 5, null)));
        assertEquals(4, ExitCodes.of(new MemoryLimitException("m", null)));
        assertEquals(5, ExitCodes.of(new OutputLimitException("o", null)));
        assertEquals(124, ExitCodes.of(new ExecutionTimeoutException("t", null)));
        assertEquals(130, ExitCodes.of(new ExecutionCancelledException("c", null)));
        assertEquals(70, ExitCodes.of(new SandboxCrashedException("boom", null, null)));
        assertEquals(70, ExitCodes.of(new IllegalStateException()));
        assertEquals(130, ExitCodes.of(new PythonException("KeyboardInterrupt", "", "", null)));
        assertEquals(4, ExitCodes.of(new PythonException("MemoryError", "", "", null)));
        assertEquals(
                7, ExitCodes.of(new InterpreterExitException(7, null, null)), "os._exit(7) is 7");
        assertEquals(255, ExitCodes.of(new InterpreterExitException(-1, null, null)));
    }

    @Test
    void everyVerdictHasItsExitCode() {
        Map<Verdict, Integer> expected =
                Map.of(
                        Verdict.OK, 0,
                        Verdict.PYTHON_ERROR, 1,
                        Verdict.FUEL, 3,
                        Verdict.MEMORY, 4,
                        Verdict.OUTPUT, 5,
                        Verdict.CRASHED, 70,
                        Verdict.TIMEOUT, 124,
                        Verdict.CANCELLED, 130);
        assertEquals(Verdict.values().length, expected.size());
        expected.forEach((v, code) -> assertEquals(code, ExitCodes.of(v), v.toString()));
        assertEquals(
                2,
                ExitCodes.of(
                        new CommandLine.ParameterException(
                                new CommandLine(new EryxCommand(System.in, () -> false)), "u")));
    }

    @Test
    void jsonReportOfAFailureWithoutPartialResult() throws Exception {
        JsonNode json =
                new ObjectMapper()
                        .readTree(
                                JsonReport.failure(
                                        new ExecutionTimeoutException("too slow", null), 124));
        assertEquals("", json.get("stdout").asText());
        assertTrue(json.get("result").isNull());
        assertEquals("ExecutionTimeoutException", json.at("/error/type").asText());
        assertEquals("too slow", json.at("/error/message").asText());
        assertTrue(json.at("/error/traceback").isNull());
        assertEquals(124, json.get("exitCode").asInt());
        assertEquals("timeout", json.get("verdict").asText());
        assertEquals(0, json.at("/stats/fuelConsumed").asLong());
        assertEquals(
                List.of(
                        "stdout",
                        "stderr",
                        "result",
                        "duration",
                        "stats",
                        "error",
                        "exitCode",
                        "verdict"),
                List.copyOf(iterable(json.fieldNames())));
    }

    @Test
    void pythonMessage() {
        assertEquals(
                "x", JsonReport.pythonMessage(new PythonException("ValueError", "x", "", null)));
        assertEquals(
                "",
                JsonReport.pythonMessage(new PythonException("KeyboardInterrupt", "", "", null)));
    }

    @Test
    void pythonLiterals() {
        assertEquals("'abc'", PythonSource.literal("abc"));
        assertEquals(
                "'it\\'s \\\\ \\x0a \\xe9 \\u20ac \\U0001f600'",
                PythonSource.literal("it's \\ \n é € 😀"));
        assertEquals(
                "__import__('sys').argv = ['-c', 'a b']\n",
                PythonSource.setArgv(List.of("-c", "a b")));
    }

    @Test
    void replInputCompleteness() {
        assertTrue(ReplInput.isComplete(List.of("x = 1")));
        assertTrue(ReplInput.isComplete(List.of("print('a:')")));
        assertTrue(ReplInput.isComplete(List.of("d = {'a': 1}")));
        assertTrue(ReplInput.isComplete(List.of("x = 1  # note:")));
        assertTrue(ReplInput.isComplete(List.of("")));
        assertFalse(ReplInput.isComplete(List.of("if x:")));
        assertFalse(ReplInput.isComplete(List.of("if x:  # comment")));
        assertFalse(ReplInput.isComplete(List.of("for i in range(3):", "    print(i)")));
        assertTrue(ReplInput.isComplete(List.of("for i in range(3):", "    print(i)", "")));
        assertFalse(ReplInput.isComplete(List.of("x = [1,")));
        assertTrue(ReplInput.isComplete(List.of("x = [1,", " 2]")));
        assertFalse(ReplInput.isComplete(List.of("s = '''a", "b")));
        assertTrue(ReplInput.isComplete(List.of("s = '''a", "b'''")));
        assertFalse(ReplInput.isComplete(List.of("x = 1 + \\")));
        assertTrue(ReplInput.isComplete(List.of("x = 1 + \\", "2")));
        assertFalse(ReplInput.isComplete(List.of("@decorator")));
        assertFalse(ReplInput.isComplete(List.of("def f(a,", "      b):")));
        assertFalse(
                ReplInput.isComplete(List.of("class A:", "    def f(self):", "        return 1")));
        assertTrue(
                ReplInput.isComplete(
                        List.of("class A:", "    def f(self):", "        return 1", "   ")));
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
