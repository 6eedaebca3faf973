package dev.eryx.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A real HTTP or HTTPS server on {@code 127.0.0.1}, on a free port, for network tests (the JDK's
 * {@code HttpServer}; keep-alive on; one thread per concurrent request). Close it when done.
 *
 * <p>Paths:
 *
 * <ul>
 *   <li>{@code /echo}: the request back as JSON, {@code {"method", "path", "headers": {name:
 *       [values]}, "body"}} (path with its query; body decoded as UTF-8);
 *   <li>{@code /bytes?n=N}: N bytes with a Content-Length; byte {@code i} is {@code 'a' + i % 26};
 *   <li>{@code /chunked?n=N}: the same N bytes, chunked;
 *   <li>{@code /slow?ms=M}: waits M milliseconds, then answers {@code slow};
 *   <li>{@code /headers}: like {@code /echo}, and every request header also as a response header;
 *   <li>anything else: 404.
 * </ul>
 *
 * <p>{@link #requests()} lists what the server received, header values as sent. The JDK server
 * spells header names with an upper-case first letter and the rest lower case.
 *
 * <p>{@link #raggedTls} and {@link #closingTls} are a different kind: a TLS server that answers one
 * request per connection, then closes the TCP connection without a TLS close_notify (a truncation
 * attack, or a sloppy server), or with one.
 */
public final class LoopbackServers implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    // Hop-by-hop or framing headers /headers must not copy into its response.
    private static final Set<String> NOT_ECHOED =
            Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "date");

    /** One request as the server received it. */
    public record Request(
            String method, String path, Map<String, List<String>> headers, byte[] body) {
        public Request {
            headers = Map.copyOf(headers);
        }

        /** The first value of a header, matched without regard to case; null when absent. */
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer http;
    private final ServerSocket raw;
    private final ExecutorService executor;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private LoopbackServers(HttpServer http, ServerSocket raw, ExecutorService executor) {
        this.http = http;
        this.raw = raw;
        this.executor = executor;
    }

    /** A plain HTTP server. */
    public static LoopbackServers http() {
        try {
            return start(HttpServer.create(new InetSocketAddress(loopback(), 0), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An HTTPS server presenting {@code identity}'s chain; it selects {@code http/1.1} when a
     * client offers it by ALPN (and refuses a client that offers only other protocols, as servers
     * do).
     */
    public static LoopbackServers https(TestCertificates.Identity identity) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(loopback(), 0), 0);
            server.setHttpsConfigurator(
                    new HttpsConfigurator(identity.serverContext()) {
                        @Override
                        public void configure(HttpsParameters params) {
                            SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                            ssl.setApplicationProtocols(new String[] {"http/1.1"});
                            params.setSSLParameters(ssl);
                        }
                    });
            return start(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A TLS server that, on each connection, completes the handshake, reads one request head,
     * answers {@code response} (written as is: include the status line and headers, and leave out
     * Content-Length so the client reads to EOF), and closes the TCP connection <em>without</em> a
     * close_notify.
     */
    public static LoopbackServers raggedTls(TestCertificates.Identity identity, String response) {
        return rawTls(identity, response, false);
    }

    /**
     * Like {@link #raggedTls}, but ends each connection properly: close_notify, then TCP close.
     * (The JDK's {@code HttpsServer} closes a {@code Connection: close} exchange without one.)
     */
    public static LoopbackServers closingTls(TestCertificates.Identity identity, String response) {
        return rawTls(identity, response, true);
    }

    private static LoopbackServers rawTls(
            TestCertificates.Identity identity, String response, boolean closeNotify) {
        try {
            ServerSocket socket = new ServerSocket(0, 50, loopback());
            ExecutorService executor = Executors.newCachedThreadPool(LoopbackServers::daemon);
            LoopbackServers servers = new LoopbackServers(null, socket, executor);
            executor.execute(() -> servers.acceptRaw(identity, response, closeNotify));
            return servers;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server's port on 127.0.0.1. */
    public int port() {
        return http != null ? http.getAddress().getPort() : raw.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(loopback(), port());
    }

    /** {@code http(s)://127.0.0.1:port} followed by {@code path}. */
    public URI uri(String path) {
        String scheme = http instanceof HttpsServer || raw != null ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + port() + path);
    }

    /** What the server has received so far, oldest first. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        if (raw != null) {
            try {
                raw.close();
            } catch (IOException ignored) {
                // Closing a listening socket that is already closed.
            }
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static LoopbackServers start(HttpServer server) {
        ExecutorService executor = Executors.newCachedThreadPool(LoopbackServers::daemon);
        server.setExecutor(executor);
        LoopbackServers servers = new LoopbackServers(server, null, executor);
        server.createContext("/", servers::handle);
        server.start();
        return servers;
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "loopback-server");
        t.setDaemon(true);
        return t;
    }

    private static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
            URI uri = exchange.getRequestURI();
            Request request =
                    new Request(exchange.getRequestMethod(), uri.toString(), headers, body);
            requests.add(request);
            Map<String, String> query = query(uri.getRawQuery());
            switch (uri.getPath()) {
                case "/echo" -> json(exchange, echo(request));
                case "/headers" -> {
                    Headers out = exchange.getResponseHeaders();
                    headers.forEach(
                            (k, v) -> {
                                if (!NOT_ECHOED.contains(k.toLowerCase(Locale.ROOT))) {
                                    out.put(k, new ArrayList<>(v));
                                }
                            });
                    json(exchange, echo(request));
                }
                case "/bytes" -> {
                    int n = Integer.parseInt(query.getOrDefault("n", "0"));
                    exchange.sendResponseHeaders(200, n == 0 ? -1 : n);
                    writePattern(exchange.getResponseBody(), n);
                }
                case "/chunked" -> {
                    int n = Integer.parseInt(query.getOrDefault("n", "0"));
                    exchange.sendResponseHeaders(200, 0);
                    writePattern(exchange.getResponseBody(), n);
                }
                case "/slow" -> {
                    long ms = Long.parseLong(query.getOrDefault("ms", "0"));
                    Thread.sleep(ms);
                    byte[] text = "slow".getBytes(StandardCharsets.US_ASCII);
                    exchange.sendResponseHeaders(200, text.length);
                    exchange.getResponseBody().write(text);
                }
                default -> exchange.sendResponseHeaders(404, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ObjectNode echo(Request request) {
        ObjectNode node = JSON.createObjectNode();
        node.put("method", request.method());
        node.put("path", request.path());
        ObjectNode headers = node.putObject("headers");
        request.headers()
                .forEach(
                        (k, v) -> {
                            var values = headers.putArray(k);
                            v.forEach(values::add);
                        });
        node.put("body", request.bodyText());
        return node;
    }

    private static void json(HttpExchange exchange, ObjectNode node) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(node);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void writePattern(OutputStream out, int n) throws IOException {
        byte[] chunk = new byte[8192];
        for (int sent = 0; sent < n; ) {
            int len = Math.min(chunk.length, n - sent);
            for (int i = 0; i < len; i++) {
                chunk[i] = (byte) ('a' + (sent + i) % 26);
            }
            out.write(chunk, 0, len);
            sent += len;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw != null) {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    out.put(part.substring(0, eq), part.substring(eq + 1));
                }
            }
        }
        return out;
    }

    private void acceptRaw(
            TestCertificates.Identity identity, String response, boolean closeNotify) {
        while (!raw.isClosed()) {
            Socket tcp;
            try {
                tcp = raw.accept();
            } catch (IOException e) {
                return; // closed
            }
            executor.execute(() -> serveRaw(identity, tcp, response, closeNotify));
        }
    }

    private void serveRaw(
            TestCertificates.Identity identity, Socket tcp, String response, boolean closeNotify) {
        try (tcp) {
            // Layered over a socket we close ourselves: closing tcp, not the SSLSocket, ends the
            // connection without a close_notify.
            SSLSocket tls =
                    (SSLSocket)
                            identity.serverContext()
                                    .getSocketFactory()
                                    .createSocket(tcp, null, tcp.getPort(), false);
            tls.setUseClientMode(false);
            tls.setSoTimeout(10_000);
            InputStream in = tls.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!endsWithBlankLine(head)) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            String[] line = text.substring(0, text.indexOf("\r\n")).split(" ");
            requests.add(
                    new Request(line[0], line.length > 1 ? line[1] : "", Map.of(), new byte[0]));
            OutputStream out = tls.getOutputStream();
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            if (closeNotify) {
                tls.close(); // sends close_notify; tcp closes after it
            }
        } catch (IOException ignored) {
            // The client went away: nothing to answer.
        }
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        byte[] b = head.toByteArray();
        int n = b.length;
        return n >= 4
                && b[n - 4] == '\r'
                && b[n - 3] == '\n'
                && b[n - 2] == '\r'
                && b[n - 1] == '\n';
    }
}
