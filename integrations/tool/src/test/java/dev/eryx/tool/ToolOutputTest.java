package dev.eryx.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one output format, from real executions of one sandbox. */
class ToolOutputTest {
    private static final Schema OUTPUT_SCHEMA =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(PythonTool.outputSchema());

    private static Sandbox sandbox;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.builder().build();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    /** Runs code as the tool would: a returned result or the failure, as a ToolOutput. */
    private static ToolOutput run(String code, ResourceLimits limits) {
        ToolOutput output;
        try {
            ExecutionResult result = sandbox.execute(code, limits);
            output = ToolOutput.of(result);
        } catch (RuntimeException failure) {
            output = ToolOutput.of(failure);
        }
        assertValid(output.structured());
        return output;
    }

    private static ToolOutput run(String code) {
        return run(code, ResourceLimits.defaults());
    }

    static void assertValid(JsonNode structured) {
        List<com.networknt.schema.Error> errors = OUTPUT_SCHEMA.validate(structured);
        assertTrue(errors.isEmpty(), () -> structured + " does not match the schema: " + errors);
    }

    @Test
    void nothingPrintedSaysNoOutput() {
        ToolOutput out = run("x = 1");
        assertEquals(Verdict.OK, out.verdict());
        assertFalse(out.isError());
        assertEquals("(no output)", out.text());
        assertEquals("", out.stdout());
        assertNull(out.result());
        assertNull(out.error());
        assertNull(out.errorType());
        ObjectNode s = out.structured();
        assertEquals("ok", s.get("verdict").asText());
        assertTrue(s.get("result").isNull());
        assertTrue(s.get("error").isNull());
        assertTrue(s.get("error_type").isNull());
    }

    @Test
    void stdoutThenStderrThenResult() {
        ToolOutput out =
                run(
                        "import sys\n"
                                + "print('hello')\n"
                                + "print('careful', file=sys.stderr)\n"
                                + "result = {'a': [1, 2], 'b': 'x'}\n");
        assertEquals("hello\n[stderr]\ncareful\n[result]\n{\"a\":[1,2],\"b\":\"x\"}", out.text());
        assertEquals("hello\n", out.structured().get("stdout").asText());
        assertEquals("careful\n", out.structured().get("stderr").asText());
        assertEquals(2, out.structured().get("result").get("a").get(1).asInt());
    }

    @Test
    void outputWithoutTrailingNewlineStillStartsSectionsOnTheirOwnLine() {
        ToolOutput out = run("import sys\nsys.stdout.write('a')\nresult = 3\n");
        assertEquals("a\n[result]\n3", out.text());
    }

    @Test
    void resultAloneIsShown() {
        assertEquals("[result]\n\"text\"", run("result = 'text'").text());
    }

    @Test
    void pythonErrorKeepsOutputAndEndsWithTheTraceback() {
        ToolOutput out = run("print('before')\ndef f():\n    return 1 / 0\nf()\n");
        assertEquals(Verdict.PYTHON_ERROR, out.verdict());
        assertTrue(out.isError());
        assertEquals("ZeroDivisionError", out.errorType());
        assertEquals("before\n", out.stdout());
        assertTrue(out.error().startsWith("Traceback (most recent call last):"), out.error());
        assertTrue(out.error().endsWith("ZeroDivisionError: division by zero"), out.error());
        String text = out.text();
        assertTrue(
                text.startsWith("before\n[error: python_error]\nTraceback (most recent call"),
                text);
        assertTrue(text.endsWith("ZeroDivisionError: division by zero"), text);
        assertEquals("python_error", out.structured().get("verdict").asText());
        assertEquals("ZeroDivisionError", out.structured().get("error_type").asText());
    }

    @Test
    void syntaxErrorIsAPythonError() {
        ToolOutput out = run("def (:\n");
        assertEquals(Verdict.PYTHON_ERROR, out.verdict());
        assertEquals("SyntaxError", out.errorType());
        assertTrue(out.text().contains("SyntaxError"), out.text());
    }

    @Test
    void nonZeroExitIsAnError() {
        ToolOutput out = run("print('bye')\nimport sys\nsys.exit(3)\n");
        assertEquals(Verdict.PYTHON_ERROR, out.verdict());
        assertEquals("SystemExit", out.errorType());
        assertEquals("bye\n[error: python_error] SystemExit: 3", out.text());
        assertEquals(Verdict.OK, run("import sys\nsys.exit(0)\n").verdict());
    }

    @Test
    void timeoutKeepsPartialOutput() {
        ResourceLimits limits =
                ResourceLimits.defaults().toBuilder()
                        .executionTimeout(Duration.ofMillis(300))
                        .build();
        ToolOutput out = run("print('started', flush=True)\nwhile True:\n    pass\n", limits);
        assertEquals(Verdict.TIMEOUT, out.verdict());
        assertEquals("started\n", out.stdout());
        assertNull(out.errorType());
        assertTrue(out.text().startsWith("started\n[error: timeout] "), out.text());
        assertTrue(out.text().indexOf('\n', "started\n".length()) < 0, out.text());
    }

    @Test
    void fuelExhaustion() {
        ResourceLimits limits = ResourceLimits.defaults().toBuilder().maxFuel(200_000).build();
        ToolOutput out = run("while True:\n    pass\n", limits);
        assertEquals(Verdict.FUEL, out.verdict());
        assertTrue(out.text().startsWith("[error: fuel] "), out.text());
        assertTrue(out.stats().fuelConsumed() > 0);
    }

    @Test
    void outputLimit() {
        ResourceLimits limits = ResourceLimits.defaults().toBuilder().maxOutputBytes(1000).build();
        ToolOutput out = run("print('x' * 5000)\n", limits);
        assertEquals(Verdict.OUTPUT, out.verdict());
        assertTrue(out.text().contains("[error: output] "), out.text());
    }

    @Test
    void memoryExhaustion() {
        ToolOutput out = run("print('allocating')\nx = bytearray(1 << 30)\n");
        assertEquals(Verdict.MEMORY, out.verdict());
        assertTrue(out.text().startsWith("allocating\n[error: memory]"), out.text());
    }

    @Test
    void toJsonAddsDurationStatsAndEffects() {
        ObjectNode json = run("print(sum(range(1000)))").toJson();
        assertEquals("499500\n", json.get("stdout").asText());
        assertTrue(json.get("duration_ms").isIntegralNumber());
        assertTrue(json.get("stats").get("fuel").asLong() > 0);
        assertTrue(json.get("stats").get("peak_memory_bytes").asLong() > 0);
        assertEquals(0, json.get("stats").get("callbacks").asInt());
        assertEquals(
                List.of(
                        "stdout",
                        "stderr",
                        "result",
                        "verdict",
                        "error_type",
                        "error",
                        "duration_ms",
                        "stats",
                        "effects"),
                iterableToList(json.fieldNames()));
        assertEquals(0, json.get("effects").size(), "printing is no effect");
    }

    /** Replaces TOKEN; returns every other text itself, as a sandbox's redact() does. */
    private static final UnaryOperator<String> TOKEN =
            s -> s.contains("TOKEN") ? s.replace("TOKEN", "[x]") : s;

    @Test
    void redactedCopiesNothingWhenNothingIsRedacted() {
        ToolOutput plain =
                run(
                        "import sys\nprint('out')\nprint('err', file=sys.stderr)\n"
                                + "open('/tmp/plain.txt', 'w').write('x')\n"
                                + "result = {'k': ['v', {'deep': 1}]}");
        assertSame(plain, plain.redacted(UnaryOperator.identity()));
        assertSame(plain, plain.redacted(TOKEN));
        ToolOutput failed = run("raise ValueError('no secret here')");
        assertSame(failed, failed.redacted(TOKEN));

        // One match anywhere, however deep or wherever, and the whole output is redacted.
        ToolOutput deepKey = run("result = {'k': [1, {'TOKEN': 2}]}");
        ToolOutput redacted = deepKey.redacted(TOKEN);
        assertNotSame(deepKey, redacted);
        assertEquals("{\"k\":[1,{\"[x]\":2}]}", redacted.result().toString());
        assertEquals("{\"k\":[1,{\"TOKEN\":2}]}", deepKey.result().toString());

        ToolOutput effect = run("open('/tmp/TOKEN.txt', 'w').write('x')\nprint('out')");
        ToolOutput effectRedacted = effect.redacted(TOKEN);
        assertNotSame(effect, effectRedacted);
        String effects = effectRedacted.toJson().get("effects").toString();
        assertTrue(effects.contains("\"target\":\"/tmp/[x].txt\""), effects);
        assertFalse(effects.contains("TOKEN"), effects);
        assertEquals("out\n", effectRedacted.stdout());

        ToolOutput error = run("raise ValueError('TOKEN')");
        assertTrue(error.redacted(TOKEN).error().endsWith("ValueError: [x]"));
        // Already redacted: redacting it again with nothing left to match copies nothing.
        assertSame(effectRedacted, effectRedacted.redacted(TOKEN));
    }

    @Test
    void hostFailuresAreCrashesWithTheirMessage() {
        ToolOutput out = ToolOutput.of(new IllegalStateException("the sandbox is closed"));
        assertEquals(Verdict.CRASHED, out.verdict());
        assertEquals("[error: crashed] the sandbox is closed", out.text());
        assertEquals("", out.stdout());
        assertEquals(Duration.ZERO, out.duration());
        assertValid(out.structured());
    }

    @Test
    void futureWrappersAreUnwrapped() {
        RuntimeException failure;
        try {
            sandbox.execute("raise KeyError('k')");
            throw new AssertionError("should have raised");
        } catch (RuntimeException e) {
            failure = e;
        }
        ToolOutput out = ToolOutput.of(new CompletionException(failure));
        assertEquals(Verdict.PYTHON_ERROR, out.verdict());
        assertEquals("KeyError", out.errorType());
    }

    @Test
    void schemaRejectsWhatIsNotAnOutput() {
        ObjectNode bad = run("pass").structured();
        bad.put("verdict", "maybe");
        assertFalse(OUTPUT_SCHEMA.validate(bad).isEmpty());
        ObjectNode missing = run("pass").structured();
        missing.remove("stderr");
        assertFalse(OUTPUT_SCHEMA.validate(missing).isEmpty());
        ObjectNode extra = run("pass").structured();
        extra.put("surprise", 1);
        assertFalse(OUTPUT_SCHEMA.validate(extra).isEmpty());
    }

    private static List<String> iterableToList(java.util.Iterator<String> names) {
        List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}
