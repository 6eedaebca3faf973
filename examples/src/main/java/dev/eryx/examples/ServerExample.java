package dev.eryx.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.server.EryxServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The execution server embedded in an application, called over HTTP with the JDK's client: a
 * stateless execution, then a session that keeps a variable across calls, is saved, and is resumed
 * as a new session (what another replica with the same state key could do too).
 *
 * <p>The same server runs standalone as {@code eryx serve}; its routes are in docs/integrations.md,
 * "The execution server".
 *
 * <p>Run it: {@code mvn -q -pl examples exec:java -Dexec.mainClass=dev.eryx.examples.ServerExample}
 * (after one {@code mvn -DskipTests install}).
 */
public final class ServerExample {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final URI base;
    private final String token;

    private ServerExample(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /** Starts a server on a free loopback port, runs the calls, prints what they answer. */
    static void run(PrintStream out) throws IOException, InterruptedException {
        // A token is optional on loopback; with one, every route but /healthz needs it.
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (EryxServer server =
                EryxServer.builder()
                        .port(0)
                        .token(token)
                        .poolSize(2)
                        .maxSessions(16)
                        .build()
                        .start()) {
            ServerExample client = new ServerExample(server.uri(), token);
            out.println("serving on " + server.uri());

            JsonNode once =
                    client.call("POST", "/v1/execute", "{\"code\": \"print(sum(range(10)))\"}");
            out.println(
                    "execute: verdict "
                            + once.get("verdict").asText()
                            + ", stdout "
                            + once.get("stdout"));

            JsonNode failed = client.call("POST", "/v1/execute", "{\"code\": \"1 / 0\"}");
            out.println(
                    "execute: verdict "
                            + failed.get("verdict").asText()
                            + ", "
                            + failed.get("error_type").asText());

            String id = client.call("POST", "/v1/sessions", "{}").get("id").asText();
            client.call("POST", "/v1/sessions/" + id + "/execute", "{\"code\": \"counter = 41\"}");
            JsonNode next =
                    client.call(
                            "POST",
                            "/v1/sessions/" + id + "/execute",
                            "{\"code\": \"counter += 1\\nprint(counter)\"}");
            out.println("session " + id + ": stdout " + next.get("stdout"));

            // The saved state is HMAC-signed with the server's state key: a replica sharing the key
            // resumes it; a changed byte is refused with 400.
            String state =
                    client.call("GET", "/v1/sessions/" + id + "/state", null).get("state").asText();
            client.call("DELETE", "/v1/sessions/" + id, null);
            String resumed =
                    client.call(
                                    "POST",
                                    "/v1/sessions",
                                    JSON.createObjectNode().put("state", state).toString())
                            .get("id")
                            .asText();
            JsonNode after =
                    client.call(
                            "POST",
                            "/v1/sessions/" + resumed + "/execute",
                            "{\"code\": \"print(counter)\"}");
            out.println("resumed as " + resumed + ": stdout " + after.get("stdout"));
        }
    }

    /** One request; the JSON answer (null for 204). */
    private JsonNode call(String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response =
                http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException(
                    method
                            + " "
                            + path
                            + " answered "
                            + response.statusCode()
                            + ": "
                            + response.body());
        }
        return response.statusCode() == 204 ? null : JSON.readTree(response.body());
    }
}
