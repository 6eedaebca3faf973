package dev.eryx.server;

import static dev.eryx.server.Http.body;
import static dev.eryx.server.Http.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the web console calls, over loopback with a token: streamed executions, cancel, the session
 * list, run stats, a session's own memory limit, and the console's files.
 */
class ConsoleApiTest {
    private static final String TOKEN = "console-token-0123456789";
    private static final String SSE = "text/event-stream";

    private static EryxServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = EryxServer.builder().port(0).token(TOKEN).poolSize(2).build().start();
        http = new Http(server.uri(), TOKEN);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** One server-sent event, and when it arrived. */
    private record Event(String name, JsonNode data, long arrivedNanos) {}

    @Test
    void outputStreamsBeforeTheResultWhichIsTheJsonAnswer() {
        HttpResponse<Stream<String>> response =
                http.sendLines(
                        http.request("/v1/execute")
                                .header("Accept", SSE)
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                body(
                                                        "import sys, time\nprint('first')\n"
                                                                + "sys.stderr.write('oops\\n')\n"
                                                                + "time.sleep(1)\nprint('second')"))));
        assertEquals(200, response.statusCode());
        assertTrue(
                response.headers().firstValue("Content-Type").orElseThrow().startsWith(SSE),
                response.headers().toString());
        List<Event> events = events(response.body().iterator());
        List<String> names = events.stream().map(Event::name).toList();
        assertEquals("result", names.get(names.size() - 1), names.toString());
        Event first = events.get(0);
        assertEquals("stdout", first.name());
        // print's newline is a write of its own, joined to "first" when both wait for the client.
        assertTrue(first.data().get("text").asText().startsWith("first"), first.toString());
        assertEquals("first\nsecond\n", text(events, "stdout"));
        assertEquals("oops\n", text(events, "stderr"));
        Event result = events.get(events.size() - 1);
        // The first line came while the code slept, not with the result.
        assertTrue(
                result.arrivedNanos() - first.arrivedNanos() > Duration.ofMillis(500).toNanos(),
                "the first output arrived with the result");
        JsonNode out = result.data();
        assertEquals("ok", out.get("verdict").asText(), out.toString());
        assertEquals("first\nsecond\n", out.get("stdout").asText());
        assertEquals("oops\n", out.get("stderr").asText());
        assertTrue(out.get("stats").get("fuel").asLong() > 0, out.toString());
        assertTrue(out.has("effects"), out.toString());
        assertFalse(out.has("session"), out.toString());
    }

    @Test
    void aSessionStreamsToo() {
        String id = newSession("{}");
        List<Event> events =
                stream("/v1/sessions/" + id + "/execute", body("x = 41\nprint(x + 1)"));
        assertEquals("stdout", events.get(0).name());
        JsonNode result = events.get(events.size() - 1).data();
        assertEquals("42\n", result.get("stdout").asText());
        assertEquals(id, result.get("session").asText());
        // Output the guest never wrote still ends in a result.
        List<Event> quiet = stream("/v1/sessions/" + id + "/execute", body("y = x"));
        assertEquals(1, quiet.size(), quiet.toString());
        assertEquals("ok", quiet.get(0).data().get("verdict").asText());
        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
    }

    @Test
    void errorsFoundBeforeRunningStayJson() {
        for (String[] pathAndBody :
                new String[][] {
                    {"/v1/execute", "{\"code\": 5}"},
                    {"/v1/sessions/nope/execute", body("1")},
                }) {
            HttpResponse<String> response =
                    http.send(
                            http.request(pathAndBody[0])
                                    .header("Accept", SSE)
                                    .POST(HttpRequest.BodyPublishers.ofString(pathAndBody[1])));
            assertTrue(response.statusCode() == 400 || response.statusCode() == 404);
            assertTrue(
                    response.headers()
                            .firstValue("Content-Type")
                            .orElseThrow()
                            .startsWith("application/json"));
            assertTrue(json(response).has("error"), response.body());
        }
    }

    @Test
    void theTokensPermitIsHeldWhileAStreamRuns() throws Exception {
        try (RawStream stream =
                RawStream.open(
                        "/v1/execute",
                        body("import time\nprint('started')\ntime.sleep(1.5)\nprint('done')"))) {
            stream.awaitLine(l -> l.equals("event: stdout"));
            // Written to and still running: the permit stays taken (a JSON answer releases it
            // when it starts, which for a stream would be at its first event).
            assertEquals(1, http.metric("eryx_http_requests_running"), "permit released early");
            stream.awaitLine(l -> l.equals("event: result"));
        }
        http.awaitMetric("eryx_http_requests_running", 0);
    }

    @Test
    void aClientThatHangsUpCancelsItsRun() throws Exception {
        String marker = "hangup_" + System.nanoTime();
        String loop =
                "import time\n# "
                        + marker
                        + "\nwhile True:\n    print('tick')\n    time.sleep(0.05)";
        String id = newSession("{}");
        // Set by a call of its own: a stopped execution may be rolled back to where it began.
        http.post("/v1/sessions/" + id + "/execute", body("kept = 1"));
        for (String path : List.of("/v1/execute", "/v1/sessions/" + id + "/execute")) {
            try (RawStream stream =
                    RawStream.open(
                            path,
                            Http.JSON
                                    .createObjectNode()
                                    .put("code", loop)
                                    .put("timeout_ms", 60_000)
                                    .toString())) {
                stream.awaitLine(l -> l.equals("event: stdout"));
            } // closed: the server's next write fails
            JsonNode run =
                    awaitRun(
                            "recent",
                            r ->
                                    r.get("code").asText().contains(marker)
                                            && r.get("session").isNull()
                                                    == (path.equals("/v1/execute")));
            assertEquals("cancelled", run.get("verdict").asText(), run.toString());
            http.awaitMetric("eryx_http_requests_running", 0);
        }
        // The session lives on.
        JsonNode after = json(http.post("/v1/sessions/" + id + "/execute", body("print(kept)")));
        assertEquals("1\n", after.get("stdout").asText(), after.toString());
        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
    }

    @Test
    void aClientThatHangsUpOnASilentRunCancelsItWithinSeconds() throws Exception {
        String marker = "silent_" + System.nanoTime();
        long hungUp;
        try (RawStream stream =
                RawStream.open(
                        "/v1/execute",
                        Http.JSON
                                .createObjectNode()
                                .put("code", "import time\n# " + marker + "\ntime.sleep(60)")
                                .put("timeout_ms", 60_000)
                                .toString())) {
            stream.awaitLine(l -> l.equals(": keep-alive"));
            hungUp = System.nanoTime();
        } // closed: the next keep-alive's write fails
        JsonNode run = awaitRun("recent", r -> r.get("code").asText().contains(marker));
        assertEquals("cancelled", run.get("verdict").asText(), run.toString());
        long took = System.nanoTime() - hungUp;
        assertTrue(took < Duration.ofSeconds(9).toNanos(), "cancelled after " + took / 1e6 + " ms");
        http.awaitMetric("eryx_http_requests_running", 0);
    }

    @Test
    void cancelStopsTheRunningCallOfASession() throws Exception {
        String id = newSession("{}");
        String cancel = "/v1/sessions/" + id + "/cancel";
        HttpResponse<String> idle = http.post(cancel, "");
        assertEquals(200, idle.statusCode(), idle.body());
        assertFalse(json(idle).get("cancelled").asBoolean(), idle.body());

        CompletableFuture<HttpResponse<String>> busy =
                http.postAsync(
                        "/v1/sessions/" + id + "/execute",
                        "{\"code\": \"while True: pass\", \"timeout_ms\": 60000}");
        awaitSession(id, s -> s.get("running").asBoolean());
        long started = System.nanoTime();
        HttpResponse<String> cancelled = http.post(cancel, "");
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertTrue(json(cancelled).get("cancelled").asBoolean(), cancelled.body());
        JsonNode out = json(busy.get());
        assertEquals("cancelled", out.get("verdict").asText(), out.toString());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(20).toNanos());
        assertEquals(
                "3\n",
                json(http.post("/v1/sessions/" + id + "/execute", body("print(3)")))
                        .get("stdout")
                        .asText());

        assertEquals(404, http.post("/v1/sessions/nope/cancel", "").statusCode());
        HttpResponse<String> get = http.get(cancel);
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("Allow").orElseThrow());
        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
        assertEquals(404, http.post(cancel, "").statusCode());
    }

    @Test
    void theSessionListShowsTheApisAndMcpsSessions() {
        String id = newSession("{}");
        http.post("/v1/sessions/" + id + "/execute", body("data = list(range(100000))"));
        String mcp = mcpSession();
        try {
            HttpResponse<String> response = http.get("/v1/sessions");
            assertEquals(200, response.statusCode(), response.body());
            JsonNode sessions = json(response).get("sessions");
            JsonNode api = find(sessions, s -> s.get("id").asText().equals(id));
            assertNotNull(api, sessions.toString());
            assertEquals("api", api.get("kind").asText());
            assertEquals(1, api.get("executions").asLong());
            assertTrue(api.get("memory_bytes").asLong() > 0, api.toString());
            assertFalse(api.get("running").asBoolean());
            assertTrue(api.get("age_ms").asLong() >= api.get("idle_ms").asLong(), api.toString());
            assertFalse(Instant.parse(api.get("created").asText()).isAfter(Instant.now()));
            // The Mcp-Session-Id is the MCP transport's handle: only a hash of it is shown.
            String shown = "mcp-" + sha256Hex(mcp).substring(0, 12);
            JsonNode viaMcp = find(sessions, s -> s.get("id").asText().equals(shown));
            assertNotNull(viaMcp, sessions.toString());
            assertEquals("mcp", viaMcp.get("kind").asText());
            assertEquals(1, viaMcp.get("executions").asLong());
            assertFalse(response.body().contains(mcp), response.body());
            String stats = http.get("/v1/stats").body();
            assertFalse(stats.contains(mcp), stats);
            assertTrue(stats.contains("\"session\":\"" + shown + "\""), stats);
            assertEquals(405, http.delete("/v1/sessions").statusCode());
        } finally {
            http.delete("/v1/sessions/" + id);
            http.send(http.request("/mcp").header("Mcp-Session-Id", mcp).DELETE());
        }
    }

    @Test
    void statsCountRunsByVerdictWithTheirCodeAndError() {
        JsonNode before = stats();
        String marker = "# stats " + System.nanoTime();
        assertEquals(200, http.post("/v1/execute", body("print(1)\n" + marker)).statusCode());
        assertEquals(200, http.post("/v1/execute", body("1 / 0\n" + marker)).statusCode());

        JsonNode stats = stats();
        JsonNode pool = stats.get("pool");
        assertEquals(2, pool.get("size").asInt(), pool.toString()); // the capacity: poolSize(2)
        assertTrue(pool.get("live").asInt() >= 1 && pool.get("live").asInt() <= 2, pool.toString());
        assertTrue(
                pool.get("idle").asInt() + pool.get("active").asInt() <= pool.get("live").asInt(),
                pool.toString());
        assertTrue(stats.get("sessions").isInt());
        assertEquals(600, stats.get("window_seconds").asInt());
        assertEquals(10, stats.get("bucket_seconds").asInt());
        assertEquals(60, stats.get("buckets").size());
        assertTrue(stats.get("rate_per_second").asDouble() > 0);
        assertEquals(
                before.get("verdicts").get("ok").asLong() + 1,
                stats.get("verdicts").get("ok").asLong());
        assertEquals(
                before.get("verdicts").get("python_error").asLong() + 1,
                stats.get("verdicts").get("python_error").asLong());
        assertEquals(
                before.get("duration_ms").get("count").asLong() + 2,
                stats.get("duration_ms").get("count").asLong());
        assertTrue(
                stats.get("duration_ms").get("p99").asLong()
                        >= stats.get("duration_ms").get("p50").asLong());

        JsonNode failed = stats.get("failed").get(0);
        assertEquals("1 / 0\n" + marker, failed.get("code").asText());
        assertEquals("python_error", failed.get("verdict").asText());
        assertEquals("ZeroDivisionError", failed.get("error_type").asText());
        assertTrue(failed.get("error").asText().contains("ZeroDivisionError"), failed.toString());
        assertTrue(failed.get("session").isNull());
        assertTrue(failed.get("fuel").asLong() > 0);
        assertTrue(failed.get("memory_bytes").asLong() > 0);
        Instant.parse(failed.get("at").asText());
        JsonNode recent = stats.get("recent");
        assertEquals("1 / 0\n" + marker, recent.get(0).get("code").asText());
        assertEquals("print(1)\n" + marker, recent.get(1).get("code").asText());
        assertTrue(stats.get("slowest").size() >= 2);
    }

    @Test
    void aSessionsMemoryLimitIsItsOwn() {
        String bigList = "x = [0] * (16 * 2**20)\nprint(len(x))";
        String small = newSession("{\"max_memory_bytes\": " + (64L << 20) + "}");
        JsonNode starved = json(http.post("/v1/sessions/" + small + "/execute", body(bigList)));
        assertEquals("memory", starved.get("verdict").asText(), starved.toString());
        String roomy = newSession("{}");
        JsonNode fits = json(http.post("/v1/sessions/" + roomy + "/execute", body(bigList)));
        assertEquals("ok", fits.get("verdict").asText(), fits.toString());
        // Above the server's limit is cut to it, not refused.
        String huge = newSession("{\"max_memory_bytes\": " + (1L << 40) + "}");
        for (String id : List.of(small, roomy, huge)) {
            assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
        }

        for (String bad :
                List.of(
                        "{\"max_memory_bytes\": 0}",
                        "{\"max_memory_bytes\": \"64\"}",
                        "{\"max_memory_bytes\": 1024}",
                        "{\"max_memory_bytes\": 67108864, \"state\": \"AQID\"}")) {
            HttpResponse<String> refused = http.post("/v1/sessions", bad);
            assertEquals(400, refused.statusCode(), bad + " -> " + refused.body());
            assertTrue(json(refused).has("error"));
        }
    }

    @Test
    void consoleFilesAreServedWithoutATokenAndWithTheirHeaders() {
        Http anonymous = http.withToken(null);
        HttpResponse<String> asset = anonymous.get("/console/test-asset.txt");
        assertEquals(200, asset.statusCode(), asset.body());
        assertEquals("console test asset\n", asset.body());
        assertEquals(
                "text/plain;charset=utf-8",
                asset.headers()
                        .firstValue("Content-Type")
                        .orElseThrow()
                        .replace(" ", "")
                        .toLowerCase());
        assertEquals(
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
                        + " img-src 'self' data:; base-uri 'none'; form-action 'self';"
                        + " frame-ancestors 'none'",
                asset.headers().firstValue("Content-Security-Policy").orElseThrow());
        assertEquals("nosniff", asset.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("no-referrer", asset.headers().firstValue("Referrer-Policy").orElseThrow());
        assertEquals("no-cache", asset.headers().firstValue("Cache-Control").orElseThrow());

        HttpResponse<String> head =
                anonymous.send(
                        anonymous
                                .request("/console/test-asset.txt")
                                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        HttpResponse<String> post = anonymous.post("/console/test-asset.txt", "{}");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());

        for (String missing :
                List.of(
                        "/console/nope.txt",
                        "/console/test-asset",
                        "/console/",
                        "/console/vendor/nope.js")) {
            HttpResponse<String> response = anonymous.get(missing);
            assertEquals(404, response.statusCode(), missing);
            assertTrue(json(response).has("error"), missing);
            assertTrue(response.headers().firstValue("Content-Security-Policy").isPresent());
        }

        // The page: index.html when the console's files are built in (they are another part's).
        HttpResponse<String> page = anonymous.get("/");
        boolean built =
                ConsoleApiTest.class
                                .getClassLoader()
                                .getResource("dev/eryx/server/console/index.html")
                        != null;
        assertEquals(built ? 200 : 404, page.statusCode(), page.body());
        if (built) {
            assertTrue(
                    page.headers()
                            .firstValue("Content-Type")
                            .orElseThrow()
                            .startsWith("text/html"));
        }

        // The data is not open.
        assertEquals(401, anonymous.get("/v1/stats").statusCode());
        assertEquals(401, anonymous.get("/v1/sessions").statusCode());
        assertEquals(401, anonymous.post("/v1/sessions/x/cancel", "").statusCode());
        assertEquals(200, http.get("/v1/stats").statusCode());
        assertTrue(http.get("/metrics").body().contains("route=\"/console/{file}\""));
    }

    @Test
    void noConsolePathReachesOutsideItsDirectory() throws Exception {
        int port = server.port();
        for (String path :
                List.of(
                        "/console/../internal/ApiServlet.class",
                        "/console/%2e%2e/internal/ApiServlet.class",
                        "/console/..%2finternal%2fApiServlet.class",
                        "/console/%2e%2e%2f%2e%2e%2fconsole/test-asset.txt",
                        "/console/..\\..\\logback.xml",
                        "/console/vendor/../../../../../etc/passwd")) {
            // With the token: a path that left the console's directory must not meet a 401
            // instead of the 404 it deserves.
            String response =
                    Http.raw(
                            port,
                            "GET "
                                    + path
                                    + " HTTP/1.1\r\nHost: 127.0.0.1:"
                                    + port
                                    + "\r\nAuthorization: Bearer "
                                    + TOKEN
                                    + "\r\n");
            String status = response.lines().findFirst().orElse("");
            assertTrue(
                    status.contains(" 400 ") || status.contains(" 404 "), path + " -> " + status);
            assertFalse(response.contains("root:x:"), path);
        }
        // The Host check still applies to the console.
        assertTrue(
                Http.raw(port, "GET /console/test-asset.txt HTTP/1.1\r\nHost: evil.example\r\n")
                        .startsWith("HTTP/1.1 403 "));
    }

    // ---------------------------------------------------------------------------------------

    private static String newSession(String body) {
        HttpResponse<String> created = http.post("/v1/sessions", body);
        assertEquals(201, created.statusCode(), created.body());
        return json(created).get("id").asText();
    }

    private static JsonNode stats() {
        HttpResponse<String> response = http.get("/v1/stats");
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static List<Event> stream(String path, String body) {
        HttpResponse<Stream<String>> response =
                http.sendLines(
                        http.request(path)
                                .header("Accept", SSE)
                                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, response.statusCode());
        return events(response.body().iterator());
    }

    /** The events of a stream, which must end with a result. */
    private static List<Event> events(Iterator<String> lines) {
        List<Event> events = new ArrayList<>();
        String name = null;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.startsWith("event: ")) {
                name = line.substring("event: ".length());
            } else if (line.startsWith("data: ")) {
                try {
                    events.add(
                            new Event(
                                    name,
                                    Http.JSON.readTree(line.substring("data: ".length())),
                                    System.nanoTime()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                assertTrue(line.isEmpty() || line.startsWith(":"), line);
            }
        }
        assertFalse(events.isEmpty());
        return events;
    }

    /** The texts of a stream's events of one kind, joined. */
    private static String text(List<Event> events, String name) {
        StringBuilder text = new StringBuilder();
        for (Event event : events) {
            if (event.name().equals(name)) {
                text.append(event.data().get("text").asText());
            }
        }
        return text.toString();
    }

    private static JsonNode find(JsonNode array, Predicate<JsonNode> test) {
        for (JsonNode node : array) {
            if (test.test(node)) {
                return node;
            }
        }
        return null;
    }

    /** Waits (generously) for a run of {@code list} ("recent", "failed") matching {@code test}. */
    private static JsonNode awaitRun(String list, Predicate<JsonNode> test)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode run = find(stats().get(list), test);
            if (run != null) {
                return run;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no such run in " + list + ": " + stats().get(list));
    }

    private static void awaitSession(String id, Predicate<JsonNode> test)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode session =
                    find(
                            json(http.get("/v1/sessions")).get("sessions"),
                            s -> s.get("id").asText().equals(id));
            if (session != null && test.test(session)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(
                "session " + id + " never matched: " + http.get("/v1/sessions").body());
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An MCP session that ran one call; its id (the tool's session is "mcp-" + it). */
    private static String mcpSession() {
        HttpResponse<String> init =
                http.mcpPost(
                        null,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                                + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        assertEquals(200, init.statusCode(), init.body());
        String mcp = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        http.mcpPost(mcp, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        HttpResponse<String> call =
                http.mcpPost(
                        mcp,
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                                + "\"name\":\"run_python\",\"arguments\":{\"code\":\"z = 7\"}}}");
        assertEquals(200, call.statusCode(), call.body());
        return mcp;
    }

    /** A streamed execution over a raw socket, so that closing it hangs up mid-stream. */
    private static final class RawStream implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;

        private RawStream(Socket socket) throws IOException {
            this.socket = socket;
            this.in =
                    new BufferedReader(
                            new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        static RawStream open(String path, String body) throws IOException {
            Socket socket = new Socket("127.0.0.1", server.port());
            socket.setSoTimeout(30_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST "
                                    + path
                                    + " HTTP/1.1\r\nHost: 127.0.0.1:"
                                    + server.port()
                                    + "\r\nAuthorization: Bearer "
                                    + TOKEN
                                    + "\r\nAccept: text/event-stream"
                                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                                    + bytes.length
                                    + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return new RawStream(socket);
        }

        /** Reads (status line, headers, chunk sizes and events alike) up to a matching line. */
        void awaitLine(Predicate<String> test) throws IOException {
            String line;
            while ((line = in.readLine()) != null) {
                if (test.test(line)) {
                    return;
                }
            }
            throw new AssertionError("the stream ended first");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
