package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code eryx mcp} as a client starts it: a child JVM running {@link Main}, spoken to over its
 * stdin and stdout.
 */
@Timeout(180)
class McpCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> eryx(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void theSdkClientRunsPythonInOneSessionAndSeesErrorsAsToolResults() {
        List<String> command = eryx("mcp", "--timeout", "20s", "--env", "GREETING=hello");
        StdioClientTransport transport =
                new StdioClientTransport(
                        ServerParameters.builder(command.get(0))
                                .args(command.subList(1, command.size()))
                                .build(),
                        new JacksonMcpJsonMapper(JSON));
        List<String> stderr = new ArrayList<>();
        transport.setStdErrorHandler(
                line -> {
                    synchronized (stderr) {
                        stderr.add(line);
                    }
                });
        try (McpSyncClient client =
                McpClient.sync(transport)
                        .requestTimeout(Duration.ofSeconds(90))
                        .initializationTimeout(Duration.ofSeconds(90))
                        .build()) {
            InitializeResult init = client.initialize();
            assertEquals("eryx", init.serverInfo().name());
            List<String> tools = client.listTools().tools().stream().map(Tool::name).toList();
            assertTrue(
                    tools.containsAll(List.of("run_python", "reset", "list_files")),
                    tools.toString());

            CallToolResult first = run(client, "import os\nx = 40\nprint(os.environ['GREETING'])");
            assertFalse(first.isError(), first.toString());
            assertTrue(text(first).contains("hello"), first.toString());

            CallToolResult second = run(client, "print(x + 2)");
            assertFalse(second.isError(), second.toString());
            assertTrue(text(second).contains("42"), "state persists: " + second);

            CallToolResult error = run(client, "1 / 0");
            assertTrue(error.isError(), error.toString());
            assertTrue(text(error).contains("ZeroDivisionError"), error.toString());
            @SuppressWarnings("unchecked")
            Map<String, Object> structured = (Map<String, Object>) error.structuredContent();
            assertEquals("python_error", structured.get("verdict"), error.toString());
        }
        synchronized (stderr) {
            // Warnings would be fine; a stack trace or a protocol complaint would not.
            assertFalse(String.join("\n", stderr).contains("Exception"), stderr.toString());
        }
    }

    @Test
    void stdoutCarriesOnlyJsonRpcAndTheCommandExitsWhenStdinEnds() throws Exception {
        Process process = new ProcessBuilder(eryx("mcp")).start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = drain(process.getErrorStream(), err);
        BufferedReader stdout =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<JsonNode> messages = new ArrayList<>();
        try (OutputStream in = process.getOutputStream()) {
            String init =
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                            + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                            + "\"clientInfo\":{\"name\":\"cli-test\",\"version\":\"0\"}}}\n"
                            + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
            // Guest output on both streams and an error: all of it inside the JSON-RPC result.
            String call =
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                            + "\"name\":\"run_python\",\"arguments\":{\"code\":"
                            + "\"import sys\\nprint('out')\\nprint('err', file=sys.stderr)\\nraise"
                            + " ValueError('boom')\"}}}\n";
            in.write((init + call).getBytes(StandardCharsets.UTF_8));
            in.flush();
            while (messages.size() < 2) {
                String line = stdout.readLine();
                if (line == null) {
                    break;
                }
                messages.add(jsonRpc(line));
            }
        }
        // Stdin closed: the command ends on its own, with nothing more on stdout.
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "exits when stdin ends: " + err);
        drain.join(10_000);
        assertEquals(0, process.exitValue(), err.toString(StandardCharsets.UTF_8));
        for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
            messages.add(jsonRpc(line));
        }
        assertEquals(2, messages.size(), messages.toString());
        assertEquals("2025-06-18", messages.get(0).at("/result/protocolVersion").asText());
        JsonNode result = messages.get(1).path("result");
        assertTrue(result.path("isError").asBoolean(), result.toString());
        assertEquals("out\n", result.at("/structuredContent/stdout").asText(), result.toString());
        assertEquals("err\n", result.at("/structuredContent/stderr").asText(), result.toString());
        assertEquals(
                "python_error",
                result.at("/structuredContent/verdict").asText(),
                result.toString());
    }

    /** A line of stdout, which must be one JSON-RPC message and nothing else. */
    private static JsonNode jsonRpc(String line) throws java.io.IOException {
        JsonNode message = JSON.readTree(line);
        assertEquals("2.0", message.path("jsonrpc").asText(), line);
        return message;
    }

    private static CallToolResult run(McpSyncClient client, String code) {
        return client.callTool(new CallToolRequest("run_python", Map.of("code", code)));
    }

    private static String text(CallToolResult result) {
        StringBuilder sb = new StringBuilder();
        result.content().stream()
                .filter(TextContent.class::isInstance)
                .forEach(c -> sb.append(((TextContent) c).text()));
        return sb.toString();
    }

    private static Thread drain(InputStream from, ByteArrayOutputStream to) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                from.transferTo(to);
                            } catch (java.io.IOException e) {
                                // the process ended
                            }
                        },
                        "stderr-drain");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
