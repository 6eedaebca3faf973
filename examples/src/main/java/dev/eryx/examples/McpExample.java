package dev.eryx.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.mcp.EryxMcpServer;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * An MCP client (the MCP Java SDK's) talking to eryx's MCP server over stdio, the way Claude
 * Desktop, an IDE or an agent framework does: it starts the server as a child process ({@code
 * "command"} and {@code "args"} in their configs; here this class again, with {@code serve}) and
 * speaks JSON-RPC over its stdin and stdout.
 *
 * <pre>
 * mvn -q -pl examples exec:java -Dexec.mainClass=dev.eryx.examples.McpExample
 * </pre>
 */
public final class McpExample {
    private McpExample() {}

    public static void main(String[] args) {
        // Before the first logger: the SDK's INFO lines would drown the output.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        if (args.length > 0 && args[0].equals("serve")) {
            serve();
        } else {
            client();
        }
    }

    /** The server side: what {@code eryx mcp} runs. */
    private static void serve() {
        // stdout is the protocol's: everything else that prints goes to stderr.
        PrintStream protocol = System.out;
        System.setOut(System.err);
        SandboxPool pool = SandboxPool.builder().minIdle(0).maxSize(2).build();
        PythonTool tool =
                PythonTool.builder()
                        .pool(pool)
                        .ownsPool(true)
                        .maxTimeout(Duration.ofSeconds(10))
                        .build();
        try (EryxMcpServer server = EryxMcpServer.builder().tool(tool).ownsTool(true).build()) {
            server.serveStdio(System.in, protocol); // until the client closes our stdin
        }
    }

    /** The client side: an agent's MCP client, calling the tools a model would call. */
    private static void client() {
        ServerParameters server =
                ServerParameters.builder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString())
                        .args(
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                "-cp",
                                System.getProperty("java.class.path"),
                                McpExample.class.getName(),
                                "serve")
                        .build();
        StdioClientTransport transport =
                new StdioClientTransport(server, new JacksonMcpJsonMapper(new ObjectMapper()));
        try (McpSyncClient client =
                McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build()) {
            McpSchema.InitializeResult init = client.initialize();
            System.out.println(
                    "connected to "
                            + init.serverInfo().name()
                            + ", protocol "
                            + init.protocolVersion());
            for (McpSchema.Tool tool : client.listTools().tools()) {
                System.out.println("tool " + tool.name());
            }
            // One session for the connection: the second call sees the first call's variables.
            show(client, "run_python", Map.of("code", "import math\nradius = 2.5"));
            show(
                    client,
                    "run_python",
                    Map.of(
                            "code",
                            "area = math.pi * radius ** 2\nprint(f'area {area:.2f}')\nresult = {'area': area}"));
            // Failures are tool results the model can read, not protocol errors.
            show(client, "run_python", Map.of("code", "1 / 0"));
            show(client, "run_python", Map.of("code", "while True: pass", "timeout_ms", 500));
            show(
                    client,
                    "run_python",
                    Map.of("code", "open('/tmp/notes.txt', 'w').write('hello')"));
            show(client, "list_files", Map.of("path", "/tmp"));
            show(client, "reset", Map.of());
            show(client, "run_python", Map.of("code", "print(radius)"));
        }
    }

    private static void show(McpSyncClient client, String tool, Map<String, Object> arguments) {
        CallToolResult result = client.callTool(new CallToolRequest(tool, arguments));
        String text = ((McpSchema.TextContent) result.content().get(0)).text();
        System.out.println(
                "\n> "
                        + tool
                        + " "
                        + arguments
                        + (Boolean.TRUE.equals(result.isError()) ? "  (isError)" : ""));
        System.out.println(text);
        if (result.structuredContent() instanceof Map<?, ?> structured) {
            System.out.println("  verdict: " + structured.get("verdict"));
        }
    }
}
