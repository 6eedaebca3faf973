package dev.eryx.server.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routes of the server, as templates: what metrics are tagged with (never the raw path, whose
 * session ids would make a meter per session) and what the API servlet dispatches on.
 */
enum Route {
    EXECUTE("/v1/execute"),
    SESSIONS("/v1/sessions"),
    SESSION_EXECUTE("/v1/sessions/{id}/execute"),
    SESSION_STATE("/v1/sessions/{id}/state"),
    SESSION_CANCEL("/v1/sessions/{id}/cancel"),
    SESSION("/v1/sessions/{id}"),
    STATS("/v1/stats"),
    /** The web console: {@code /} (its page) and {@code /console/<file>}, one template for all. */
    CONSOLE("/console/{file}"),
    MCP("/mcp"),
    HEALTH("/healthz"),
    METRICS("/metrics"),
    OTHER("other");

    /** Ids are what {@link SessionIds} makes (and MCP's): letters, digits, '-' and '_'. */
    private static final Pattern SESSION_PATH =
            Pattern.compile("/v1/sessions/([A-Za-z0-9_-]{1,128})(/execute|/state|/cancel)?");

    final String template;

    Route(String template) {
        this.template = template;
    }

    /** The route of a request path (the servlet path plus path info, without the query). */
    static Route of(String path) {
        switch (path) {
            case "/v1/execute":
                return EXECUTE;
            case "/v1/sessions":
                return SESSIONS;
            case "/mcp":
                return MCP;
            case "/healthz":
                return HEALTH;
            case "/metrics":
                return METRICS;
            case "/v1/stats":
                return STATS;
            case "/":
                return CONSOLE;
            default:
                if (path.startsWith("/console/") || path.equals("/console")) {
                    return CONSOLE;
                }
                Matcher m = SESSION_PATH.matcher(path);
                if (!m.matches()) {
                    return OTHER;
                }
                String tail = m.group(2);
                if (tail == null) {
                    return SESSION;
                }
                return switch (tail) {
                    case "/execute" -> SESSION_EXECUTE;
                    case "/state" -> SESSION_STATE;
                    default -> SESSION_CANCEL;
                };
        }
    }

    /** The session id of a session route's path, else null. */
    static String sessionId(String path) {
        Matcher m = SESSION_PATH.matcher(path);
        return m.matches() ? m.group(1) : null;
    }

    /** Whether requests of this route may run guest code. */
    boolean runsCode() {
        return this == EXECUTE || this == SESSIONS || this == SESSION_EXECUTE || this == MCP;
    }

    /**
     * Whether a request counts against the per-token concurrency limit: those that run code, and
     * saving a session's state, which waits for the session's calls and then serialises its sandbox
     * (both hold a server thread). Cancelling does neither, and must get through when the token's
     * places are all taken by the very runs it would stop.
     */
    boolean isLimited(String method) {
        return runsCode() ? "POST".equals(method) : this == SESSION_STATE && "GET".equals(method);
    }
}
