package dev.eryx.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.ProtocolVersions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The streamable-HTTP servlet in Jetty on loopback, driven by the SDK's HTTP client. */
@Timeout(120)
class McpHttpTest {
    private static SandboxPool pool;
    private static PythonTool tool;
    private static EryxMcpServer mcp;

    /** A second server on the same tool whose idle HTTP sessions are dropped after 1 s. */
    private static EryxMcpServer quick;

    private static Server jetty;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(2)
                        .resourceLimits(Fixtures.limits())
                        .build();
        tool = PythonTool.builder().pool(pool).build();
        mcp = EryxMcpServer.builder().tool(tool).build();
        quick =
                EryxMcpServer.builder()
                        .tool(tool)
                        .httpSessionIdleTimeout(Duration.ofSeconds(1))
                        .build();
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(mcp.httpServlet("/mcp"));
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/mcp");
        ServletHolder quickHolder = new ServletHolder(quick.httpServlet("/quick/mcp"));
        quickHolder.setAsyncSupported(true);
        context.addServlet(quickHolder, "/quick/mcp");
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (jetty != null) {
            jetty.stop();
        }
        if (mcp != null) {
            mcp.close();
        }
        if (quick != null) {
            quick.close();
        }
        if (tool != null) {
            tool.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private static McpSyncClient client(String version) {
        HttpClientStreamableHttpTransport transport =
                HttpClientStreamableHttpTransport.builder(base)
                        .endpoint("/mcp")
                        .supportedProtocolVersions(List.of(version))
                        .build();
        return McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void theWholeScenarioOverHttpWith2025_11_25() {
        try (McpSyncClient client = client(ProtocolVersions.MCP_2025_11_25)) {
            Fixtures.scenario(client, ProtocolVersions.MCP_2025_11_25);
        }
    }

    @Test
    void theWholeScenarioOverHttpWith2025_06_18() {
        try (McpSyncClient client = client(ProtocolVersions.MCP_2025_06_18)) {
            Fixtures.scenario(client, ProtocolVersions.MCP_2025_06_18);
        }
    }

    @Test
    void twoClientsAreTwoIsolatedSessionsAndClosingOneClosesItsPythonSession() {
        try (McpSyncClient a = client(ProtocolVersions.MCP_2025_11_25);
                McpSyncClient b = client(ProtocolVersions.MCP_2025_11_25)) {
            a.initialize();
            b.initialize();
            int before = tool.sessionCount();
            assertFalse(Fixtures.run(a, "y = 'from a'").isError());
            assertFalse(Fixtures.run(b, "y = 'from b'").isError());
            assertEquals(before + 2, tool.sessionCount());
            assertEquals(
                    "from a\n", Fixtures.structured(Fixtures.run(a, "print(y)")).get("stdout"));
            assertEquals(
                    "from b\n", Fixtures.structured(Fixtures.run(b, "print(y)")).get("stdout"));

            // Ending the MCP session (the client's DELETE) closes its Python session.
            assertTrue(a.closeGracefully());
            await(() -> tool.sessionCount() == before + 1, "a's Python session closed");
            assertEquals(
                    "from b\n", Fixtures.structured(Fixtures.run(b, "print(y)")).get("stdout"));
        }
    }

    @Test
    void anIdleSessionIsSweptAndItsPythonSessionClosedWhenItsIdComesBack() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> init =
                post(
                        http,
                        null,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                                + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        post(http, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        HttpResponse<String> call =
                post(
                        http,
                        session,
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                                + "\"name\":\"run_python\",\"arguments\":{\"code\":\"z = 1\"}}}");
        assertEquals(200, call.statusCode(), call.body());
        assertTrue(
                tool.hasSession(EryxMcpServer.HTTP_SESSION_PREFIX + session),
                "the Python session id is the MCP session id, prefixed");
        assertFalse(tool.hasSession(session), "an unprefixed id is some other host's");

        // No request and no open stream for the idle timeout (1 s here): the transport drops the
        // session within two sweeps; the next request with its id is a 404, which closes the
        // Python session. Probes are spaced wider than that, since each one counts as activity.
        int status = 0;
        for (int probe = 0; probe < 10 && status != 404; probe++) {
            Thread.sleep(2_500);
            status =
                    post(http, session, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}")
                            .statusCode();
        }
        assertEquals(404, status, "the idle session was swept");
        assertFalse(tool.hasSession(EryxMcpServer.HTTP_SESSION_PREFIX + session));
    }

    private static HttpResponse<String> post(HttpClient http, String session, String body)
            throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + "/quick/mcp"))
                        .header("Content-Type", "application/json")
                        .header("Accept", "application/json, text/event-stream")
                        .header("MCP-Protocol-Version", "2025-11-25")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("Mcp-Session-Id", session);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
