package dev.eryx.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** CONNECT tunnels through a tiny proxy the test starts on 127.0.0.1. */
class ProxyTunnelTest {
    /**
     * A one-connection-at-a-time HTTP CONNECT proxy: answers with what {@code reply} gives for the
     * request head; on "200" it connects to the target and pumps bytes both ways.
     */
    static final class TinyProxy implements AutoCloseable {
        final ServerSocket server;
        final List<String> heads = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;

        TinyProxy(Function<String, String> reply) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread =
                    new Thread(
                            () -> {
                                while (!server.isClosed()) {
                                    try {
                                        Socket client = server.accept();
                                        serve(client, reply);
                                    } catch (IOException e) {
                                        return;
                                    }
                                }
                            },
                            "tiny-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(Socket client, Function<String, String> reply) throws IOException {
            InputStream in = client.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    client.close();
                    return;
                }
                head.write(b);
            }
            String h = head.toString(StandardCharsets.ISO_8859_1);
            heads.add(h);
            String answer = reply.apply(h);
            if (answer == null) {
                return; // never answers; the socket stays open until close()
            }
            OutputStream out = client.getOutputStream();
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (!answer.startsWith("HTTP/1.1 200")) {
                client.close();
                return;
            }
            String authority = h.split(" ")[1];
            int colon = authority.lastIndexOf(':');
            Socket target =
                    new Socket(
                            InetAddress.getLoopbackAddress(),
                            Integer.parseInt(authority.substring(colon + 1)));
            pump(client.getInputStream(), target.getOutputStream());
            pump(target.getInputStream(), client.getOutputStream());
        }

        private static void pump(InputStream in, OutputStream out) {
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    in.transferTo(out);
                                } catch (IOException ignored) {
                                    // one side closed
                                }
                            });
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** Echoes what it reads, after a greeting when given one. */
    private static ServerSocket echoServer(String greeting) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t =
                new Thread(
                        () -> {
                            try (Socket c = s.accept()) {
                                if (greeting != null) {
                                    c.getOutputStream()
                                            .write(greeting.getBytes(StandardCharsets.US_ASCII));
                                }
                                c.getInputStream().transferTo(c.getOutputStream());
                            } catch (IOException ignored) {
                                // test over
                            }
                        });
        t.setDaemon(true);
        t.start();
        return s;
    }

    private static String read(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
            // blocking
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void tunnelCarriesBytesBothWays() throws Exception {
        try (ServerSocket echo = echoServer("HELLO ");
                TinyProxy proxy =
                        new TinyProxy(h -> "HTTP/1.1 200 Connection established\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            ProxyTunnel.establish(
                    ch, "echo.example.com", echo.getLocalPort(), Duration.ofSeconds(10));
            assertTrue(ch.isBlocking(), "left blocking");
            // the greeting the target sent right after the proxy's answer was not swallowed
            assertEquals("HELLO ", read(ch, 6));
            ch.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
            assertEquals("ping", read(ch, 4));
            String head = proxy.heads.get(0);
            assertTrue(
                    head.startsWith(
                            "CONNECT echo.example.com:" + echo.getLocalPort() + " HTTP/1.1\r\n"),
                    head);
            assertTrue(
                    head.contains("\r\nHost: echo.example.com:" + echo.getLocalPort() + "\r\n"),
                    head);
        }
    }

    @Test
    void ipv6LiteralsAreBracketed() throws Exception {
        try (TinyProxy proxy = new TinyProxy(h -> "HTTP/1.1 403 Forbidden\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            NetException e =
                    assertThrows(
                            NetException.class,
                            () ->
                                    ProxyTunnel.establish(
                                            ch, "2001:db8::1", 443, Duration.ofSeconds(10)));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertTrue(proxy.heads.get(0).startsWith("CONNECT [2001:db8::1]:443 HTTP/1.1"));
        }
    }

    @Test
    void proxyWantingCredentialsIsDenied() throws Exception {
        try (TinyProxy proxy =
                        new TinyProxy(
                                h ->
                                        "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                                + "Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            NetException e =
                    assertThrows(
                            NetException.class,
                            () ->
                                    ProxyTunnel.establish(
                                            ch, "api.example.com", 443, Duration.ofSeconds(10)));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertTrue(e.getMessage().contains("407"), e.getMessage());
        }
    }

    @Test
    void badGatewayAndGarbage() throws Exception {
        try (TinyProxy proxy = new TinyProxy(h -> "HTTP/1.1 502 Bad Gateway\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            NetException e =
                    assertThrows(
                            NetException.class,
                            () ->
                                    ProxyTunnel.establish(
                                            ch, "api.example.com", 443, Duration.ofSeconds(10)));
            assertEquals(NetException.Kind.REFUSED, e.kind());
        }
        try (TinyProxy proxy = new TinyProxy(h -> "SSH-2.0-OpenSSH\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            NetException e =
                    assertThrows(
                            NetException.class,
                            () ->
                                    ProxyTunnel.establish(
                                            ch, "api.example.com", 443, Duration.ofSeconds(10)));
            assertEquals(NetException.Kind.OTHER, e.kind());
        }
    }

    @Test
    void silentProxyTimesOut() throws Exception {
        try (TinyProxy proxy = new TinyProxy(h -> null);
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            long start = System.nanoTime();
            NetException e =
                    assertThrows(
                            NetException.class,
                            () ->
                                    ProxyTunnel.establish(
                                            ch, "api.example.com", 443, Duration.ofMillis(300)));
            assertEquals(NetException.Kind.TIMEOUT, e.kind());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
        }
    }

    @Test
    void hostWithControlCharactersIsRefused() throws Exception {
        try (TinyProxy proxy = new TinyProxy(h -> "HTTP/1.1 200 OK\r\n\r\n");
                SocketChannel ch = SocketChannel.open(proxy.address())) {
            assertThrows(
                    NetException.class,
                    () ->
                            ProxyTunnel.establish(
                                    ch, "a.example.com\r\nX: y", 443, Duration.ofSeconds(10)));
        }
    }
}
