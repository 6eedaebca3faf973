package dev.eryx.server;

import static dev.eryx.server.Http.body;
import static dev.eryx.server.Http.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.ResourceLimits;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server over loopback with a token: executions, bad requests, auth, Host and Origin checks,
 * sessions (also resumed by a second server with the same key), health, metrics and MCP.
 */
class EryxServerTest {
    private static final String TOKEN = "test-token-0123456789";
    private static final byte[] KEY =
            "a state key of at least 16 bytes".getBytes(StandardCharsets.UTF_8);

    private static EryxServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server =
                EryxServer.builder()
                        .port(0)
                        .token(TOKEN)
                        .poolSize(2)
                        .stateKey(KEY)
                        .maxLimits(
                                ResourceLimits.defaults().toBuilder()
                                        .executionTimeout(Duration.ofSeconds(10))
                                        .build())
                        .build()
                        .start();
        http = new Http(server.uri(), TOKEN);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void executesAndReportsOutputAndStats() {
        HttpResponse<String> response = http.post("/v1/execute", body("print('hi')\nx = 6 * 7\nx"));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(
                "application/json;charset=utf-8",
                response.headers()
                        .firstValue("Content-Type")
                        .orElseThrow()
                        .replace(" ", "")
                        .toLowerCase());
        JsonNode out = json(response);
        assertEquals("ok", out.get("verdict").asText());
        assertEquals("hi\n", out.get("stdout").asText());
        assertEquals("", out.get("stderr").asText());
        assertTrue(out.get("error").isNull());
        assertTrue(out.get("duration_ms").asLong() >= 0);
        assertTrue(out.get("stats").get("fuel").asLong() > 0, out.toString());
    }

    @Test
    void pythonErrorIsAVerdictInA200() {
        HttpResponse<String> response = http.post("/v1/execute", body("print('before')\n1 / 0"));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode out = json(response);
        assertEquals("python_error", out.get("verdict").asText());
        assertEquals("ZeroDivisionError", out.get("error_type").asText());
        assertTrue(out.get("error").asText().contains("ZeroDivisionError"), out.toString());
        assertEquals("before\n", out.get("stdout").asText());
    }

    @Test
    void timeoutIsAVerdictInA200() {
        HttpResponse<String> response =
                http.post("/v1/execute", "{\"code\": \"while True: pass\", \"timeout_ms\": 300}");
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("timeout", json(response).get("verdict").asText());
    }

    @Test
    void fuelAndOutputLimitsApplyPerRequest() {
        JsonNode fuel =
                json(
                        http.post(
                                "/v1/execute",
                                "{\"code\": \"sum(range(10**7))\", \"fuel\": 1000000}"));
        assertEquals("fuel", fuel.get("verdict").asText(), fuel.toString());
        JsonNode output =
                json(
                        http.post(
                                "/v1/execute",
                                "{\"code\": \"print('x' * 5000)\", \"max_output_bytes\": 100}"));
        assertEquals("output", output.get("verdict").asText(), output.toString());

        // A session takes the same body: its limits apply to that call, and the state stays.
        String id = json(http.post("/v1/sessions", "{}")).get("id").asText();
        String execute = "/v1/sessions/" + id + "/execute";
        http.post(execute, body("kept = 7"));
        HttpResponse<String> starved =
                http.post(execute, "{\"code\": \"sum(range(10**7))\", \"fuel\": 1000000}");
        assertEquals(200, starved.statusCode(), starved.body());
        assertEquals("fuel", json(starved).get("verdict").asText(), starved.body());
        assertEquals(id, json(starved).get("session").asText());
        JsonNode cut =
                json(
                        http.post(
                                execute,
                                "{\"code\": \"print('x' * 5000)\", \"max_output_bytes\": 100}"));
        assertEquals("output", cut.get("verdict").asText(), cut.toString());
        JsonNode after = json(http.post(execute, body("print(kept)")));
        assertEquals("7\n", after.get("stdout").asText(), after.toString());
        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
    }

    @Test
    void malformedBodiesAre400AndNothingIsLost() {
        List<String> bad =
                List.of(
                        "",
                        "not json",
                        "{\"code\": ",
                        "[1, 2]",
                        "\"print(1)\"",
                        "{}",
                        "{\"code\": null}",
                        "{\"code\": 5}",
                        "{\"code\": \"1\", \"timeout\": 5}",
                        "{\"code\": \"1\", \"timeout_ms\": -5}",
                        "{\"code\": \"1\", \"timeout_ms\": 1.5}",
                        "{\"code\": \"1\", \"timeout_ms\": \"5\"}",
                        "{\"code\": \"1\", \"fuel\": 0}",
                        "{\"code\": \"1\"} {}",
                        "{\"code\": \"1\", \"code\": \"2\"}");
        for (String body : bad) {
            HttpResponse<String> response = http.post("/v1/execute", body);
            assertEquals(400, response.statusCode(), body + " -> " + response.body());
            JsonNode error = json(response);
            assertTrue(error.get("error").asText().length() > 5, error.toString());
            assertEquals(1, error.size(), error.toString());
        }
        JsonNode after = json(http.post("/v1/execute", body("print('still here')")));
        assertEquals("still here\n", after.get("stdout").asText());
    }

    @Test
    void unknownRoutesAndMethods() {
        assertEquals(404, http.get("/v2/execute").statusCode());
        HttpResponse<String> wrongMethod = http.get("/v1/execute");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElseThrow());
        assertEquals(404, http.post("/v1/sessions/nope/execute", body("1")).statusCode());
    }

    @Test
    void errorsJettyAnswersItselfAreJsonToo() throws Exception {
        int port = server.port();
        String response =
                Http.raw(port, "GET /v1/%zz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400 "), response);
        assertTrue(response.toLowerCase().contains("content-type: application/json"), response);
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        assertTrue(Http.JSON.readTree(body).has("error"), body);
    }

    @Test
    void tokenIsRequiredAndComparedExactly() {
        for (Http other :
                List.of(http.withToken(null), http.withToken(TOKEN + "x"), http.withToken("t"))) {
            HttpResponse<String> response = other.post("/v1/execute", body("print(1)"));
            assertEquals(401, response.statusCode());
            assertTrue(
                    response.headers()
                            .firstValue("WWW-Authenticate")
                            .orElseThrow()
                            .startsWith("Bearer"));
            assertTrue(json(response).has("error"));
            assertEquals(401, other.get("/metrics").statusCode());
            assertEquals(401, other.post("/v1/sessions", "{}").statusCode());
            assertEquals(401, other.post("/mcp", "{}").statusCode());
        }
        // /healthz is open.
        HttpResponse<String> health = http.withToken(null).get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals("ok", json(health).get("status").asText());
    }

    @Test
    void hostAndOriginAreChecked() throws Exception {
        int port = server.port();
        assertTrue(Http.rawStatusLine(port, "Host: 127.0.0.1:" + port + "\r\n").contains(" 200 "));
        assertTrue(Http.rawStatusLine(port, "Host: localhost:" + port + "\r\n").contains(" 200 "));
        assertTrue(
                Http.rawStatusLine(port, "Host: evil.example:" + port + "\r\n").contains(" 403 "));
        assertTrue(Http.rawStatusLine(port, "Host: 127.0.0.1:1\r\n").contains(" 403 "));
        assertTrue(
                Http.rawStatusLine(
                                port,
                                "Host: 127.0.0.1:" + port + "\r\nOrigin: http://evil.example\r\n")
                        .contains(" 403 "));
        // A browser on a page of this very server may call it.
        HttpResponse<String> sameOrigin =
                http.send(
                        http.request("/v1/execute")
                                .header("Origin", "http://localhost:" + port)
                                .POST(HttpRequest.BodyPublishers.ofString(body("1"))));
        assertEquals(200, sameOrigin.statusCode());
        HttpResponse<String> crossOrigin =
                http.send(
                        http.request("/v1/execute")
                                .header("Origin", "https://attacker.example")
                                .POST(HttpRequest.BodyPublishers.ofString(body("1"))));
        assertEquals(403, crossOrigin.statusCode());
        assertTrue(json(crossOrigin).get("error").asText().contains("Origin"));
    }

    @Test
    void sessionsKeepStateSaveResumeAndDelete() {
        HttpResponse<String> created = http.post("/v1/sessions", "");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).get("id").asText();

        JsonNode first = json(http.post("/v1/sessions/" + id + "/execute", body("x = 41")));
        assertEquals("ok", first.get("verdict").asText(), first.toString());
        assertEquals(id, first.get("session").asText());
        JsonNode second = json(http.post("/v1/sessions/" + id + "/execute", body("print(x + 1)")));
        assertEquals("42\n", second.get("stdout").asText(), second.toString());

        HttpResponse<String> saved = http.get("/v1/sessions/" + id + "/state");
        assertEquals(200, saved.statusCode(), saved.body());
        String state = json(saved).get("state").asText();

        // Resumed into a new session of this server...
        String resumed = json(http.post("/v1/sessions", stateBody(state))).get("id").asText();
        assertNotEquals(id, resumed);
        JsonNode there = json(http.post("/v1/sessions/" + resumed + "/execute", body("print(x)")));
        assertEquals("41\n", there.get("stdout").asText(), there.toString());

        // ...and by another replica with the same key: the scale-out path.
        try (EryxServer replica =
                EryxServer.builder().port(0).poolSize(1).stateKey(KEY).build().start()) {
            Http other = new Http(replica.uri(), null);
            HttpResponse<String> onReplica = other.post("/v1/sessions", stateBody(state));
            assertEquals(201, onReplica.statusCode(), onReplica.body());
            String replicaId = json(onReplica).get("id").asText();
            JsonNode out =
                    json(
                            other.post(
                                    "/v1/sessions/" + replicaId + "/execute",
                                    body("print(x * 2)")));
            assertEquals("82\n", out.get("stdout").asText(), out.toString());
        }

        // The sessions are separate: a change in one is not seen in the other.
        http.post("/v1/sessions/" + resumed + "/execute", body("x = 0"));
        JsonNode original = json(http.post("/v1/sessions/" + id + "/execute", body("print(x)")));
        assertEquals("41\n", original.get("stdout").asText());

        assertEquals(204, http.delete("/v1/sessions/" + id).statusCode());
        assertEquals(
                404, http.post("/v1/sessions/" + id + "/execute", body("print(x)")).statusCode());
        assertEquals(404, http.get("/v1/sessions/" + id + "/state").statusCode());
        assertEquals(404, http.delete("/v1/sessions/" + id).statusCode());
        assertEquals(204, http.delete("/v1/sessions/" + resumed).statusCode());
    }

    @Test
    void tamperedOrForeignStateIs400() {
        String id = json(http.post("/v1/sessions", "{}")).get("id").asText();
        http.post("/v1/sessions/" + id + "/execute", body("secret = 'kept'"));
        byte[] state =
                Base64.getDecoder()
                        .decode(
                                json(http.get("/v1/sessions/" + id + "/state"))
                                        .get("state")
                                        .asText());
        http.delete("/v1/sessions/" + id);

        byte[] tampered = state.clone();
        tampered[tampered.length / 2] ^= 1;
        HttpResponse<String> refused =
                http.post("/v1/sessions", stateBody(Base64.getEncoder().encodeToString(tampered)));
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(json(refused).get("error").asText().contains("state"));

        assertEquals(400, http.post("/v1/sessions", stateBody("not base64!")).statusCode());
        assertEquals(400, http.post("/v1/sessions", stateBody("AAAA")).statusCode());
        assertEquals(400, http.post("/v1/sessions", "{\"state\": 5}").statusCode());
        assertEquals(400, http.post("/v1/sessions", "{\"id\": \"mine\"}").statusCode());
        assertEquals(400, http.post("/v1/sessions", "[]").statusCode());
        assertEquals(
                400,
                http.post("/v1/sessions/" + id + "/execute", "{\"code\": \"1\", \"fuel\": 0}")
                        .statusCode());
    }

    @Test
    void metricsAreInPrometheusFormat() {
        http.post("/v1/execute", body("print(1)"));
        HttpResponse<String> metrics = http.get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(
                metrics.headers()
                        .firstValue("Content-Type")
                        .orElseThrow()
                        .startsWith("text/plain"));
        String text = metrics.body();
        for (String name :
                List.of(
                        "eryx_pool_idle",
                        "eryx_pool_capacity",
                        "eryx_executions_total",
                        "eryx_execution_duration_seconds",
                        "eryx_http_requests_total{route=\"/v1/execute\",status=\"200\"}",
                        "eryx_sessions",
                        "jvm_memory_used_bytes")) {
            assertTrue(text.contains(name), name + " missing from\n" + text);
        }
        assertFalse(text.contains("route=\"/v1/sessions/"), "no raw session ids in tags");
    }

    @Test
    void mcpAnswersTheSdkClient() {
        HttpClientStreamableHttpTransport transport =
                HttpClientStreamableHttpTransport.builder(server.uri().toString())
                        .endpoint("/mcp")
                        .requestBuilder(
                                HttpRequest.newBuilder().header("Authorization", "Bearer " + TOKEN))
                        .build();
        try (McpSyncClient client =
                McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build()) {
            McpSchema.InitializeResult init = client.initialize();
            assertEquals("eryx", init.serverInfo().name());
            McpSchema.CallToolResult result =
                    client.callTool(
                            new McpSchema.CallToolRequest(
                                    "run_python", Map.of("code", "print(6 * 7)")));
            assertFalse(Boolean.TRUE.equals(result.isError()), result.toString());
            assertTrue(result.content().toString().contains("42"), result.toString());
        }
    }

    @Test
    void theJsonApiCannotResetAnMcpSession() {
        HttpResponse<String> init =
                http.mcpPost(
                        null,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                                + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        assertEquals(200, init.statusCode(), init.body());
        String mcp = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        http.mcpPost(mcp, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        HttpResponse<String> set = http.mcpPost(mcp, callPython(2, "z = 7"));
        assertEquals(200, set.statusCode(), set.body());

        // Neither the MCP session id nor its Python session's id is the JSON API's to delete.
        assertEquals(404, http.delete("/v1/sessions/" + mcp).statusCode());
        assertEquals(404, http.delete("/v1/sessions/mcp-" + mcp).statusCode());
        assertEquals(404, http.get("/v1/sessions/mcp-" + mcp + "/state").statusCode());

        HttpResponse<String> get = http.mcpPost(mcp, callPython(3, "print(z * 6)"));
        assertEquals(200, get.statusCode(), get.body());
        assertTrue(get.body().contains("42"), get.body());
        assertFalse(get.body().contains("NameError"), get.body());
        http.send(http.request("/mcp").header("Mcp-Session-Id", mcp).DELETE());
    }

    private static String callPython(int id, String code) {
        return "{\"jsonrpc\":\"2.0\",\"id\":"
                + id
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\"run_python\","
                + "\"arguments\":{\"code\":\""
                + code
                + "\"}}}";
    }

    private static String stateBody(String state) {
        return Http.JSON.createObjectNode().put("state", state).toString();
    }
}
