package dev.eryx.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.NetworkPolicy;
import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.packages.DebianPackages;
import dev.eryx.testing.LoopbackServers;
import dev.eryx.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * requests (urllib3 1.26) and httpx (httpcore, anyio), Debian's bookworm builds ({@link
 * DebianPackages}), unchanged, against HTTP and HTTPS servers on 127.0.0.1. Their CA bundle
 * (certifi's) travels to the host as guest anchors, which this policy does not trust: the policy's
 * own anchor is what makes HTTPS pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpPackagesNetworkTest {
    private LoopbackServers http;
    private LoopbackServers https;
    private Sandbox sandbox;

    @BeforeAll
    void start() throws IOException {
        DebianPackages.Fixture fixture = DebianPackages.all();
        // Debian's certifi names the system bundle; the host gives the guest the package's copy.
        byte[] caBundle = Files.readAllBytes(fixture.distPackages().resolve("certifi/cacert.pem"));
        http = LoopbackServers.http();
        https = LoopbackServers.https(TestCertificates.localhost());
        sandbox =
                Sandbox.builder()
                        // One sandbox: importing in it compiles the modules once, as an image
                        // capture would, without the extra sandbox and snapshot.
                        .packages(PythonPackages.of(fixture.distPackages()))
                        // httpx (trust_env) looks for ~/.netrc; without HOME, pathlib refuses.
                        .env("HOME", "/tmp")
                        .network(
                                NetworkPolicy.builder()
                                        .allowLocalhost()
                                        .trustCertificates(
                                                TestCertificates.localhost().certificate())
                                        .build())
                        .file("/etc/ssl/certs/ca-certificates.crt", caBundle)
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(5))
                                        .build())
                        .build();
        sandbox.execute(
                String.join(
                        "\n",
                        "import requests, httpx",
                        "HTTP = 'http://127.0.0.1:" + http.port() + "'",
                        "HTTPS = 'https://127.0.0.1:" + https.port() + "'"));
    }

    @AfterAll
    void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
        if (http != null) {
            http.close();
        }
        if (https != null) {
            https.close();
        }
    }

    private JsonNode run(String... lines) {
        return sandbox.execute(String.join("\n", lines)).result();
    }

    @Test
    void requestsGetOverHttpAndHttps() {
        JsonNode r =
                run(
                        "a = requests.get(HTTP + '/echo', headers={'X-From': 'requests'},"
                                + " timeout=20)",
                        "b = requests.post(HTTPS + '/echo', json={'k': 'v'}, timeout=20)",
                        "c = requests.get(HTTPS + '/bytes?n=20000', timeout=20)",
                        "result = [a.status_code, a.json()['headers']['X-from'], b.json()['body'],"
                                + " len(c.content)]");
        assertEquals("[200,[\"requests\"],\"{\\\"k\\\": \\\"v\\\"}\",20000]", r.toString());
    }

    @Test
    void httpxGetSyncOverHttpAndHttps() {
        JsonNode r =
                run(
                        "with httpx.Client(timeout=20) as client:",
                        "    a = client.get(HTTP + '/echo')",
                        "    b = client.get(HTTPS + '/chunked?n=30000')",
                        "result = [a.json()['method'], b.status_code, len(b.content),"
                                + " b.http_version]");
        assertEquals("[\"GET\",200,30000,\"HTTP/1.1\"]", r.toString());
    }

    @Test
    void httpxAsyncClient() {
        JsonNode r =
                run(
                        "import asyncio",
                        "async with httpx.AsyncClient(timeout=20) as client:",
                        "    a, b = await asyncio.gather(client.get(HTTP + '/echo'),",
                        "                                client.get(HTTPS + '/bytes?n=10000'))",
                        "result = [a.json()['method'], len(b.content)]");
        assertEquals("[\"GET\",10000]", r.toString());
    }
}
