package dev.eryx.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** The test utilities themselves: the servers answer as documented, over HTTP and HTTPS. */
class LoopbackServersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void httpPathsAnswerAsDocumented() throws Exception {
        try (LoopbackServers server = LoopbackServers.http()) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> echo =
                    client.send(
                            HttpRequest.newBuilder(server.uri("/echo?x=1"))
                                    .header("X-Token", "abc")
                                    .POST(HttpRequest.BodyPublishers.ofString("hello"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode node = JSON.readTree(echo.body());
            assertEquals("POST", node.get("method").asText());
            assertEquals("/echo?x=1", node.get("path").asText());
            assertEquals("hello", node.get("body").asText());
            assertEquals("abc", node.get("headers").get("X-token").get(0).asText());

            HttpResponse<String> bytes =
                    client.send(
                            HttpRequest.newBuilder(server.uri("/bytes?n=30")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals("abcdefghijklmnopqrstuvwxyzabcd", bytes.body());
            assertEquals("30", bytes.headers().firstValue("content-length").orElseThrow());

            HttpResponse<String> chunked =
                    client.send(
                            HttpRequest.newBuilder(server.uri("/chunked?n=20000")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(20000, chunked.body().length());
            assertEquals(
                    "chunked", chunked.headers().firstValue("transfer-encoding").orElseThrow());

            HttpResponse<String> headers =
                    client.send(
                            HttpRequest.newBuilder(server.uri("/headers"))
                                    .header("X-Echo", "v1")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals("v1", headers.headers().firstValue("x-echo").orElseThrow());

            assertEquals(
                    404,
                    client.send(
                                    HttpRequest.newBuilder(server.uri("/nothing")).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            assertEquals(5, server.requests().size());
            assertEquals("abc", server.requests().get(0).header("x-token"));
        }
    }

    @Test
    void httpsServerPresentsTheIdentity() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        System.err.println("TestCertificates.localhost(): " + id.generationMillis() + " ms");
        try (LoopbackServers server = LoopbackServers.https(id)) {
            HttpClient client =
                    HttpClient.newBuilder()
                            .sslContext(trusting(id.certificate()))
                            .connectTimeout(Duration.ofSeconds(10))
                            .build();
            HttpResponse<String> slow =
                    client.send(
                            HttpRequest.newBuilder(server.uri("/slow?ms=10")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals("slow", slow.body());
            X509Certificate leaf = id.serverCertificate();
            assertTrue(leaf.getSubjectX500Principal().getName().contains("CN=localhost"));
            assertEquals(List.of(leaf), id.serverChain());
        }
    }

    @Test
    void everyIdentityIsWhatItSays() throws Exception {
        TestCertificates.Identity ca = TestCertificates.caSigned();
        System.err.println("TestCertificates.caSigned(): " + ca.generationMillis() + " ms");
        try (LoopbackServers server = LoopbackServers.https(ca)) {
            HttpClient client =
                    HttpClient.newBuilder().sslContext(trusting(ca.certificate())).build();
            assertEquals(
                    200,
                    client.send(
                                    HttpRequest.newBuilder(server.uri("/echo")).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
        }
        assertTrue(!ca.certificate().equals(ca.serverCertificate()));

        TestCertificates.Identity expired = TestCertificates.expired();
        System.err.println("TestCertificates.expired(): " + expired.generationMillis() + " ms");
        assertTrue(expired.certificate().getNotAfter().getTime() < System.currentTimeMillis());

        TestCertificates.Identity other = TestCertificates.otherName();
        System.err.println("TestCertificates.otherName(): " + other.generationMillis() + " ms");
        assertTrue(other.pem().startsWith("-----BEGIN CERTIFICATE-----\n"));
        assertEquals(
                List.of(List.of(2, "other.invalid")),
                other.certificate().getSubjectAlternativeNames().stream()
                        .map(List::copyOf)
                        .toList());
    }

    private static SSLContext trusting(X509Certificate cert) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("anchor", cert);
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
