package dev.eryx.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.eryx.NetworkPolicy;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import dev.eryx.testing.LoopbackServers;
import dev.eryx.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Secrets end to end: unchanged urllib in the guest, real loopback HTTP and HTTPS servers on the
 * host. The server must see the real value, the guest only ever the placeholder (in what it sends,
 * what it reads back, and anywhere in its linear memory). One sandbox serves the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretsNetworkTest {
    // 29 bytes: the placeholder is "ERYX_" + random, and the value occurs nowhere by chance.
    private static final String VALUE = "sk-live-7Qz9Xw2Rt5Yp8Lm3Nb6Vc1";

    private LoopbackServers http;
    private LoopbackServers https;
    private HttpServer other;
    private final List<String> otherReceived = new CopyOnWriteArrayList<>();
    private HttpServer chunkedEcho;
    private Sandbox sandbox;
    private String placeholder;

    @BeforeAll
    void start() throws IOException {
        http = LoopbackServers.http();
        https = LoopbackServers.https(TestCertificates.localhost());
        other = otherLoopbackServer();
        chunkedEcho = chunkedEchoServer();
        sandbox =
                Sandbox.builder()
                        .network(
                                NetworkPolicy.builder()
                                        .allowLocalhost()
                                        .trustCertificates(
                                                TestCertificates.localhost().certificate())
                                        .build())
                        // Plain loopback binds to the name the guest connected to: the literal.
                        .secret(Secret.of("API_KEY", VALUE).forHosts("127.0.0.1"))
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofSeconds(60))
                                        .build())
                        .build();
        JsonNode r =
                sandbox.execute(
                                String.join(
                                        "\n",
                                        "import base64, json, os, socket, urllib.request",
                                        "KEY = os.environ['API_KEY']",
                                        "HTTP = 'http://127.0.0.1:" + http.port() + "'",
                                        "HTTPS = 'https://127.0.0.1:" + https.port() + "'",
                                        "OTHER = 'http://127.0.0.2:"
                                                + other.getAddress().getPort()
                                                + "'",
                                        "CHUNKED = 'http://127.0.0.1:"
                                                + chunkedEcho.getAddress().getPort()
                                                + "/chunked-echo'",
                                        "def get(url, **headers):",
                                        "    req = urllib.request.Request(url, headers=headers)",
                                        "    with urllib.request.urlopen(req, timeout=20) as r:",
                                        "        return {k.lower(): v for k, v in r.headers.items()}, r.read().decode()",
                                        "def refused(url, **headers):",
                                        "    try:",
                                        "        get(url, **headers)",
                                        "        return 'sent'",
                                        "    except urllib.error.URLError as e:",
                                        "        return [type(e.reason).__name__, str(e.reason)]",
                                        "    except OSError as e:",
                                        "        return [type(e).__name__, str(e)]",
                                        "result = KEY"))
                        .result();
        placeholder = r.asText();
        assertEquals(VALUE.length(), placeholder.length());
        assertTrue(placeholder.startsWith("ERYX_"), placeholder);
    }

    @AfterAll
    void stop() {
        sandbox.close();
        http.close();
        https.close();
        other.stop(0);
        chunkedEcho.stop(0);
    }

    private JsonNode run(String... lines) {
        return sandbox.execute(String.join("\n", lines)).result();
    }

    @Test
    void theServerReceivesTheValueOverPlainLoopbackAndHttps() {
        int plainBefore = http.requests().size();
        int tlsBefore = https.requests().size();
        JsonNode r =
                run(
                        "a = json.loads(get(HTTP + '/echo', Authorization='Bearer ' + KEY)[1])",
                        "b = json.loads(get(HTTPS + '/echo', Authorization='Bearer ' + KEY)[1])",
                        "result = [a['headers']['Authorization'][0],"
                                + " b['headers']['Authorization'][0]]");
        assertEquals("Bearer " + VALUE, http.requests().get(plainBefore).header("Authorization"));
        assertEquals("Bearer " + VALUE, https.requests().get(tlsBefore).header("Authorization"));
        // The server echoed the value; the guest read the placeholder.
        assertEquals("Bearer " + placeholder, r.get(0).asText(), r.toString());
        assertEquals("Bearer " + placeholder, r.get(1).asText(), r.toString());
    }

    @Test
    void echoedHeadersComeBackAsThePlaceholder() {
        int before = http.requests().size();
        JsonNode r =
                run(
                        "headers, body = get(HTTP + '/headers', **{'X-Api-Key': KEY})",
                        "c_headers, c_body = get(CHUNKED, **{'X-Api-Key': KEY})",
                        "result = [headers.get('x-api-key'), json.loads(body)['headers']"
                                + "['X-api-key'][0], c_headers.get('transfer-encoding'),"
                                + " c_body]");
        assertEquals(VALUE, http.requests().get(before).header("X-Api-Key"));
        assertEquals(placeholder, r.get(0).asText(), r.toString());
        assertEquals(placeholder, r.get(1).asText(), r.toString());
        assertEquals("chunked", r.get(2).asText(), r.toString());
        // The chunked server split the value over three chunks: the scrubber matched across them.
        assertEquals("key=" + placeholder + ";again=" + placeholder, r.get(3).asText());
    }

    @Test
    void thePlaceholderToAnotherAllowedHostIsRefusedAndNothingIsSent() {
        // 127.0.0.2 is loopback too (allowed), but not one of the secret's hosts.
        JsonNode r =
                run(
                        "result = [refused(OTHER + '/other', Authorization='Bearer ' + KEY),",
                        "          get(OTHER + '/other', **{'X-Plain': 'ok'})[1]]");
        assertEquals("PermissionError", r.get(0).get(0).asText(), r.toString());
        assertTrue(r.get(0).get(1).asText().contains("Operation not permitted"), r.toString());
        // The same host still works without the placeholder: only the refused request was lost.
        assertEquals("ok", r.get(1).asText(), r.toString());
        assertEquals(List.of("ok"), otherReceived);
    }

    /**
     * The gate names a connection after the name its address was given out for, so once the guest
     * resolved "localhost", a connection to the literal 127.0.0.1 is named "localhost"; a secret
     * bound to "127.0.0.1" must still travel on it (plain loopback binds by the literal too).
     */
    @Test
    void aSecretForTheLiteralStillWorksAfterTheGuestResolvedLocalhost() {
        try (Sandbox fresh =
                Sandbox.builder()
                        .network(NetworkPolicy.builder().allowLocalhost().build())
                        .secret(Secret.of("API_KEY", VALUE).forHosts("127.0.0.1"))
                        .build()) {
            JsonNode r =
                    fresh.execute(
                                    String.join(
                                            "\n",
                                            "import os, socket, urllib.request",
                                            "socket.getaddrinfo('localhost', 80)",
                                            "req = urllib.request.Request('http://127.0.0.1:"
                                                    + http.port()
                                                    + "/echo', headers={'Authorization':"
                                                    + " 'Bearer ' + os.environ['API_KEY']})",
                                            "result = urllib.request.urlopen(req, timeout=20)"
                                                    + ".status"))
                            .result();
            assertEquals(200, r.asInt());
        }
    }

    @Test
    void basicAuthWithThePlaceholderAsPasswordReachesTheServerAsTheValue() {
        int before = http.requests().size();
        JsonNode r =
                run(
                        "token = base64.b64encode(('agent:' + KEY).encode()).decode()",
                        "echo = json.loads(get(HTTP + '/echo', Authorization='Basic ' + token)[1])",
                        "result = echo['headers']['Authorization'][0]");
        String received = http.requests().get(before).header("Authorization");
        assertTrue(received.startsWith("Basic "), received);
        assertEquals(
                "agent:" + VALUE,
                new String(
                        Base64.getDecoder().decode(received.substring(6)), StandardCharsets.UTF_8));
        // Echoed base64-encoded, the value is not the value's bytes: the scrubber cannot see it
        // (documented limit). Not decoded in the guest, so that no test puts the value there.
        assertEquals(received, r.asText(), r.toString());
    }

    @Test
    void theValueNeverEntersGuestMemory() {
        int before = http.requests().size();
        run(
                "a = get(HTTP + '/headers', Authorization='Bearer ' + KEY)",
                "b = get(HTTPS + '/echo', Authorization='Bearer ' + KEY)",
                "c = get(CHUNKED, **{'X-Api-Key': KEY})",
                "kept = [a, b, c]",
                "result = None");
        assertEquals("Bearer " + VALUE, http.requests().get(before).header("Authorization"));
        byte[] memory = linearMemory(sandbox.saveState());
        assertTrue(memory.length >= 65536, "memory: " + memory.length);
        // The search can fail: the placeholder the guest holds is there.
        assertTrue(indexOf(memory, placeholder.getBytes(StandardCharsets.US_ASCII)) >= 0);
        assertEquals(-1, indexOf(memory, VALUE.getBytes(StandardCharsets.US_ASCII)));
        // Nor a piece that would let the guest rebuild it (the value's second half).
        assertEquals(
                -1,
                indexOf(
                        memory,
                        VALUE.substring(VALUE.length() / 2).getBytes(StandardCharsets.US_ASCII)));
    }

    /** The INTERPRETER section's linear memory, read as docs/saved-state.md describes it. */
    static byte[] linearMemory(byte[] state) {
        ByteBuffer header = ByteBuffer.wrap(state);
        byte[] magic = new byte[8];
        header.get(magic);
        assertEquals("ERYXSTAT", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(2, header.getShort());
        header.getShort(); // flags
        header.position(header.position() + 32); // module identity
        long payloadLength = header.getLong();
        header.getInt(); // CRC-32
        assertEquals(56, header.position());
        Inflater inflater = new Inflater();
        inflater.setInput(state, 56, Math.toIntExact(payloadLength));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new AssertionError("truncated payload");
                }
                out.write(buffer, 0, n);
            }
        } catch (DataFormatException e) {
            throw new AssertionError(e);
        } finally {
            inflater.end();
        }
        ByteBuffer sections = ByteBuffer.wrap(out.toByteArray());
        while (sections.hasRemaining()) {
            int id = sections.get() & 0xff;
            sections.get(); // flags
            int length = Math.toIntExact(sections.getLong());
            if (id == 1) {
                int globals = sections.getInt();
                sections.position(sections.position() + globals * 8);
                int pages = sections.getInt();
                byte[] memory = new byte[Math.multiplyExact(pages, 65536)];
                sections.get(memory);
                return memory;
            }
            if (id == 0) {
                break;
            }
            sections.position(sections.position() + length);
        }
        throw new AssertionError("no INTERPRETER section");
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A server on 127.0.0.2 that records the X-Plain header of what it receives. */
    private HttpServer otherLoopbackServer() throws IOException {
        HttpServer server =
                HttpServer.create(
                        new InetSocketAddress(
                                InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 0),
                        0);
        server.createContext(
                "/other",
                exchange -> {
                    try (exchange) {
                        exchange.getRequestBody().readAllBytes();
                        String plain = exchange.getRequestHeaders().getFirst("X-Plain");
                        otherReceived.add(String.valueOf(plain));
                        byte[] body = String.valueOf(plain).getBytes(StandardCharsets.US_ASCII);
                        exchange.sendResponseHeaders(200, body.length);
                        exchange.getResponseBody().write(body);
                    }
                });
        server.start();
        return server;
    }

    /**
     * Answers {@code key=<X-Api-Key>;again=<X-Api-Key>} chunked, the first value split over three
     * flushed chunks, so the scrubber must match across chunk framing.
     */
    private static HttpServer chunkedEchoServer() throws IOException {
        HttpServer server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/chunked-echo",
                exchange -> {
                    try (exchange) {
                        exchange.getRequestBody().readAllBytes();
                        byte[] key =
                                String.valueOf(exchange.getRequestHeaders().getFirst("X-Api-Key"))
                                        .getBytes(StandardCharsets.US_ASCII);
                        exchange.sendResponseHeaders(200, 0);
                        OutputStream body = exchange.getResponseBody();
                        body.write("key=".getBytes(StandardCharsets.US_ASCII));
                        int third = key.length / 3;
                        body.write(key, 0, third);
                        body.flush();
                        body.write(key, third, third);
                        body.flush();
                        body.write(key, 2 * third, key.length - 2 * third);
                        body.write(";again=".getBytes(StandardCharsets.US_ASCII));
                        body.write(key);
                        body.flush();
                    }
                });
        server.start();
        return server;
    }
}
