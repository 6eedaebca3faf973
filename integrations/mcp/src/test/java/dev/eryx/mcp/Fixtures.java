package dev.eryx.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What the stdio and HTTP tests share: the limits, and the scenario a real client runs. */
final class Fixtures {
    private Fixtures() {}

    static ResourceLimits limits() {
        return ResourceLimits.defaults().toBuilder()
                .executionTimeout(Duration.ofSeconds(20))
                .build();
    }

    static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        CallToolResult result = client.callTool(new CallToolRequest(tool, args));
        assertNotNull(result, tool + " returned nothing");
        return result;
    }

    static CallToolResult run(McpSyncClient client, String code) {
        return call(client, "run_python", Map.of("code", code));
    }

    static String text(CallToolResult result) {
        assertEquals(1, result.content().size(), "one text content: " + result);
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(CallToolResult result) {
        assertNotNull(result.structuredContent(), "structuredContent: " + result);
        return (Map<String, Object>) result.structuredContent();
    }

    /**
     * The whole sequence of the issue over one connection: initialize, list tools, state across
     * calls, a timeout, a Python error, structured content matching the schema, list_files, reset,
     * and bad arguments as tool errors.
     */
    static void scenario(McpSyncClient client, String expectedVersion) {
        McpSchema.InitializeResult init = client.initialize();
        assertEquals(expectedVersion, init.protocolVersion());
        assertEquals("eryx", init.serverInfo().name());

        List<McpSchema.Tool> tools = client.listTools().tools();
        assertEquals(
                List.of("list_files", "reset", "run_python"),
                tools.stream().map(McpSchema.Tool::name).sorted().toList());
        McpSchema.Tool runPython =
                tools.stream().filter(t -> t.name().equals("run_python")).findFirst().orElseThrow();
        Map<String, Object> input = runPython.inputSchema();
        assertTrue(((Map<?, ?>) input.get("properties")).containsKey("code"), input.toString());
        assertTrue(((List<?>) input.get("required")).contains("code"), input.toString());
        assertNotNull(runPython.outputSchema(), "run_python has an outputSchema");
        assertFalse(runPython.description().isBlank());

        CallToolResult first = run(client, "x = 41");
        assertFalse(first.isError(), text(first));
        CallToolResult second = run(client, "print(x + 1)");
        assertFalse(second.isError(), text(second));
        assertTrue(text(second).contains("42"), text(second));
        Map<String, Object> out = structured(second);
        assertEquals("42\n", out.get("stdout"));
        assertEquals("ok", out.get("verdict"));
        assertValid(runPython.outputSchema(), out);

        CallToolResult timeout =
                call(client, "run_python", Map.of("code", "while True: pass", "timeout_ms", 500));
        assertTrue(timeout.isError(), text(timeout));
        assertEquals("timeout", structured(timeout).get("verdict"));
        assertValid(runPython.outputSchema(), structured(timeout));

        CallToolResult error = run(client, "def f():\n    return 1 / 0\nf()");
        assertTrue(error.isError(), text(error));
        assertTrue(text(error).contains("Traceback"), text(error));
        assertTrue(text(error).contains("ZeroDivisionError"), text(error));
        assertEquals("python_error", structured(error).get("verdict"));
        assertEquals("ZeroDivisionError", structured(error).get("error_type"));
        assertValid(runPython.outputSchema(), structured(error));

        // The session survived the timeout and the error.
        CallToolResult still = run(client, "print(x)");
        assertEquals("41\n", structured(still).get("stdout"), text(still));

        CallToolResult write =
                run(
                        client,
                        "import os\nos.makedirs('/work', exist_ok=True)\n"
                                + "open('/work/hello.txt', 'w').write('hi')");
        assertFalse(write.isError(), text(write));
        CallToolResult files = call(client, "list_files", Map.of("path", "/work"));
        assertFalse(files.isError(), text(files));
        assertTrue(text(files).contains("/work/hello.txt"), text(files));
        CallToolResult root = call(client, "list_files", Map.of());
        assertFalse(root.isError(), text(root));
        assertTrue(text(root).startsWith("/"), text(root));
        assertTrue(text(root).contains("/work/hello.txt"), "not hidden by /usr: " + text(root));
        assertFalse(text(root).contains("/usr/"), text(root));
        CallToolResult missing = call(client, "list_files", Map.of("path", "/no/such/dir"));
        assertTrue(missing.isError(), text(missing));
        assertTrue(text(missing).contains("/no/such/dir"), text(missing));

        CallToolResult reset = call(client, "reset", Map.of());
        assertFalse(reset.isError(), text(reset));
        CallToolResult forgotten = run(client, "print(x)");
        assertTrue(forgotten.isError(), text(forgotten));
        assertTrue(text(forgotten).contains("NameError"), text(forgotten));
        CallToolResult noFiles = call(client, "list_files", Map.of("path", "/"));
        assertFalse(text(noFiles).contains("hello.txt"), text(noFiles));

        CallToolResult noCode = call(client, "run_python", Map.of());
        assertTrue(noCode.isError(), text(noCode));
        assertTrue(text(noCode).contains("code"), text(noCode));
        CallToolResult badTimeout =
                call(client, "run_python", Map.of("code", "print(1)", "timeout_ms", -5));
        assertTrue(badTimeout.isError(), text(badTimeout));
        assertTrue(text(badTimeout).contains("timeout_ms"), text(badTimeout));
        CallToolResult fraction =
                call(client, "run_python", Map.of("code", "print(1)", "timeout_ms", 0.5));
        assertTrue(fraction.isError(), text(fraction));
        // A huge timeout is capped, not refused.
        CallToolResult huge =
                call(
                        client,
                        "run_python",
                        Map.of("code", "print(7)", "timeout_ms", Long.MAX_VALUE));
        assertFalse(huge.isError(), text(huge));
        assertEquals("7\n", structured(huge).get("stdout"));
    }

    static void assertValid(Map<String, Object> schema, Object instance) {
        JsonSchemaValidator validator = new DefaultJsonSchemaValidator(new ObjectMapper());
        JsonSchemaValidator.ValidationResponse response = validator.validate(schema, instance);
        assertTrue(response.valid(), response.errorMessage() + " for " + instance);
    }
}
