package dev.eryx.mcp;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.http.HttpServlet;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds the streamable-HTTP servlet. Everything that touches the Servlet API lives here, so that
 * {@link EryxMcpServer} loads without it: {@code eryx mcp} (stdio) ships no servlet jar.
 */
final class HttpEndpoint {
    private static final Duration MAX_KEEP_ALIVE = Duration.ofMinutes(1);

    private HttpEndpoint() {}

    static HttpServlet servlet(
            String endpointPath,
            Duration idleTimeout,
            int maxRequestBytes,
            McpJsonMapper mapper,
            Function<McpServer.SyncSpecification<?>, McpSyncServer> build,
            Consumer<String> sessionEnded) {
        // The transport sweeps a session with no request and no open stream for idleTimeout;
        // pings find the dead listening streams that would otherwise keep a session forever.
        Duration keepAlive =
                idleTimeout.compareTo(MAX_KEEP_ALIVE) < 0 ? idleTimeout : MAX_KEEP_ALIVE;
        HttpServletStreamableServerTransportProvider transport =
                HttpServletStreamableServerTransportProvider.builder()
                        .jsonMapper(mapper)
                        .mcpEndpoint(endpointPath)
                        .keepAliveInterval(keepAlive)
                        .sessionSweepInterval(idleTimeout)
                        .maxRequestSize(maxRequestBytes)
                        .build();
        build.apply(McpServer.sync(transport));
        return new McpHttpServlet(transport, sessionEnded);
    }
}
