package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PoolStats;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.SessionInfo;
import dev.eryx.tool.ToolOutput;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every route but {@code /mcp} and the console's files: the JSON API (its execute routes also as
 * event streams), {@code /healthz}, {@code /metrics}, and a JSON 404 for anything else. What the
 * guest does is a verdict in a 200 body; only the request itself (its JSON, its session, the
 * server's capacity) earns another status.
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
    private final transient SandboxPool pool;
    private final transient RunLog runLog;
    private final transient InstantSource clock;
    private final transient ThreadFactory streamThreads;

    ApiServlet(
            PythonTool tool,
            Sessions sessions,
            ResourceLimits defaults,
            int maxRequestBytes,
            PrometheusMeterRegistry registry,
            SandboxPool pool,
            RunLog runLog,
            InstantSource clock) {
        this.tool = tool;
        this.sessions = sessions;
        this.defaults = defaults;
        this.maxRequestBytes = maxRequestBytes;
        this.registry = registry;
        this.pool = pool;
        this.runLog = runLog;
        this.clock = clock;
        AtomicLong streams = new AtomicLong();
        this.streamThreads =
                runnable -> {
                    Thread thread =
                            new Thread(runnable, "eryx-stream-" + streams.incrementAndGet());
                    thread.setDaemon(true); // never keeps the JVM alive
                    return thread;
                };
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
                    answer(request, response, output -> execute(null, body, output).toJson());
                }
                case SESSIONS -> {
                    allow(method, "GET, POST", response);
                    if (method.equals("GET")) {
                        Json.write(response, 200, sessionList());
                    } else {
                        String id = sessions.create(Sessions.parseCreate(readBody(request)));
                        response.setHeader("Location", "/v1/sessions/" + id);
                        Json.write(response, 201, Json.object().put("id", id));
                    }
                }
                case SESSION_EXECUTE -> {
                    allow(method, "POST", response);
                    String id = Route.sessionId(path);
                    ExecuteRequest body = parseExecute(readBody(request));
                    answer(
                            request,
                            response,
                            output -> execute(id, body, output).toJson().put("session", id));
                }
                case SESSION_CANCEL -> {
                    allow(method, "POST", response);
                    boolean cancelled = sessions.cancel(Route.sessionId(path));
                    Json.write(response, 200, Json.object().put("cancelled", cancelled));
                }
                case STATS -> {
                    allow(method, "GET", response);
                    Json.write(response, 200, stats());
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
        } catch (RuntimeException e) {
            HttpError error = HttpError.of(e);
            if (error.status == 500) {
                LOG.warn("{} {} failed", method, path, e);
            }
            if (error.retryAfter != null) {
                response.setHeader("Retry-After", error.retryAfter);
            }
            Json.writeError(response, error.status, error.getMessage());
        }
    }

    /**
     * The JSON {@code run} returns, or, when the request accepts {@code text/event-stream}, the
     * output as it is written and then that JSON as the {@code result} event ({@link EventStream}).
     */
    private void answer(
            HttpServletRequest request,
            HttpServletResponse response,
            Function<OutputListener, ObjectNode> run)
            throws IOException {
        if (!EventStream.wanted(request.getHeader("Accept"))) {
            Json.write(response, 200, run.apply(null));
            return;
        }
        new EventStream(EventStream.KEEP_ALIVE)
                .serve(response, run, streamThreads, GuardFilter.permitRelease(request));
    }

    /**
     * Runs a request's code statelessly (sessionId null) or in a live session, under the request's
     * limits, which the tool cuts to the server's maxima.
     *
     * @param output receives the output while it runs; null for none
     */
    private ToolOutput execute(String sessionId, ExecuteRequest body, OutputListener output) {
        try {
            ResourceLimits limits = body.limits(defaults);
            if (sessionId != null) {
                return sessions.run(sessionId, body.code(), limits, output);
            }
            return output == null
                    ? tool.runWithLimits(null, body.code(), limits)
                    : tool.runWithLimits(null, body.code(), limits, output);
        } catch (PoolExhaustedException e) {
            throw HttpError.tooMany(e.getMessage());
        }
    }

    /**
     * {@code GET /v1/sessions}: every live session of the tool, the JSON API's and MCP's (the
     * latter under {@link Sessions#publicId}).
     */
    private ObjectNode sessionList() {
        Instant now = clock.instant();
        ObjectNode json = Json.object();
        ArrayNode list = json.putArray("sessions");
        for (SessionInfo info : tool.sessions()) {
            list.addObject()
                    .put("id", Sessions.publicId(info.id()))
                    .put("kind", info.id().startsWith(Sessions.MCP_PREFIX) ? "mcp" : "api")
                    .put("created", info.created().toString())
                    .put("age_ms", millisBetween(info.created(), now))
                    .put("idle_ms", info.running() ? 0 : millisBetween(info.lastUsed(), now))
                    .put("executions", info.executions())
                    .put("memory_bytes", info.memoryBytes())
                    .put("running", info.running());
        }
        return json;
    }

    private static long millisBetween(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }

    /**
     * {@code GET /v1/stats}: the pool now (its capacity, the sandboxes it holds, idle and lent),
     * the session count, and the run log's window.
     */
    private ObjectNode stats() {
        PoolStats poolStats = pool.stats();
        ObjectNode json = Json.object();
        json.putObject("pool")
                .put("size", pool.capacity())
                .put("live", poolStats.total())
                .put("idle", poolStats.idle())
                .put("active", poolStats.inUse());
        json.put("sessions", tool.sessionCount());
        runLog.writeTo(json);
        return json;
    }

    private static ExecuteRequest parseExecute(byte[] body) {
        try {
            return ExecuteRequest.parse(body);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
    }

    /**
     * @param allowed one method, or several as the Allow header lists them ("GET, POST")
     */
    private static void allow(String method, String allowed, HttpServletResponse response) {
        if (!List.of(allowed.split(", ")).contains(method)) {
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
