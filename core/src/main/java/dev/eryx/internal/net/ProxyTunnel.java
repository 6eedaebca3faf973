package dev.eryx.internal.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Opens an HTTP CONNECT tunnel through a proxy. Stateless. */
public final class ProxyTunnel {
    /** The proxy's response head may not be longer than this. */
    static final int MAX_HEAD = 16 * 1024;

    private ProxyTunnel() {}

    /**
     * CONNECT host:port over an open blocking channel to the proxy; returns once the proxy answered
     * 2xx, leaving the channel blocking and positioned at the first byte of the tunnel (the head is
     * read one byte at a time so nothing past it is consumed).
     *
     * @throws NetException DENIED for 403/407 (the proxy refuses, or wants credentials), REFUSED or
     *     UNREACHABLE for other refusals, TIMEOUT, RESET when the proxy closes early, OTHER for a
     *     malformed answer
     */
    public static void establish(SocketChannel proxy, String host, int port, Duration timeout)
            throws NetException {
        if (host == null || host.isEmpty() || host.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new NetException(
                    NetException.Kind.OTHER, "bad host for a proxy CONNECT: " + host);
        }
        String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        byte[] request =
                ("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Selector selector = Selector.open()) {
            proxy.configureBlocking(false);
            try {
                ByteBuffer out = ByteBuffer.wrap(request);
                SelectionKey key = proxy.register(selector, SelectionKey.OP_WRITE);
                while (out.hasRemaining()) {
                    proxy.write(out);
                    if (out.hasRemaining()) {
                        await(selector, deadline, authority);
                    }
                }
                key.interestOps(SelectionKey.OP_READ);
                String head = readHead(proxy, selector, deadline, authority);
                key.cancel();
                selector.selectNow(); // deregisters, so the channel may become blocking again
                check(head, authority);
            } finally {
                if (proxy.isOpen()) {
                    for (SelectionKey k : selector.keys()) {
                        k.cancel();
                    }
                    selector.selectNow();
                    proxy.configureBlocking(true);
                }
            }
        } catch (IOException e) {
            throw new NetException(
                    NetException.Kind.RESET,
                    "proxy CONNECT " + authority + " failed: " + e.getMessage());
        }
    }

    private static String readHead(
            SocketChannel ch, Selector selector, long deadline, String authority)
            throws IOException, NetException {
        ByteBuffer one = ByteBuffer.allocate(1);
        StringBuilder head = new StringBuilder();
        while (true) {
            one.clear();
            int n = ch.read(one);
            if (n < 0) {
                throw new NetException(
                        NetException.Kind.RESET,
                        "the proxy closed the connection before answering CONNECT " + authority);
            }
            if (n == 0) {
                await(selector, deadline, authority);
                continue;
            }
            head.append((char) (one.get(0) & 0xff));
            int len = head.length();
            if (len >= 4 && head.substring(len - 4).equals("\r\n\r\n")
                    || len >= 2 && head.substring(len - 2).equals("\n\n")) {
                return head.toString();
            }
            if (len > MAX_HEAD) {
                throw new NetException(
                        NetException.Kind.OTHER,
                        "the proxy's answer to CONNECT " + authority + " is too long");
            }
        }
    }

    private static void await(Selector selector, long deadline, String authority)
            throws IOException, NetException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new NetException(
                    NetException.Kind.TIMEOUT,
                    "the proxy did not answer CONNECT " + authority + " in time");
        }
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
    }

    private static void check(String head, String authority) throws NetException {
        String status = head.lines().findFirst().orElse("");
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            throw new NetException(
                    NetException.Kind.OTHER,
                    "the proxy answered CONNECT "
                            + authority
                            + " with no HTTP status: "
                            + shorten(status));
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new NetException(
                    NetException.Kind.OTHER, "bad status from the proxy for CONNECT " + authority);
        }
        if (code >= 200 && code < 300) {
            return;
        }
        String message = "the proxy refused CONNECT " + authority + ": " + shorten(status);
        NetException.Kind kind =
                switch (code) {
                    case 403, 407 -> NetException.Kind.DENIED;
                    case 502, 503 -> NetException.Kind.REFUSED;
                    case 504 -> NetException.Kind.TIMEOUT;
                    default -> NetException.Kind.OTHER;
                };
        throw new NetException(kind, message);
    }

    private static String shorten(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
