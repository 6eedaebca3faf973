package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.NetworkPolicy;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A hostile guest against the network: header injection on a secret-bound connection, and
 * server-side request forgery to cloud metadata and to loopback in disguise. Real loopback servers
 * count every connection and byte they receive. (maxBytes against a huge response is
 * NetworkLimitsTest's; address classification is NetworkGateTest's.)
 */
class NetworkAttacksTest {
    private static final String VALUE = "sk-live-7Qz9Xw2Rt5Yp8Lm3Nb6Vc1";

    @Test
    void headerInjectionOnASecretBoundConnectionIsRefusedBeforeAnyByte() throws Exception {
        try (Recorder server = new Recorder();
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(NetworkPolicy.builder().allowLocalhost().build())
                                .secret(Secret.of("API_KEY", VALUE).forHosts("127.0.0.1"))
                                .build()) {
            JsonNode r =
                    sandbox.execute(
                                    """
                                    import http.client, os, socket
                                    KEY = os.environ['API_KEY']
                                    HEAD = 'GET /x HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n'
                                    def raw(extra):
                                        s = socket.create_connection(('127.0.0.1', %d), timeout=20)
                                        try:
                                            s.sendall((HEAD + extra).encode())
                                            return 'sent'
                                        except OSError as e:
                                            return type(e).__name__
                                        finally:
                                            s.close()
                                    # http.client itself refuses CR/LF in a header value.
                                    try:
                                        c = http.client.HTTPConnection('127.0.0.1', %d, timeout=20)
                                        c.putrequest('GET', '/x')
                                        c.putheader('X-A', 'a\\r\\nAuthorization: Bearer ' + KEY)
                                        lib = 'accepted'
                                    except ValueError:
                                        lib = 'ValueError'
                                    result = [lib,
                                        raw('X-A: a\\rAuthorization: Bearer ' + KEY + '\\r\\n\\r\\n'),
                                        raw('X-A: a\\nAuthorization: Bearer ' + KEY + '\\r\\n\\r\\n'),
                                        raw('X-A: a\\x00b\\r\\nAuthorization: Bearer ' + KEY
                                            + '\\r\\n\\r\\n'),
                                        # A smuggled second request to another Host in one write.
                                        raw('\\r\\nGET /y HTTP/1.1\\r\\nHost: evil.example\\r\\n'
                                            + 'Authorization: Bearer ' + KEY + '\\r\\n\\r\\n')]
                                    """
                                            .formatted(server.port(), server.port(), server.port()))
                            .result();
            assertEquals(
                    "[\"ValueError\",\"PermissionError\",\"PermissionError\",\"PermissionError\","
                            + "\"PermissionError\"]",
                    r.toString());
            server.awaitQuiet();
            assertEquals(0, server.bytes(), "bytes the server received");
        }
    }

    @Test
    void metadataAndDisguisedLoopbackAreRefusedWithoutAllowLocalhost() throws Exception {
        try (Recorder server = new Recorder();
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(
                                        NetworkPolicy.builder()
                                                .allowHost("api.example.com")
                                                .build())
                                .build()) {
            JsonNode r =
                    sandbox.execute(
                                    """
                                    import socket, urllib.request, urllib.error
                                    def fetch(url):
                                        try:
                                            urllib.request.urlopen(url, timeout=20)
                                            return 'fetched'
                                        except urllib.error.URLError as e:
                                            return type(e.reason).__name__
                                        except OSError as e:
                                            return type(e).__name__
                                    P = %d
                                    result = [fetch(u) for u in [
                                        'http://169.254.169.254/latest/meta-data/',
                                        'http://[fd00:ec2::254]/latest/meta-data/',
                                        'http://metadata.google.internal/computeMetadata/v1/',
                                        'http://metadata/',
                                        f'http://0x7f.1:{P}/',
                                        f'http://2130706433:{P}/',
                                        f'http://[::ffff:127.0.0.1]:{P}/',
                                        f'http://127.1:{P}/',
                                        f'http://localhost:{P}/',
                                    ]]
                                    """
                                            .formatted(server.port()))
                            .result();
            for (int i = 0; i < r.size(); i++) {
                String outcome = r.get(i).asText();
                assertTrue(
                        outcome.equals("PermissionError") || outcome.equals("gaierror"),
                        i + ": " + r);
            }
            // Names are refused before any DNS query; the metadata literal before any packet.
            assertEquals("PermissionError", r.get(0).asText(), r.toString());
            assertEquals("gaierror", r.get(2).asText(), r.toString());
            server.awaitQuiet();
            assertEquals(0, server.connections(), "connections the loopback server accepted");
        }
    }

    /** A loopback TCP server that only counts connections and the bytes they send. */
    private static final class Recorder implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicLong bytes = new AtomicLong();

        Recorder() {
            try {
                socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread acceptor = new Thread(this::accept, "attack-recorder");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    connections.incrementAndGet();
                    Thread reader =
                            new Thread(
                                    () -> {
                                        try (s;
                                                InputStream in = s.getInputStream()) {
                                            byte[] buffer = new byte[4096];
                                            for (int n; (n = in.read(buffer)) > 0; ) {
                                                bytes.addAndGet(n);
                                            }
                                        } catch (IOException e) {
                                            // the guest went away
                                        }
                                    });
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        int port() {
            return socket.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        long bytes() {
            return bytes.get();
        }

        /** Lets bytes in flight arrive (a generous bound; absence cannot be awaited otherwise). */
        void awaitQuiet() throws InterruptedException {
            Thread.sleep(200);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
