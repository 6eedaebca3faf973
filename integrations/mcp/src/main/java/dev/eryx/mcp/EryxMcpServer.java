package dev.eryx.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.tool.PythonTool;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServlet;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MCP server offering {@code run_python}, {@code reset} and {@code list_files} over a {@link
 * PythonTool}, on the MCP Java SDK: over stdio ({@link #serveStdio}, one Python session for the
 * connection) or streamable HTTP ({@link #httpServlet}, one Python session per MCP session).
 *
 * <p>Everything the Python code does comes back as a tool result: errors, timeouts and limits are
 * results with {@code isError: true} and the traceback in the text, never protocol errors. Results
 * carry {@code structuredContent} matching the tool's {@code outputSchema} ({@link
 * PythonTool#outputSchema()}).
 *
 * <p>The SDK logs through SLF4J. A stdio server must log to stderr only: its stdout carries the
 * protocol.
 *
 * <p>Thread-safe. {@link #close()} ends every connection this server serves.
 */
public final class EryxMcpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EryxMcpServer.class);

    private final PythonTool tool;
    private final boolean ownsTool;
    private final String name;
    private final String version;
    private final Duration httpSessionIdleTimeout;
    private final int maxHttpRequestBytes;
    private final McpJsonMapper mapper;
    private final JsonSchemaValidator validator;
    private final McpTools tools;

    /** The SDK servers of live connections and servlets, closed by {@link #close()}. */
    private final Set<McpSyncServer> servers = ConcurrentHashMap.newKeySet();

    /** The streams of serveStdio calls in progress, aborted by {@link #close()}. */
    private final Set<StdioStreams> stdioConnections = ConcurrentHashMap.newKeySet();

    /**
     * Beyond the tool's longest run, how long a stdio connection whose input ended still waits for
     * a reply: time to get a sandbox and boot CPython.
     */
    private static final Duration STDIO_GRACE_MARGIN = Duration.ofSeconds(30);

    /**
     * The Python session of an HTTP MCP session is this plus the {@code Mcp-Session-Id}: a tool
     * shared with another host (the execution server's JSON API) then never has its sessions reset
     * by an MCP client that names one of their ids.
     */
    static final String HTTP_SESSION_PREFIX = "mcp-";

    private volatile boolean closed;

    private EryxMcpServer(Builder b) {
        this.tool = b.tool;
        this.ownsTool = b.ownsTool;
        this.name = b.name;
        this.version = b.version;
        this.httpSessionIdleTimeout = b.httpSessionIdleTimeout;
        this.maxHttpRequestBytes = b.maxHttpRequestBytes;
        ObjectMapper json = new ObjectMapper();
        this.mapper = new JacksonMcpJsonMapper(json);
        this.validator = new DefaultJsonSchemaValidator(json);
        this.tools = new McpTools(tool, mapper);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Serves one MCP connection over stdio streams; blocks until {@code in} ends or {@link
     * #close()} is called. The connection is one Python session, closed when this method returns.
     *
     * <p>When {@code in} ends, the requests already read are still answered before this method
     * returns (a client may write its requests and close its end at once): it waits while replies
     * keep coming, and gives up on the rest once none came for the tool's {@linkplain
     * PythonTool#maxTimeout() maximum timeout} plus 30 seconds. {@link #close()} ends it at once.
     *
     * @throws IllegalStateException the server is closed
     */
    public void serveStdio(InputStream in, OutputStream out) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        ensureOpen();
        // A fixed id for the connection: the SDK's stdio session id is its own business.
        String sessionId = "stdio-" + UUID.randomUUID();
        // The SDK's reader thread reads until end of input; the wrappers hold that end back until
        // the requests read are answered, and tell us when the transport saw it.
        StdioStreams streams =
                new StdioStreams(in, out, tool.maxTimeout().plus(STDIO_GRACE_MARGIN));
        stdioConnections.add(streams);
        McpSyncServer server = null;
        try {
            StdioServerTransportProvider transport =
                    new StdioServerTransportProvider(mapper, streams.input(), streams.output());
            server = build(McpServer.sync(transport), exchange -> sessionId);
            servers.add(server);
            if (closed) {
                streams.abort();
            }
            streams.awaitEnd();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stdioConnections.remove(streams);
            streams.abort();
            if (server != null) {
                servers.remove(server);
                closeQuietly(server);
            }
            resetQuietly(sessionId);
        }
    }

    /**
     * The streamable-HTTP transport as a servlet to mount at {@code endpointPath} (e.g. {@code
     * "/mcp"}); mount it with async support on. Each MCP session is one Python session, closed when
     * the client ends the MCP session (HTTP {@code DELETE}). An MCP session with no request and no
     * open stream for {@link Builder#httpSessionIdleTimeout} is dropped by the transport, and its
     * Python session is closed by the tool's own idle timeout (or as soon as its id is seen again).
     * Origin and Host checks are left to the host server (a filter in front of every route). Needs
     * the Servlet API 6 (the container's); {@link #serveStdio} does not.
     *
     * @throws IllegalStateException the server is closed
     */
    public HttpServlet httpServlet(String endpointPath) {
        Objects.requireNonNull(endpointPath, "endpointPath");
        if (!endpointPath.startsWith("/")) {
            throw new IllegalArgumentException(
                    "endpointPath must start with '/', got '" + endpointPath + "'");
        }
        ensureOpen();
        // Through another class: this one must load without the Servlet API (stdio needs none).
        return HttpEndpoint.servlet(
                endpointPath,
                httpSessionIdleTimeout,
                maxHttpRequestBytes,
                mapper,
                spec -> {
                    McpSyncServer server =
                            build(spec, exchange -> HTTP_SESSION_PREFIX + exchange.sessionId());
                    servers.add(server);
                    return server;
                },
                mcpSessionId -> resetQuietly(HTTP_SESSION_PREFIX + mcpSessionId));
    }

    /**
     * Ends every connection and servlet of this server and closes their Python sessions; closes the
     * tool when {@link Builder#ownsTool} said so. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stdioConnections.forEach(StdioStreams::abort);
        for (McpSyncServer server : List.copyOf(servers)) {
            servers.remove(server);
            closeQuietly(server);
        }
        tools.resetAll();
        if (ownsTool) {
            tool.close();
        }
    }

    private McpSyncServer build(
            McpServer.SyncSpecification<?> spec,
            Function<McpSyncServerExchange, String> sessionOf) {
        List<SyncToolSpecification> specs = tools.specifications(sessionOf);
        return spec.serverInfo(name, version)
                .jsonMapper(mapper)
                .jsonSchemaValidator(validator)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .instructions(McpTools.INSTRUCTIONS)
                .tools(specs)
                .build();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the MCP server is closed");
        }
    }

    private void resetQuietly(String sessionId) {
        tools.forget(sessionId);
    }

    private static void closeQuietly(McpSyncServer server) {
        try {
            server.closeGracefully();
        } catch (RuntimeException e) {
            LOG.debug("closing an MCP server", e);
            server.close();
        }
    }

    /** Options of an {@link EryxMcpServer}. */
    public static final class Builder {
        private PythonTool tool;
        private boolean ownsTool;
        private String name = "eryx";
        private String version = defaultVersion();
        private Duration httpSessionIdleTimeout = Duration.ofMinutes(30);
        private int maxHttpRequestBytes = 16 * 1024 * 1024;

        Builder() {}

        /** The tool that runs the code (required). */
        public Builder tool(PythonTool tool) {
            this.tool = Objects.requireNonNull(tool, "tool");
            return this;
        }

        /** Whether {@link EryxMcpServer#close()} also closes the tool (default false). */
        public Builder ownsTool(boolean owns) {
            this.ownsTool = owns;
            return this;
        }

        /** The server name clients see (default {@code "eryx"}). */
        public Builder name(String name) {
            this.name = requireText(name, "name");
            return this;
        }

        /** The server version clients see (default: this module's version). */
        public Builder version(String version) {
            this.version = requireText(version, "version");
            return this;
        }

        /**
         * An HTTP MCP session with no request and no open stream this long is dropped by the
         * transport (default 30 minutes, like {@link PythonTool.Builder#sessionIdleTimeout}).
         */
        public Builder httpSessionIdleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException(
                        "httpSessionIdleTimeout must be positive, got " + timeout);
            }
            this.httpSessionIdleTimeout = timeout;
            return this;
        }

        /**
         * The largest HTTP request body {@link EryxMcpServer#httpServlet} reads, chunked or not
         * (default 16 MiB, the SDK's); a larger one is refused unread.
         */
        public Builder maxHttpRequestBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException(
                        "maxHttpRequestBytes must be positive, got " + bytes);
            }
            this.maxHttpRequestBytes = bytes;
            return this;
        }

        /**
         * @throws IllegalStateException no tool was given
         */
        public EryxMcpServer build() {
            if (tool == null) {
                throw new IllegalStateException("EryxMcpServer needs a tool: builder().tool(...)");
            }
            return new EryxMcpServer(this);
        }

        private static String requireText(String value, String what) {
            Objects.requireNonNull(value, what);
            if (value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be blank");
            }
            return value;
        }

        private static String defaultVersion() {
            String v = EryxMcpServer.class.getPackage().getImplementationVersion();
            return v != null ? v : "dev";
        }
    }
}
