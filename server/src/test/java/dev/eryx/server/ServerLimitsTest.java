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
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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

    @Test
    void bodiesOverTheLimitAre413() {
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
    }

    @Test
    void poolExhaustionIs429WithRetryAfter() throws Exception {
        CompletableFuture<HttpResponse<String>> slow =
                http.postAsync(
                        "/v1/execute", "{\"code\": \"while True: pass\", \"timeout_ms\": 4000}");
        try {
            // The slow one holds the only sandbox for 4 s; a request meanwhile waits 50 ms for it.
            awaitMetric("eryx_pool_active", 1);
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
            for (CompletableFuture<HttpResponse<String>> b : busy) {
                assertEquals("timeout", json(b.get()).get("verdict").asText());
            }
            // Reads do not count: health and state answer whatever runs.
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

    /** Waits (generously) until a gauge without tags shows {@code value}. */
    private static void awaitMetric(String name, int value) throws InterruptedException {
        Pattern line = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? " + value + "\\.0$");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (line.matcher(http.get("/metrics").body()).find()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(
                name + " never reached " + value + ":\n" + http.get("/metrics").body());
    }
}
