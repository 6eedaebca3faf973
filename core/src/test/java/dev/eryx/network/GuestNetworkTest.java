package dev.eryx.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.NetworkPolicy;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.StopAssertions;
import dev.eryx.testing.LoopbackServers;
import dev.eryx.testing.TestCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The guest's unchanged stdlib networking (urllib, http.client, ssl, asyncio streams) against real
 * HTTP and HTTPS servers on 127.0.0.1, through the host (eryx._net, eryx._ssl, eryx._loop). One
 * sandbox serves most tests: it is what an agent would hold.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestNetworkTest {
    private LoopbackServers http;
    private LoopbackServers https;
    private LoopbackServers untrusted;
    private Sandbox sandbox;

    @BeforeAll
    void start() {
        http = LoopbackServers.http();
        https = LoopbackServers.https(TestCertificates.localhost());
        // Issued by a test CA the policy does not trust.
        untrusted = LoopbackServers.https(TestCertificates.caSigned());
        sandbox =
                Sandbox.builder()
                        .network(
                                NetworkPolicy.builder()
                                        .allowLocalhost()
                                        .trustCertificates(
                                                TestCertificates.localhost().certificate())
                                        .build())
                        .callback(
                                Callback.of(
                                        "pause",
                                        "Sleeps ms milliseconds, then returns tag",
                                        args -> {
                                            sleep(args.path("ms").asLong(100));
                                            return args.path("tag").asText("paused");
                                        }))
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofSeconds(60))
                                        .build())
                        .build();
        sandbox.execute(
                String.join(
                        "\n",
                        "import asyncio, http.client, json, socket, ssl, urllib.request",
                        "HTTP = 'http://127.0.0.1:" + http.port() + "'",
                        "HTTPS = 'https://127.0.0.1:" + https.port() + "'",
                        "UNTRUSTED = 'https://127.0.0.1:" + untrusted.port() + "'"));
    }

    @AfterAll
    void stop() {
        sandbox.close();
        http.close();
        https.close();
        untrusted.close();
    }

    private JsonNode run(String... lines) {
        return sandbox.execute(String.join("\n", lines)).result();
    }

    @Test
    void urllibGetAndPost() {
        int before = http.requests().size();
        JsonNode r =
                run(
                        "get = json.load(urllib.request.urlopen(HTTP + '/echo?q=1', timeout=20))",
                        "req = urllib.request.Request(HTTP + '/echo', data=b'{\"a\": 1}',",
                        "    headers={'Content-Type': 'application/json', 'X-Test': 'yes'})",
                        "with urllib.request.urlopen(req, timeout=20) as response:",
                        "    post = json.load(response)",
                        "    status = response.status",
                        "result = [get['method'], get['path'], post['method'], post['body'],"
                                + " status]");
        assertEquals("[\"GET\",\"/echo?q=1\",\"POST\",\"{\\\"a\\\": 1}\",200]", r.toString());
        List<LoopbackServers.Request> seen = http.requests().subList(before, before + 2);
        assertEquals("POST", seen.get(1).method());
        assertEquals("yes", seen.get(1).header("X-Test"));
        assertEquals("{\"a\": 1}", seen.get(1).bodyText());
    }

    @Test
    void httpClientReadsChunkedAndKeepsTheConnectionAlive() {
        int before = http.requests().size();
        ExecutionResult result =
                sandbox.execute(
                        String.join(
                                "\n",
                                "conn = http.client.HTTPConnection('127.0.0.1', "
                                        + http.port()
                                        + ", timeout=20)",
                                "conn.request('GET', '/chunked?n=100000')",
                                "first = conn.getresponse()",
                                "chunked = first.chunked",
                                "body = first.read()",
                                "sock = conn.sock",
                                "conn.request('GET', '/echo', headers={'X-Second': '1'})",
                                "second = json.load(conn.getresponse())",
                                "same = conn.sock is sock",
                                "conn.close()",
                                "result = [chunked, len(body), body[:3].decode(), same,"
                                        + " second['headers'].get('X-second')]"));
        assertEquals("[true,100000,\"abc\",true,[\"1\"]]", result.result().toString());
        assertEquals(before + 2, http.requests().size());
        // One connection for both requests, as the host's ledger records it (nethost's entry).
        assertEquals(1, connects(result).size(), () -> "effects: " + result.effects());
    }

    @Test
    void httpsWithThePolicyAnchor() {
        JsonNode r =
                run(
                        "with urllib.request.urlopen(HTTPS + '/bytes?n=70000', timeout=20) as"
                                + " response:",
                        "    body = response.read()",
                        "ctx = ssl.create_default_context()",
                        "with socket.create_connection(('127.0.0.1', "
                                + https.port()
                                + "), 20) as"
                                + " raw:",
                        "    with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as tls:",
                        "        cert = tls.getpeercert()",
                        "        facts = [tls.version(), tls.cipher()[0] is not None,"
                                + " dict(x[0] for x in cert['subject'])['commonName'],"
                                + " len(tls.getpeercert(True)) > 100]",
                        "result = [len(body), body[-1:].decode()] + facts");
        assertEquals(70000, r.get(0).asInt());
        assertEquals(String.valueOf((char) ('a' + 69999 % 26)), r.get(1).asText());
        assertTrue(r.get(2).asText().startsWith("TLSv1."), r.toString());
        assertTrue(r.get(3).asBoolean(), r.toString());
        assertEquals("localhost", r.get(4).asText());
        assertTrue(r.get(5).asBoolean(), "getpeercert(True) gives the DER bytes");
    }

    @Test
    void untrustedCertificateFailsVerificationEvenWithCertNone() {
        JsonNode r =
                run(
                        "def attempt(ctx):",
                        "    try:",
                        "        urllib.request.urlopen(UNTRUSTED + '/echo', timeout=20,"
                                + " context=ctx)",
                        "    except urllib.error.URLError as e:",
                        "        reason = e.reason",
                        "        return [type(reason).__name__, isinstance(reason,"
                                + " ssl.SSLCertVerificationError), reason.verify_code is not"
                                + " None, 'CERTIFICATE_VERIFY_FAILED' in str(reason)]",
                        "    return 'connected'",
                        "result = [attempt(ssl.create_default_context()),"
                                + " attempt(ssl._create_unverified_context())]");
        String failed = "[\"SSLCertVerificationError\",true,true,true]";
        assertEquals("[" + failed + "," + failed + "]", r.toString());
        assertEquals(0, untrusted.requests().size(), "no request may reach the untrusted server");
    }

    @Test
    void aDeniedNameIsAGaierror() {
        JsonNode r =
                run(
                        "try:",
                        "    socket.getaddrinfo('not-allowed.example', 443)",
                        "    result = 'resolved'",
                        "except socket.gaierror as e:",
                        "    result = [type(e).__name__, e.errno == socket.EAI_NONAME,"
                                + " 'not-allowed.example' in str(e)]");
        assertEquals("[\"gaierror\",true,true]", r.toString());
    }

    @Test
    void anAllowedNameResolvingToLoopbackIsRefusedWithoutAllowLocalhost() {
        int before = http.requests().size();
        try (Sandbox strict =
                Sandbox.builder()
                        .network(NetworkPolicy.builder().allowHost("localhost").build())
                        .build()) {
            JsonNode r =
                    strict.execute(
                                    String.join(
                                            "\n",
                                            "import urllib.request",
                                            "try:",
                                            "    urllib.request.urlopen('http://localhost:"
                                                    + http.port()
                                                    + "/echo', timeout=20)",
                                            "    result = 'connected'",
                                            "except OSError as e:",
                                            "    e = getattr(e, 'reason', e)",
                                            "    result = [type(e).__name__, str(e)]"))
                            .result();
            assertEquals("PermissionError", r.get(0).asText(), r.toString());
            assertTrue(r.get(1).asText().contains("localhost"), r.toString());
        }
        assertEquals(before, http.requests().size());
    }

    @Test
    void refusedServersAndPlainSocketRules() {
        JsonNode r =
                run(
                        "out = []",
                        "for call in (lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),",
                        "             lambda: socket.socket().bind(('127.0.0.1', 0)),",
                        "             lambda: socket.socketpair()):",
                        "    try:",
                        "        call()",
                        "        out.append('allowed')",
                        "    except PermissionError as e:",
                        "        out.append('PermissionError')",
                        "s = socket.socket()",
                        "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)",
                        "out.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))",
                        "out.append(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) =="
                                + " socket.SOCK_STREAM)",
                        "s.connect(('127.0.0.1', " + http.port() + "))",
                        "out.append(s.getpeername() == ('127.0.0.1', " + http.port() + "))",
                        "s.close()",
                        "result = out");
        assertEquals(
                "[\"PermissionError\",\"PermissionError\",\"PermissionError\",1,true,true]",
                r.toString());
    }

    @Test
    void asyncioOpenConnectionPlainAndTls() {
        JsonNode r =
                run(
                        "async def fetch(port, **kw):",
                        "    reader, writer = await asyncio.open_connection('127.0.0.1', port,"
                                + " **kw)",
                        "    writer.write(b'GET /bytes?n=50000 HTTP/1.1\\r\\nHost: x\\r\\n"
                                + "Connection: close\\r\\n\\r\\n')",
                        "    await writer.drain()",
                        "    data = await reader.read()",
                        "    writer.close()",
                        "    await writer.wait_closed()",
                        "    head, _, body = data.partition(b'\\r\\n\\r\\n')",
                        "    return [head.split(b'\\r\\n')[0].decode(), len(body)]",
                        "result = [await fetch(" + http.port() + "),",
                        "          await fetch(" + https.port() + ", ssl=True),",
                        "          await fetch("
                                + https.port()
                                + ", ssl=ssl.create_default_context())]");
        String ok = "[\"HTTP/1.1 200 OK\",50000]";
        assertEquals("[" + ok + "," + ok + "," + ok + "]", r.toString());
    }

    @Test
    void gatherASocketReadAHostCallbackAndATimer() {
        JsonNode r =
                run(
                        "async def slow_get():",
                        "    reader, writer = await asyncio.open_connection('127.0.0.1', "
                                + http.port()
                                + ")",
                        "    writer.write(b'GET /slow?ms=300 HTTP/1.1\\r\\nHost: x\\r\\n"
                                + "Connection: close\\r\\n\\r\\n')",
                        "    data = await reader.read()",
                        "    writer.close()",
                        "    return data.rsplit(b'\\r\\n', 1)[-1].decode()",
                        "async def timer():",
                        "    await asyncio.sleep(0.1)",
                        "    return 'timer'",
                        "result = await asyncio.gather(slow_get(), pause(ms=200, tag='host'),"
                                + " timer())");
        assertEquals("[\"slow\",\"host\",\"timer\"]", r.toString());
    }

    @Test
    void timeoutAndCancelWhileBlockedInRecv() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            CountDownLatch connected = new CountDownLatch(2);
            Thread acceptor =
                    new Thread(
                            () -> {
                                try {
                                    while (true) {
                                        accepted.add(silent.accept());
                                        connected.countDown();
                                    }
                                } catch (IOException e) {
                                    // closed
                                }
                            });
            acceptor.setDaemon(true);
            acceptor.start();
            String blockInRecv =
                    "s = socket.create_connection(('127.0.0.1', "
                            + silent.getLocalPort()
                            + "))\ns.recv(10)";
            StopAssertions.assertStopsWithin(
                    ExecutionTimeoutException.class,
                    Duration.ofSeconds(20),
                    () ->
                            sandbox.execute(
                                    blockInRecv,
                                    ResourceLimits.builder()
                                            .executionTimeout(Duration.ofSeconds(2))
                                            .build()));
            assertEquals(2, run("result = 1 + 1").asInt(), "the sandbox stays usable");

            ExecutionHandle handle = sandbox.executeAsync(blockInRecv);
            assertTrue(connected.await(20, TimeUnit.SECONDS), "the guest connected twice");
            Thread.sleep(200); // now in recv (or about to be): either way cancel must end it
            long start = System.nanoTime();
            handle.cancel();
            StopAssertions.assertStopsWithin(
                    ExecutionCancelledException.class, Duration.ofSeconds(10), handle::get);
            assertTrue((System.nanoTime() - start) / 1_000_000 < 10_000);
            assertEquals(4, run("result = 2 + 2").asInt());
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted"));
        }
    }

    /** The ledger's connection entries (Effect.Kind.NETWORK_CONNECT, added by the host part). */
    private static List<Effect> connects(ExecutionResult result) {
        return result.effects().stream()
                .filter(e -> e.kind().name().equals("NETWORK_CONNECT"))
                .toList();
    }
}
