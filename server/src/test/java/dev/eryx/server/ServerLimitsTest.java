package dev.eryx.server;

import static dev.eryx.server.Http.body;
import static dev.eryx.server.Http.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A deliberately small loopback server without a token: one pooled sandbox with a tiny acquire
 * timeout, two sessions, two concurrent code-running requests, 4 KiB bodies.
 */
class ServerLimitsTest {
    private static EryxServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server =
                EryxServer.builder()
                        .port(0)
                        .poolSize(1)
                        .acquireTimeout(Duration.ofMillis(50))
                        .maxSessions(2)
                        .maxConcurrentPerToken(2)
                        .maxRequestBytes(4096)
                        .build()
                        .start();
        http = new Http(server.uri(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** No test starts while another's requests still hold places (a failed one may leave some). */
    @BeforeEach
    void nothingRunning() throws InterruptedException {
        http.awaitMetric("eryx_http_requests_running", 0);
    }

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        String big = body("x = '" + "a".repeat(5000) + "'");
        HttpResponse<String> declared = http.post("/v1/execute", big);
        assertEquals(413, declared.statusCode(), declared.body());
        assertTrue(json(declared).has("error"));
        // Chunked: no Content-Length to check first, so the read stops at the limit.
        HttpResponse<String> chunked =
                http.send(
                        http.request("/v1/execute")
                                .POST(
                                        HttpRequest.BodyPublishers.ofInputStream(
                                                () -> new ByteArrayInputStream(big.getBytes()))));
        assertEquals(413, chunked.statusCode(), chunked.body());
        assertEquals("ok", json(http.post("/v1/execute", body("1"))).get("verdict").asText());

        // /mcp reads its body itself (the SDK's transport), with the same limit.
        String initialize =
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                        + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\""
                        + "a".repeat(5000)
                        + "\",\"version\":\"1\"}}}";
        HttpResponse<String> mcp =
                http.send(
                        http.request("/mcp")
                                .header("Accept", "application/json, text/event-stream")
                                .POST(
                                        HttpRequest.BodyPublishers.ofInputStream(
                                                () ->
                                                        new ByteArrayInputStream(
                                                                initialize.getBytes()))));
        assertTrue(mcp.statusCode() >= 400, mcp.statusCode() + " " + mcp.body());
        http.awaitMetric("eryx_http_requests_running", 0);
    }

    @Test
    void poolExhaustionIs429WithRetryAfter() throws Exception {
        CompletableFuture<HttpResponse<String>> slow =
                http.postAsync(
                        "/v1/execute", "{\"code\": \"while True: pass\", \"timeout_ms\": 4000}");
        try {
            // The slow one holds the only sandbox for 4 s; a request meanwhile waits 50 ms for it.
            http.awaitMetric("eryx_pool_active", 1);
            HttpResponse<String> refused = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && !slow.isDone()) {
                HttpResponse<String> response = http.post("/v1/execute", body("1"));
                if (response.statusCode() == 429) {
                    refused = response;
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(refused != null, "no 429 while the only sandbox was busy");
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(
                    json(refused).get("error").asText().contains("no sandbox became free"),
                    refused.body());
        } finally {
            assertEquals("timeout", json(slow.get()).get("verdict").asText());
        }
        assertEquals("ok", json(http.post("/v1/execute", body("1"))).get("verdict").asText());
    }

    @Test
    void sessionLimitAndConcurrencyLimitAre429() throws Exception {
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> created = http.post("/v1/sessions", "{}");
                assertEquals(201, created.statusCode(), created.body());
                ids.add(json(created).get("id").asText());
            }
            HttpResponse<String> third = http.post("/v1/sessions", "{}");
            assertEquals(429, third.statusCode(), third.body());
            assertTrue(third.headers().firstValue("Retry-After").isPresent());

            // Two busy sessions take both places of the (anonymous) caller: a third request waits
            // for none of them and is refused.
            List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
            for (String id : ids) {
                busy.add(
                        http.postAsync(
                                "/v1/sessions/" + id + "/execute",
                                "{\"code\": \"while True: pass\", \"timeout_ms\": 4000}"));
            }
            // Both hold their places before the probes start: a probe sent earlier could take
            // the second place itself and turn a busy call away.
            http.awaitMetric("eryx_http_requests_running", 2);
            HttpResponse<String> refused = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && busy.stream().noneMatch(CompletableFuture::isDone)) {
                HttpResponse<String> response = http.post("/v1/execute", body("1"));
                if (response.statusCode() == 429) {
                    refused = response;
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(
                    refused != null,
                    () ->
                            "no 429 while two requests ran: "
                                    + busy.stream()
                                            .map(b -> b.getNow(null))
                                            .map(
                                                    r ->
                                                            r == null
                                                                    ? "running"
                                                                    : r.statusCode()
                                                                            + " "
                                                                            + r.body())
                                            .toList());
            assertTrue(json(refused).get("error").asText().contains("at once"), refused.body());
            // Saving a session waits for its calls: it counts against the limit too.
            HttpResponse<String> save = http.get("/v1/sessions/" + ids.get(0) + "/state");
            if (busy.stream().noneMatch(CompletableFuture::isDone)) {
                assertEquals(429, save.statusCode(), save.body());
            }
            for (CompletableFuture<HttpResponse<String>> b : busy) {
                assertEquals("timeout", json(b.get()).get("verdict").asText());
            }
            // Health does not count: it answers whatever runs.
            assertEquals(200, http.get("/healthz").statusCode());
        } finally {
            for (String id : ids) {
                http.delete("/v1/sessions/" + id);
            }
        }
        HttpResponse<String> again = http.post("/v1/sessions", "{}");
        assertEquals(201, again.statusCode(), again.body());
        http.delete("/v1/sessions/" + json(again).get("id").asText());
    }

    @Test
    void aCallQueuedBehindADeletedSessionIs404AndStartsNoSession() throws Exception {
        HttpResponse<String> created = http.post("/v1/sessions", "{}");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).get("id").asText();
        http.awaitMetric("eryx_sessions", 1);
        CompletableFuture<HttpResponse<String>> running =
                http.postAsync(
                        "/v1/sessions/" + id + "/execute",
                        "{\"code\": \"while True: pass\", \"timeout_ms\": 3000}");
        http.awaitMetric("eryx_http_requests_running", 1);
        CompletableFuture<HttpResponse<String>> queued =
                http.postAsync("/v1/sessions/" + id + "/execute", body("print(1)"));
        http.awaitMetric("eryx_http_requests_running", 2);
        Thread.sleep(300); // not an assertion: lets the second call reach the session's lock

        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
        HttpResponse<String> late = queued.get();
        assertEquals(404, late.statusCode(), late.body());
        assertEquals(200, running.get().statusCode());
        // The queued call did not start a new (untracked) session under the deleted id.
        http.awaitMetric("eryx_http_requests_running", 0);
        http.awaitMetric("eryx_sessions", 0);
        assertEquals(
                404, http.post("/v1/sessions/" + id + "/execute", body("print(1)")).statusCode());
    }

    @Test
    void clientsSendingTheirBodySlowlyHoldNoPermit() throws Exception {
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            // As many as the limit: each sent its headers and half its body, then nothing more.
            for (int i = 0; i < 2; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port());
                slow.add(socket);
                socket.getOutputStream()
                        .write(
                                ("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1:"
                                                + server.port()
                                                + "\r\nContent-Type: application/json\r\n"
                                                + "Content-Length: 100\r\n\r\n{\"code\": ")
                                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
            Thread.sleep(300); // not an assertion: lets both requests reach the guard
            HttpResponse<String> run = http.post("/v1/execute", body("print(2)"));
            assertEquals(200, run.statusCode(), run.body());
        } finally {
            for (java.net.Socket socket : slow) {
                socket.close();
            }
        }
        http.awaitMetric("eryx_http_requests_running", 0);
    }
}
