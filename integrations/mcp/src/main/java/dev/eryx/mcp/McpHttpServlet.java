package dev.eryx.mcp;

import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * The SDK's streamable-HTTP servlet, plus what it does not tell its server: when an MCP session
 * ends (a {@code DELETE} that succeeded) or is unknown (404: swept as idle, or never existed), the
 * Python session of that id is closed.
 */
final class McpHttpServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String SESSION_HEADER = "Mcp-Session-Id";

    private final transient HttpServletStreamableServerTransportProvider transport;
    private final transient Consumer<String> sessionEnded;

    McpHttpServlet(
            HttpServletStreamableServerTransportProvider transport, Consumer<String> sessionEnded) {
        this.transport = transport;
        this.sessionEnded = sessionEnded;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        transport.init(config);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        transport.service(request, response);
        String sessionId = request.getHeader(SESSION_HEADER);
        if (sessionId == null || sessionId.isBlank()) {
            return;
        }
        int status = response.getStatus();
        boolean deleted = "DELETE".equals(request.getMethod()) && status >= 200 && status < 300;
        if (deleted || status == HttpServletResponse.SC_NOT_FOUND) {
            sessionEnded.accept(sessionId);
        }
    }

    @Override
    public void destroy() {
        transport.destroy();
        super.destroy();
    }
}
