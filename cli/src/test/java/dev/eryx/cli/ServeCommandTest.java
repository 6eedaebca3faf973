package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code eryx serve} in-process on a free loopback port, stopped as a host would stop it. */
@Timeout(120)
class ServeCommandTest {
    private static final Pattern SERVING =
            Pattern.compile("eryx: serving on http://127\\.0\\.0\\.1:(\\d+) \\(MCP at /mcp\\)\\n");

    private static final HttpClient HTTP =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();

    @Test
    void theStateKeyIsHexOrBase64OfAtLeast16Bytes() {
        byte[] key = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(
                key, ServeCommand.stateKey(java.util.HexFormat.of().formatHex(key).toUpperCase()));
        assertArrayEquals(
                key, ServeCommand.stateKey(java.util.Base64.getEncoder().encodeToString(key)));
        byte[] dashed = new byte[18];
        java.util.Arrays.fill(dashed, (byte) 0xfb); // "-" and "_" in the URL-safe alphabet
        assertArrayEquals(
                dashed,
                ServeCommand.stateKey(java.util.Base64.getUrlEncoder().encodeToString(dashed)));
        assertNull(ServeCommand.stateKey(""));
        assertNull(ServeCommand.stateKey(null));
        IllegalArgumentException shortKey =
                assertThrows(IllegalArgumentException.class, () -> ServeCommand.stateKey("abcd"));
        assertTrue(shortKey.getMessage().contains("at least 16 bytes"), shortKey.getMessage());
        IllegalArgumentException notBase64 =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ServeCommand.stateKey("not a key, not even base64!"));
        assertTrue(notBase64.getMessage().contains("ERYX_STATE_KEY"), notBase64.getMessage());
    }

    @Test
    void aBadStateKeyIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        new ByteArrayOutputStream(),
                        err,
                        Map.of("ERYX_STATE_KEY", "c2hvcnQ=")::get);
        assertEquals(2, cl.execute("serve", "--port", "0"));
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("ERYX_STATE_KEY must hold at least 16 bytes"), message);
    }

    @Test
    void servesHealthAndMetricsBehindTheTokenFromTheEnvironmentThenStops() throws Exception {
        String token = "a-test-token-0123456789";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        out,
                        err,
                        Map.of("ERYX_API_TOKEN", token)::get);
        FutureTask<Integer> serve =
                new FutureTask<>(
                        () ->
                                cl.execute(
                                        "serve",
                                        "--port",
                                        "0",
                                        "--pool-size",
                                        "1",
                                        "--timeout",
                                        "5s"));
        Thread thread = new Thread(serve, "eryx-serve-test");
        thread.start();
        try {
            int port = awaitPort(err, serve);
            URI base = URI.create("http://127.0.0.1:" + port);

            HttpResponse<String> health = get(base.resolve("/healthz"), null);
            assertEquals(200, health.statusCode(), health.body());

            assertEquals(401, get(base.resolve("/metrics"), null).statusCode());
            HttpResponse<String> metrics = get(base.resolve("/metrics"), token);
            assertEquals(200, metrics.statusCode(), metrics.body());
            assertTrue(metrics.body().contains("eryx_pool_capacity"), metrics.body());

            HttpResponse<String> run =
                    HTTP.send(
                            HttpRequest.newBuilder(base.resolve("/v1/execute"))
                                    .header("Authorization", "Bearer " + token)
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"code\": \"print(6 * 7)\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, run.statusCode(), run.body());
            assertTrue(run.body().contains("\"stdout\":\"42\\n\""), run.body());
            assertTrue(run.body().contains("\"verdict\":\"ok\""), run.body());
        } finally {
            thread.interrupt();
        }
        assertEquals(ExitCodes.CANCELLED, serve.get(60, TimeUnit.SECONDS), err.toString());
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        Matcher m = SERVING.matcher(err.toString(StandardCharsets.UTF_8));
        assertTrue(m.find());
        URI health = URI.create("http://127.0.0.1:" + m.group(1) + "/healthz");
        // A new client: a pooled connection of the old one would fail otherwise.
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThrows(
                ConnectException.class,
                () ->
                        fresh.send(
                                HttpRequest.newBuilder(health).build(),
                                HttpResponse.BodyHandlers.ofString()),
                "the server is closed");
    }

    /** The port of the line the command prints once it listens. */
    private static int awaitPort(ByteArrayOutputStream err, FutureTask<Integer> serve)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            Matcher m = SERVING.matcher(err.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (serve.isDone()) {
                throw new AssertionError(
                        "serve ended with "
                                + serve.get()
                                + ": "
                                + err.toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("no 'serving on' line: " + err);
    }

    private static HttpResponse<String> get(URI uri, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
