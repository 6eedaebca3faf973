package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every route but {@code /mcp}: the JSON API, {@code /healthz}, {@code /metrics}, and a JSON 404
 * for anything else. What the guest does is a verdict in a 200 body; only the request itself (its
 * JSON, its session, the server's capacity) earns another status.
 */
final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServlet.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final transient PythonTool tool;
    private final transient Sessions sessions;
    private final transient ResourceLimits defaults;
    private final int maxRequestBytes;
    private final transient PrometheusMeterRegistry registry;

    ApiServlet(
            PythonTool tool,
            Sessions sessions,
            ResourceLimits defaults,
            int maxRequestBytes,
            PrometheusMeterRegistry registry) {
        this.tool = tool;
        this.sessions = sessions;
        this.defaults = defaults;
        this.maxRequestBytes = maxRequestBytes;
        this.registry = registry;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String path = GuardFilter.pathOf(request);
        Route route = Route.of(path);
        String method = request.getMethod();
        try {
            switch (route) {
                case HEALTH -> {
                    allow(method, "GET", response);
                    Json.write(response, 200, Json.object().put("status", "ok"));
                }
                case METRICS -> {
                    allow(method, "GET", response);
                    byte[] text = registry.scrape().getBytes(StandardCharsets.UTF_8);
                    response.setStatus(200);
                    response.setContentType(PROMETHEUS_TEXT);
                    response.setContentLength(text.length);
                    response.getOutputStream().write(text);
                }
                case EXECUTE -> {
                    allow(method, "POST", response);
                    ExecuteRequest body = parseExecute(readBody(request));
                    Json.write(response, 200, execute(null, body).toJson());
                }
                case SESSIONS -> {
                    allow(method, "POST", response);
                    String id = sessions.create(Sessions.parseCreate(readBody(request)));
                    response.setHeader("Location", "/v1/sessions/" + id);
                    Json.write(response, 201, Json.object().put("id", id));
                }
                case SESSION_EXECUTE -> {
                    allow(method, "POST", response);
                    String id = Route.sessionId(path);
                    ExecuteRequest body = parseExecute(readBody(request));
                    ObjectNode json = execute(id, body).toJson();
                    json.put("session", id);
                    Json.write(response, 200, json);
                }
                case SESSION_STATE -> {
                    allow(method, "GET", response);
                    byte[] state = sessions.save(Route.sessionId(path));
                    Json.write(
                            response,
                            200,
                            Json.object().put("state", Base64.getEncoder().encodeToString(state)));
                }
                case SESSION -> {
                    allow(method, "DELETE", response);
                    String id = Route.sessionId(path);
                    if (!sessions.delete(id)) {
                        throw new HttpError(404, "no such session: " + id);
                    }
                    response.setStatus(204);
                }
                default -> throw new HttpError(404, "no such route: " + method + " " + path);
            }
        } catch (HttpError e) {
            if (e.retryAfter != null) {
                response.setHeader("Retry-After", e.retryAfter);
            }
            Json.writeError(response, e.status, e.getMessage());
        } catch (IllegalStateException e) {
            // The pool or the tool is closed: the server is stopping.
            Json.writeError(response, 503, "the server is shutting down: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed", method, path, e);
            Json.writeError(response, 500, "internal error: " + e);
        }
    }

    /**
     * Runs a request's code statelessly (sessionId null) or in a live session, under the request's
     * limits, which the tool cuts to the server's maxima.
     */
    private ToolOutput execute(String sessionId, ExecuteRequest body) {
        try {
            if (sessionId == null) {
                return tool.runWithLimits(null, body.code(), body.limits(defaults));
            }
            return sessions.run(sessionId, body.code(), body.limits(defaults));
        } catch (PoolExhaustedException e) {
            throw HttpError.tooMany(e.getMessage());
        }
    }

    private static ExecuteRequest parseExecute(byte[] body) {
        try {
            return ExecuteRequest.parse(body);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
    }

    private static void allow(String method, String allowed, HttpServletResponse response) {
        if (!allowed.equals(method)) {
            response.setHeader("Allow", allowed);
            throw new HttpError(405, method + " is not allowed here; use " + allowed);
        }
    }

    /** The body, at most maxRequestBytes (a chunked body has no Content-Length to check first). */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        try (InputStream in = request.getInputStream()) {
            byte[] body =
                    in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1L));
            if (body.length > maxRequestBytes) {
                throw new HttpError(413, "the body is larger than " + maxRequestBytes + " bytes");
            }
            return body;
        }
    }
}
