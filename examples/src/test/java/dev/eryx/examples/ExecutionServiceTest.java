package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.SandboxPool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutionServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SandboxPool pool;
    private static ExecutionService service;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        ResourceLimits limits =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofSeconds(10))
                        .maxFuel(2_000_000_000L)
                        .maxOutputBytes(64 * 1024)
                        .build();
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(2)
                        .acquireTimeout(Duration.ofSeconds(30))
                        .resourceLimits(limits)
                        .build();
        service = new ExecutionService(pool, limits, 0, 4);
    }

    @AfterAll
    static void stop() {
        service.close();
        pool.close();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + service.port() + "/execute"))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(60))
                        .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok200(String body) throws Exception {
        HttpResponse<String> response = post(body);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    @Test
    void bindsToLoopbackOnly() {
        assertTrue(
                service.address().getAddress().isLoopbackAddress(), service.address().toString());
    }

    @Test
    void verdictsAreBodyFields() throws Exception {
        JsonNode ok = ok200("{\"code\": \"print(6 * 7)\\nresult = {'a': 1}\"}");
        assertEquals("ok", ok.get("verdict").asText());
        assertEquals("42\n", ok.get("stdout").asText());
        assertEquals(1, ok.get("result").get("a").asInt());

        JsonNode error = ok200("{\"code\": \"print('before')\\n1/0\"}");
        assertEquals("error", error.get("verdict").asText());
        assertEquals("ZeroDivisionError", error.get("errorType").asText());
        assertEquals("before\n", error.get("stdout").asText());

        JsonNode timeout = ok200("{\"code\": \"while True: pass\", \"timeoutMs\": 200}");
        assertEquals("timeout", timeout.get("verdict").asText());

        JsonNode limit = ok200("{\"code\": \"print('x' * 200000)\"}");
        assertEquals("limit", limit.get("verdict").asText());
        assertEquals("output", limit.get("limit").asText());

        // No state leaks from one request to the next.
        ok200("{\"code\": \"leftover = 1\"}");
        assertEquals(
                "false",
                ok200("{\"code\": \"result = 'leftover' in globals()\"}").get("result").toString());
    }

    @Test
    void httpStatusDescribesOnlyTheService() throws Exception {
        assertEquals(400, post("not json").statusCode());
        assertEquals(400, post("{\"code\": 5}").statusCode());
        assertEquals(400, post("{\"code\": \"x\", \"timeoutMs\": -1}").statusCode());
        HttpResponse<String> get =
                CLIENT.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:" + service.port() + "/execute"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
    }
}
