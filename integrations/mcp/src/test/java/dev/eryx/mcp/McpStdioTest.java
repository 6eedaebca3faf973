package dev.eryx.mcp;

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
import io.modelcontextprotocol.spec.ProtocolVersions;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stdio server in a child JVM, driven by the SDK's own stdio client. */
@Timeout(120)
class McpStdioTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> serverCommand() {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                classpathWithoutServlets(),
                StdioServerMain.class.getName());
    }

    /** The test classpath minus the Servlet API and Jetty: stdio must not need them. */
    private static String classpathWithoutServlets() {
        String cp =
                Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                        .filter(e -> !e.contains("jakarta.servlet") && !e.contains("jetty"))
                        .collect(Collectors.joining(File.pathSeparator));
        assertFalse(cp.contains("servlet"), cp);
        return cp;
    }

    /** The SDK client asking for one protocol version (it asks for the last it lists). */
    private static McpSyncClient client(String version) {
        List<String> command = serverCommand();
        ServerParameters params =
                ServerParameters.builder(command.get(0))
                        .args(command.subList(1, command.size()))
                        .build();
        StdioClientTransport transport =
                new StdioClientTransport(params, new JacksonMcpJsonMapper(JSON)) {
                    @Override
                    public List<String> protocolVersions() {
                        return List.of(version);
                    }
                };
        transport.setStdErrorHandler(line -> System.err.println("[server] " + line));
        return McpClient.sync(transport)
                .requestTimeout(Duration.ofSeconds(60))
                .initializationTimeout(Duration.ofSeconds(60))
                .build();
    }

    @Test
    void theWholeScenarioOverStdioWith2025_06_18() {
        try (McpSyncClient client = client(ProtocolVersions.MCP_2025_06_18)) {
            Fixtures.scenario(client, ProtocolVersions.MCP_2025_06_18);
        }
    }

    /**
     * A client that writes its requests and closes stdin at once (`printf ... | eryx mcp`) still
     * gets every reply: the end of input waits for the requests already read.
     */
    @Test
    void requestsInFlightAreAnsweredAfterStdinCloses() throws Exception {
        Process process =
                new ProcessBuilder(serverCommand())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        try (OutputStream in = process.getOutputStream()) {
            String[] messages = {
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                        + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":\"call-2\",\"method\":\"tools/call\",\"params\":{"
                        + "\"name\":\"run_python\",\"arguments\":{\"code\":"
                        + "\"import time\\ntime.sleep(0.5)\\nprint(6 * 7)\"}}}"
            };
            // The last message has no newline: the end of input ends it.
            in.write(String.join("\n", messages).getBytes(StandardCharsets.UTF_8));
        }
        List<JsonNode> replies = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                replies.add(JSON.readTree(line));
            }
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the server ended with its input");
        assertEquals(0, process.exitValue());
        assertEquals(2, replies.size(), replies.toString());
        assertEquals(1, replies.get(0).path("id").asInt(), replies.toString());
        JsonNode call = replies.get(1);
        assertEquals("call-2", call.path("id").asText(), call.toString());
        assertEquals(
                "42\n",
                call.path("result").path("structuredContent").path("stdout").asText(),
                call.toString());
    }

    @Test
    void stdoutCarriesOnlyJsonRpcAndTheServerEndsWithItsInput() throws Exception {
        Process process =
                new ProcessBuilder(serverCommand())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        try (OutputStream in = process.getOutputStream()) {
            String[] messages = {
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                        + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                        + "\"name\":\"run_python\",\"arguments\":{\"code\":"
                        + "\"import sys\\nprint('to stdout')\\nprint('to stderr', file=sys.stderr)\"}}}"
            };
            for (String m : messages) {
                in.write((m + "\n").getBytes(StandardCharsets.UTF_8));
            }
            in.flush();
            List<JsonNode> replies = new ArrayList<>();
            BufferedReader out =
                    new BufferedReader(
                            new InputStreamReader(
                                    process.getInputStream(), StandardCharsets.UTF_8));
            while (replies.size() < 2) {
                String line = out.readLine();
                if (line == null) {
                    break;
                }
                JsonNode reply = JSON.readTree(line); // throws if anything but JSON got there
                assertEquals("2.0", reply.path("jsonrpc").asText(), line);
                replies.add(reply);
            }
            assertEquals(2, replies.size(), replies.toString());
            assertEquals(
                    "2025-11-25", replies.get(0).path("result").path("protocolVersion").asText());
            JsonNode call = replies.get(1).path("result");
            assertEquals(false, call.path("isError").asBoolean(true), call.toString());
            assertEquals("to stdout\n", call.path("structuredContent").path("stdout").asText());
            assertEquals("to stderr\n", call.path("structuredContent").path("stderr").asText());
        }
        // stdin closed: serveStdio returns and the JVM ends on its own.
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the server ended with its input");
        assertEquals(0, process.exitValue());
        assertEquals(-1, process.getInputStream().read(), "nothing after the replies");
    }
}
