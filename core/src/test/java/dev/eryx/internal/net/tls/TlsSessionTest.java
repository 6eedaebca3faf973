package dev.eryx.internal.net.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.eryx.testing.LoopbackServers;
import dev.eryx.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TlsSession against real loopback HTTPS servers, pumped through a blocking SocketChannel as the
 * host's network runtime would: verification outcomes with CPython's codes and messages, ALPN,
 * close_notify, truncation, large bodies both ways.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsSessionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void trustedAnchorGetsEcho() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            TlsSession s = pump.session;
            assertTrue(s.handshakeDone());
            assertEquals("TLSv1.3", s.protocol());
            assertTrue(s.cipherSuite().startsWith("TLS_AES_"), s.cipherSuite());
            assertTrue(s.cipherBits() == 128 || s.cipherBits() == 256);
            assertNull(s.applicationProtocol());
            assertEquals("localhost", s.verifiedName());
            assertFalse(s.verifiedWithGuestAnchors());
            assertEquals(List.of(id.serverCertificate()), s.peerChain());

            String response = pump.request("GET /echo?q=1 HTTP/1.1\r\nHost: localhost\r\n");
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            JsonNode echo = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertEquals("GET", echo.get("method").asText());
            assertEquals("/echo?q=1", echo.get("path").asText());
            assertEquals("/echo?q=1", server.requests().get(0).path());
        }
    }

    @Test
    void ipLiteralIsVerifiedAgainstTheAddressWithoutSni() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "127.0.0.1", List.of())) {
            pump.handshake();
            String response = pump.request("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
        }
    }

    @Test
    void peerCertDictHasCPythonsShape() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            ObjectNode dict = pump.session.peerCertDict();
            assertEquals(
                    "[[[\"organizationName\",\"eryx tests\"]],[[\"commonName\",\"localhost\"]]]",
                    dict.get("subject").toString());
            assertEquals(dict.get("subject"), dict.get("issuer"));
            assertEquals(3, dict.get("version").asInt());
            assertEquals(
                    PeerCertDict.serial(id.serverCertificate().getSerialNumber()),
                    dict.get("serialNumber").asText());
            assertTrue(dict.get("serialNumber").asText().matches("([0-9A-F]{2})+"));
            assertTrue(
                    dict.get("notAfter")
                            .asText()
                            .matches("[A-Z][a-z]{2} [ 123]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} GMT"),
                    dict.get("notAfter").asText());
            assertEquals(
                    "[[\"DNS\",\"localhost\"],[\"IP Address\",\"127.0.0.1\"]]",
                    dict.get("subjectAltName").toString());
            assertEquals("[\"http://ocsp.invalid/\"]", dict.get("OCSP").toString());
            assertEquals("[\"http://ca.invalid/ca.crt\"]", dict.get("caIssuers").toString());
            assertEquals(
                    "[\"http://crl.invalid/ca.crl\"]",
                    dict.get("crlDistributionPoints").toString());
            assertEquals(
                    List.of(
                            "subject",
                            "issuer",
                            "version",
                            "serialNumber",
                            "notBefore",
                            "notAfter",
                            "subjectAltName",
                            "OCSP",
                            "caIssuers",
                            "crlDistributionPoints"),
                    iterableToList(dict.fieldNames()));
        }
    }

    @Test
    void tls12ServerGivesOpenSslCipherNames() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        HttpsServer server =
                HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(
                new HttpsConfigurator(id.serverContext()) {
                    @Override
                    public void configure(HttpsParameters params) {
                        SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                        ssl.setProtocols(new String[] {"TLSv1.2"});
                        params.setSSLParameters(ssl);
                    }
                });
        server.start();
        try {
            // Guest anchors: the TLS 1.2 key exchange name reaches the second check.
            TlsTrust guest = TlsTrust.of(List.of()).withGuestAnchors(id.pem());
            TlsSession s =
                    TlsSession.client(guest, "localhost", server.getAddress().getPort(), List.of());
            try (SocketChannel ch = SocketChannel.open(server.getAddress())) {
                new Pump(ch, s).handshake();
            }
            assertEquals("TLSv1.2", s.protocol());
            assertTrue(s.cipherSuite().startsWith("ECDHE-ECDSA-"), s.cipherSuite());
            assertFalse(s.cipherSuite().startsWith("TLS_"), s.cipherSuite());
            assertTrue(s.verifiedWithGuestAnchors());
            TlsSession both =
                    TlsSession.client(
                            trusting(id).withGuestAnchors(id.pem()),
                            "localhost",
                            server.getAddress().getPort(),
                            List.of());
            try (SocketChannel ch = SocketChannel.open(server.getAddress())) {
                new Pump(ch, both).handshake();
            }
            assertFalse(both.verifiedWithGuestAnchors());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void untrustedSelfSignedIsCode18() throws Exception {
        TlsFailure f = refused(TestCertificates.localhost(), TlsTrust.of(List.of()), "localhost");
        assertEquals(18, f.verifyCode());
        assertEquals("self-signed certificate", f.verifyMessage());
        assertEquals("SSLCertVerificationError", f.pythonType());
        assertEquals(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed"
                        + " certificate (_ssl.c:1000)",
                f.getMessage());
    }

    @Test
    void unknownIssuerIsCode20AndTheIssuerAsAnchorPasses() throws Exception {
        TestCertificates.Identity id = TestCertificates.caSigned();
        TlsFailure f = refused(id, TlsTrust.of(List.of()), "localhost");
        assertEquals(20, f.verifyCode());
        assertEquals(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local"
                        + " issuer certificate (_ssl.c:1000)",
                f.getMessage());
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            assertTrue(
                    pump.request("GET /echo HTTP/1.1\r\nHost: localhost\r\n")
                            .startsWith("HTTP/1.1 200"));
        }
    }

    @Test
    void wrongNameIsCode62AndWrongAddress64() throws Exception {
        TestCertificates.Identity id = TestCertificates.otherName();
        TlsFailure f = refused(id, trusting(id), "localhost");
        assertEquals(62, f.verifyCode());
        assertEquals(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch,"
                        + " certificate is not valid for 'localhost'. (_ssl.c:1000)",
                f.getMessage());
        TlsFailure ip = refused(id, trusting(id), "127.0.0.1");
        assertEquals(64, ip.verifyCode());
        assertEquals(
                "IP address mismatch, certificate is not valid for '127.0.0.1'.",
                ip.verifyMessage());
    }

    @Test
    void expiredAnchorIsCode10() throws Exception {
        TestCertificates.Identity id = TestCertificates.expired();
        TlsFailure f = refused(id, trusting(id), "localhost");
        assertEquals(10, f.verifyCode());
        assertEquals(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has"
                        + " expired (_ssl.c:1000)",
                f.getMessage());
        // Untrusted as well: the chain is reported first, as OpenSSL does.
        assertEquals(18, refused(id, TlsTrust.of(List.of()), "localhost").verifyCode());
    }

    @Test
    void alpnSelectedWhenOfferedAndRefusedWhenNoneShared() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump =
                        Pump.open(server, trusting(id), "localhost", List.of("h2", "http/1.1"))) {
            pump.handshake();
            assertEquals("http/1.1", pump.session.applicationProtocol());
        }
        TlsFailure f;
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of("h2"))) {
            f = assertThrows(TlsFailure.class, pump::handshake);
        }
        // The JDK's HttpsServer drops the connection rather than send the alert a server should.
        assertFalse(f.certificateVerify());
        assertTrue(
                f.getMessage()
                                .equals(
                                        "[SSL: TLSV1_ALERT_NO_APPLICATION_PROTOCOL] tlsv1 alert no"
                                                + " application protocol (_ssl.c:1000)")
                        || f.getMessage().equals(TlsFailure.unexpectedEofMessage()),
                f.getMessage());
    }

    @Test
    void truncatedConnectionEndsWithTheRaggedEofFlag() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        String answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npartial";
        try (LoopbackServers server = LoopbackServers.raggedTls(id, answer);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            String response = pump.request("GET /cut HTTP/1.1\r\nHost: localhost\r\n");
            assertEquals(answer, response);
            assertTrue(pump.session.raggedEof());
            assertFalse(pump.session.closeNotifyReceived());
            assertEquals(-1, pump.session.read(new byte[10], 0, 10));
            assertEquals(
                    "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol"
                            + " (_ssl.c:1000)",
                    TlsFailure.unexpectedEofMessage());
        }
    }

    @Test
    void closeNotifyFromTheServerEndsTheStream() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        String answer = "HTTP/1.1 200 OK\r\n\r\nall of it";
        try (LoopbackServers server = LoopbackServers.closingTls(id, answer);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            assertEquals(answer, pump.request("GET / HTTP/1.1\r\nHost: localhost\r\n"));
            assertTrue(pump.session.closeNotifyReceived());
            assertFalse(pump.session.raggedEof());
        }
    }

    @Test
    void closeOutboundSendsCloseNotify() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            assertFalse(pump.session.hasOutgoing());
            pump.session.closeOutbound();
            assertTrue(pump.session.hasOutgoing());
            pump.flush();
            TlsFailure f =
                    assertThrows(TlsFailure.class, () -> pump.session.write(new byte[1], 0, 1));
            assertEquals(
                    "[SSL: PROTOCOL_IS_SHUTDOWN] protocol is shutdown (_ssl.c:1000)",
                    f.getMessage());
        }
    }

    @Test
    void largeBodiesBothWays() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            byte[] body = new byte[300_000];
            Arrays.fill(body, (byte) 'x');
            String head =
                    "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                            + body.length
                            + "\r\n";
            String response = pump.request(head, body);
            JsonNode echo = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertEquals(body.length, echo.get("body").asText().length());
        }
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trusting(id), "localhost", List.of())) {
            pump.handshake();
            String response = pump.request("GET /bytes?n=1000000 HTTP/1.1\r\nHost: localhost\r\n");
            String bodyText = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertEquals(1_000_000, bodyText.length());
            assertEquals("abc", bodyText.substring(26, 29));
        }
    }

    @Test
    void plainHttpServerIsWrongVersionNumber() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        try (ServerSocket plain = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            // A plain HTTP server answers the ClientHello with an error page.
            Thread answer =
                    new Thread(
                            () -> {
                                try (Socket s = plain.accept()) {
                                    s.getInputStream().read(new byte[512]);
                                    s.getOutputStream()
                                            .write(
                                                    "HTTP/1.1 400 Bad Request\r\n\r\n"
                                                            .getBytes(StandardCharsets.US_ASCII));
                                } catch (IOException ignored) {
                                    // The test's failure, if any, says more.
                                }
                            });
            answer.setDaemon(true);
            answer.start();
            SocketChannel ch = SocketChannel.open(plain.getLocalSocketAddress());
            Pump pump = new Pump(ch, TlsSession.client(trusting(id), "localhost", 1, List.of()));
            TlsFailure f = assertThrows(TlsFailure.class, pump::handshake);
            ch.close();
            assertEquals(
                    "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)",
                    f.getMessage());
            // The failure sticks.
            assertThrows(TlsFailure.class, () -> pump.session.handshake());
        }
    }

    @Test
    void guestAnchorsVerifyAndAreReported() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        TlsTrust guest = TlsTrust.of(List.of()).withGuestAnchors("# a bundle\n" + id.pem());
        assertTrue(guest.includesGuestAnchors());
        // Twice on one server with the same trust: the second session may resume; the answer
        // must not change.
        try (LoopbackServers server = LoopbackServers.https(id)) {
            for (int i = 0; i < 2; i++) {
                try (Pump pump = Pump.open(server, guest, "localhost", List.of())) {
                    pump.handshake();
                    assertTrue(pump.session.verifiedWithGuestAnchors());
                    assertEquals(List.of(id.serverCertificate()), pump.session.peerChain());
                    pump.request("GET /echo HTTP/1.1\r\nHost: localhost\r\n");
                }
            }
        }
        // Also in the policy: the guest's copy is not what made it pass.
        TlsTrust both = trusting(id).withGuestAnchors(id.pem());
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, both, "localhost", List.of())) {
            pump.handshake();
            assertFalse(pump.session.verifiedWithGuestAnchors());
        }
    }

    /**
     * Prints what a full loopback handshake costs (wall time, and the client thread's CPU time,
     * which a loaded machine distorts less); docs/network.md quotes a run. Asserts nothing about
     * time.
     */
    @Test
    void handshakeCost() throws Exception {
        TestCertificates.Identity id = TestCertificates.localhost();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (LoopbackServers server = LoopbackServers.https(id)) {
            int runs = 21;
            long[] wall = new long[runs];
            long[] cpu = new long[runs];
            for (int i = 0; i < runs; i++) {
                // A fresh trust each time: no session to resume, a full handshake.
                TlsTrust fresh = TlsTrust.of(List.of(id.certificate()));
                try (Pump pump = Pump.open(server, fresh, "localhost", List.of())) {
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    pump.handshake();
                    wall[i] = System.nanoTime() - start;
                    cpu[i] = threads.getCurrentThreadCpuTime() - cpu0;
                }
            }
            long[] warmWall = Arrays.copyOfRange(wall, 1, runs);
            long[] warmCpu = Arrays.copyOfRange(cpu, 1, runs);
            Arrays.sort(warmWall);
            Arrays.sort(warmCpu);
            System.err.printf(
                    "TLS loopback handshake (JDK %s): first %.1f ms wall / %.1f ms client CPU;"
                            + " then median %.2f ms wall (min %.2f) / %.2f ms client CPU (min %.2f)"
                            + " over %d%n",
                    Runtime.version().feature(),
                    wall[0] / 1e6,
                    cpu[0] / 1e6,
                    warmWall[warmWall.length / 2] / 1e6,
                    warmWall[0] / 1e6,
                    warmCpu[warmCpu.length / 2] / 1e6,
                    warmCpu[0] / 1e6,
                    warmWall.length);
        }
    }

    private static TlsTrust trusting(TestCertificates.Identity id) {
        return TlsTrust.of(List.of(id.certificate()));
    }

    private static TlsFailure refused(TestCertificates.Identity id, TlsTrust trust, String name)
            throws IOException {
        try (LoopbackServers server = LoopbackServers.https(id);
                Pump pump = Pump.open(server, trust, name, List.of())) {
            TlsFailure f = assertThrows(TlsFailure.class, pump::handshake);
            assertTrue(f.certificateVerify(), f.getMessage());
            assertNotNull(f.verifyMessage());
            return f;
        }
    }

    private static <T> List<T> iterableToList(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** A blocking SocketChannel moving a TlsSession's ciphertext, as the host runtime does. */
    static final class Pump implements AutoCloseable {
        final SocketChannel channel;
        final TlsSession session;
        private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        private final byte[] out = new byte[16 * 1024];

        private Pump(SocketChannel channel, TlsSession session) {
            this.channel = channel;
            this.session = session;
        }

        static Pump open(LoopbackServers server, TlsTrust trust, String name, List<String> alpn)
                throws IOException {
            SocketChannel ch =
                    SocketChannel.open(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            return new Pump(ch, TlsSession.client(trust, name, server.port(), alpn));
        }

        void handshake() throws IOException, TlsFailure {
            while (true) {
                boolean done;
                try {
                    done = session.handshake();
                } catch (TlsFailure f) {
                    flush(); // the alert
                    throw f;
                }
                flush();
                if (done) {
                    return;
                }
                fill();
            }
        }

        void flush() throws IOException {
            while (session.hasOutgoing()) {
                int n = session.takeOutgoing(out, 0, out.length);
                ByteBuffer b = ByteBuffer.wrap(out, 0, n);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
        }

        /** One network read into the session; at EOF tells it so. */
        void fill() throws IOException {
            in.clear();
            int n = channel.read(in);
            if (n < 0) {
                session.networkEof();
            } else {
                session.receive(in.array(), 0, n);
            }
        }

        /** Sends a request (head lines without the blank line), reads the response to the end. */
        String request(String head) throws IOException, TlsFailure {
            return request(head, new byte[0]);
        }

        String request(String head, byte[] body) throws IOException, TlsFailure {
            byte[] h = (head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            session.write(h, 0, h.length);
            flush();
            for (int off = 0; off < body.length; off += 20_000) {
                session.write(body, off, Math.min(20_000, body.length - off));
                flush();
            }
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (true) {
                int n = session.read(buf, 0, buf.length);
                flush();
                if (n > 0) {
                    response.write(buf, 0, n);
                } else if (n == 0) {
                    fill();
                } else {
                    return response.toString(StandardCharsets.ISO_8859_1);
                }
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
