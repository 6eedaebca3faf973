package dev.eryx.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.MemoryLimitException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.SandboxPool;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A JSON execution service over the JDK's built-in HTTP server, backed by a {@link SandboxPool}.
 * Listens on the loopback interface only.
 *
 * <pre>
 * POST /execute   {"code": "print(1)", "timeoutMs": 2000}
 *   200 {"verdict": "ok",      "stdout": "1\n", "stderr": "", "result": null, "exitCode": 0, "durationMs": 3}
 *   200 {"verdict": "error",   "errorType": "ZeroDivisionError", "message": ..., "traceback": ..., "stdout": ...}
 *   200 {"verdict": "timeout", "message": ..., "stdout": ...}
 *   200 {"verdict": "limit",   "limit": "fuel" | "memory" | "output", "message": ..., "stdout": ...}
 *   400 {"error": ...}  the request is not valid JSON of that shape
 *   503 {"error": ...}  every sandbox is busy (the pool's acquire timeout passed)
 * </pre>
 *
 * The HTTP status describes only the service; what the code did is the body's {@code verdict}.
 */
public final class ExecutionService implements AutoCloseable {
    static final int MAX_BODY_BYTES = 1 << 20;
    static final long MAX_TIMEOUT_MS = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SandboxPool pool;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final ResourceLimits baseLimits;

    /**
     * Binds to {@code 127.0.0.1:port} (0 picks a free port) and starts serving.
     *
     * @param handlerThreads concurrent requests handled; more than the pool's capacity just wait
     *     for it
     */
    public ExecutionService(
            SandboxPool pool, ResourceLimits baseLimits, int port, int handlerThreads)
            throws IOException {
        this.pool = pool;
        this.baseLimits = baseLimits;
        this.server =
                HttpServer.create(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        this.handlers =
                Executors.newFixedThreadPool(
                        handlerThreads,
                        r -> {
                            Thread t = new Thread(r, "eryx-http");
                            t.setDaemon(true);
                            return t;
                        });
        server.setExecutor(handlers);
        server.createContext("/execute", this::handleExecute);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handleExecute(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", "POST");
                send(exchange, 405, error("use POST"));
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(MAX_BODY_BYTES + 1);
            }
            if (body.length > MAX_BODY_BYTES) {
                send(exchange, 413, error("request body exceeds " + MAX_BODY_BYTES + " bytes"));
                return;
            }
            String code;
            ResourceLimits limits;
            try {
                JsonNode request = JSON.readTree(body);
                if (request == null || !request.isObject()) {
                    throw new IllegalArgumentException("the body must be a JSON object");
                }
                JsonNode codeNode = request.get("code");
                if (codeNode == null || !codeNode.isTextual()) {
                    throw new IllegalArgumentException("\"code\" must be a string");
                }
                code = codeNode.asText();
                limits = baseLimits;
                JsonNode timeout = request.get("timeoutMs");
                if (timeout != null && !timeout.isNull()) {
                    if (!timeout.isIntegralNumber()
                            || timeout.asLong() <= 0
                            || timeout.asLong() > MAX_TIMEOUT_MS) {
                        throw new IllegalArgumentException(
                                "\"timeoutMs\" must be an integer in 1.." + MAX_TIMEOUT_MS);
                    }
                    limits =
                            baseLimits.toBuilder()
                                    .executionTimeout(Duration.ofMillis(timeout.asLong()))
                                    .build();
                }
            } catch (IOException | IllegalArgumentException e) {
                send(exchange, 400, error("bad request: " + e.getMessage()));
                return;
            }
            ObjectNode response;
            try {
                response = verdict(pool.execute(code, limits));
            } catch (PoolExhaustedException busy) {
                send(exchange, 503, error("all sandboxes are busy; retry later"));
                return;
            } catch (EryxException failure) {
                response = verdict(failure);
            } catch (IllegalStateException closed) {
                send(exchange, 503, error("the service is shutting down"));
                return;
            }
            send(exchange, 200, response);
        }
    }

    static ObjectNode verdict(ExecutionResult r) {
        ObjectNode json = JSON.createObjectNode().put("verdict", "ok");
        json.put("stdout", r.stdout()).put("stderr", r.stderr());
        json.set("result", r.result());
        json.put("exitCode", r.exitCode()).put("durationMs", r.duration().toMillis());
        return json;
    }

    static ObjectNode verdict(EryxException failure) {
        ObjectNode json = JSON.createObjectNode();
        if (failure instanceof ExecutionTimeoutException) {
            json.put("verdict", "timeout");
        } else if (failure instanceof FuelExhaustedException
                || failure instanceof MemoryLimitException
                || failure instanceof OutputLimitException) {
            json.put("verdict", "limit")
                    .put(
                            "limit",
                            failure instanceof FuelExhaustedException
                                    ? "fuel"
                                    : failure instanceof MemoryLimitException
                                            ? "memory"
                                            : "output");
        } else {
            json.put("verdict", "error");
            if (failure instanceof PythonException) {
                json.put("errorType", ((PythonException) failure).pythonType());
                json.put("traceback", ((PythonException) failure).traceback());
            } else {
                json.put("errorType", failure.getClass().getSimpleName());
            }
        }
        json.put("message", failure.getMessage());
        ExecutionResult partial = failure.partialResult();
        json.put("stdout", partial == null ? "" : partial.stdout());
        json.put("stderr", partial == null ? "" : partial.stderr());
        return json;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body)
            throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * Runs the service: {@code java -Xss16m -cp ... dev.eryx.examples.ExecutionService [port]}
     * (default 8080), then {@code curl -d '{"code":"print(1)"}' 127.0.0.1:8080/execute}.
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        disableNagle();
        ResourceLimits limits = defaultLimits();
        SandboxPool pool = defaultPool(limits);
        ExecutionService service =
                new ExecutionService(pool, limits, port, defaultHandlerThreads());
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    service.close();
                                    pool.close();
                                }));
        System.out.println(
                "eryx execution service on http://"
                        + service.address().getHostString()
                        + ":"
                        + service.port()
                        + "/execute");
        Thread.currentThread().join();
    }

    /**
     * Makes the JDK's HTTP server set TCP_NODELAY on its connections; call it before the JVM's
     * first {@code HttpServer} is created (the server reads the setting once). The server writes a
     * response's headers and body separately, so with Nagle's algorithm the body waits for the
     * client's delayed ACK: measured with the loopback load test, one client's median latency for
     * {@code print(1)} fell from 63 ms to 29 ms with it. A process-wide switch, so it belongs in
     * {@code main}, not in the constructor.
     */
    public static void disableNagle() {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** The per-request limits {@link #main} serves with (a request may only lower the timeout). */
    public static ResourceLimits defaultLimits() {
        return ResourceLimits.builder()
                .executionTimeout(Duration.ofSeconds(5))
                .maxMemoryBytes(128L << 20)
                .maxOutputBytes(1 << 20)
                .build();
    }

    /**
     * The pool {@link #main} serves from: one sandbox per CPU (at least two), two kept ready, and
     * at most half the JVM's heap reserved for sandboxes. The load test uses the same.
     */
    public static SandboxPool defaultPool(ResourceLimits limits) {
        int cpus = Runtime.getRuntime().availableProcessors();
        return SandboxPool.builder()
                .minIdle(Math.min(2, cpus))
                .maxSize(Math.max(2, cpus))
                .acquireTimeout(Duration.ofSeconds(10))
                .resourceLimits(limits)
                .maxTotalMemoryBytes(
                        Math.max(limits.maxMemoryBytes(), Runtime.getRuntime().maxMemory() / 2))
                .preload("json", "re", "math")
                .build();
    }

    /** Handler threads {@link #main} uses: requests beyond the pool's capacity wait in the pool. */
    public static int defaultHandlerThreads() {
        return 4 * Math.max(2, Runtime.getRuntime().availableProcessors());
    }
}
