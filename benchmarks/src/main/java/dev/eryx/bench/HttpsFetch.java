package dev.eryx.bench;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.eryx.NetworkPolicy;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * {@code urllib.request.urlopen} of a 1 MiB HTTPS response on loopback: eryx (the host does TLS,
 * docs/network.md) against the machine's native {@code python3} (OpenSSL), side by side in one run,
 * same server, same certificate (trusted by the policy in eryx, given as a cafile natively). Each
 * fetch is a new connection with a full handshake, as {@code urlopen} does. Prints the medians and
 * the ratio for docs/performance.md.
 *
 * <p>usage: HttpsFetch [fetches (default 15)] [warm-up fetches (default 5)]; the native interpreter
 * is {@code $ERYX_NATIVE_PYTHON}, else {@code python3} on the PATH.
 */
public final class HttpsFetch {
    private static final int SIZE = 1 << 20;

    private HttpsFetch() {}

    public static void main(String[] args) throws Exception {
        int fetches = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("eryx-https-fetch");
        try {
            Identity identity = Identity.generate(dir);
            HttpsServer server = serve(identity.context);
            try {
                String url = "https://127.0.0.1:" + server.getAddress().getPort() + "/mib";
                String loop = fetchLoop(url, warmup, fetches);
                List<Double> eryx = eryx(identity.certificate, loop);
                Path cafile = dir.resolve("anchor.pem");
                Files.writeString(cafile, pem(identity.certificate));
                List<Double> nativeMs = nativePython(cafile, loop);
                double e = median(eryx);
                double n = median(nativeMs);
                System.out.printf(
                        Locale.ROOT,
                        "HTTPS fetch of 1 MiB on loopback, urllib.request.urlopen, new connection"
                                + " each (%d fetches after %d warm-up; %s)%n%n",
                        fetches,
                        warmup,
                        Runtime.version());
                System.out.println("| runtime | median ms | min ms | max ms | ratio |");
                System.out.println("|---|---|---|---|---|");
                row("native " + nativeVersion(), nativeMs, 1.0);
                row("eryx", eryx, e / n);
            } finally {
                server.stop(0);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Python that fetches the URL warm-up + n times and prints each fetch's milliseconds. */
    private static String fetchLoop(String url, int warmup, int fetches) {
        return String.join(
                "\n",
                "import ssl, time, urllib.request",
                "def _fetch(ctx):",
                "    with urllib.request.urlopen('" + url + "', context=ctx, timeout=60) as r:",
                "        body = r.read()",
                "    assert len(body) == " + SIZE + ", len(body)",
                "def _times(ctx):",
                "    for _ in range(" + warmup + "):",
                "        _fetch(ctx)",
                "    out = []",
                "    for _ in range(" + fetches + "):",
                "        t = time.perf_counter()",
                "        _fetch(ctx)",
                "        out.append((time.perf_counter() - t) * 1000)",
                "    return out",
                "");
    }

    private static List<Double> eryx(X509Certificate anchor, String loop) {
        NetworkPolicy policy =
                NetworkPolicy.builder()
                        .allowLocalhost()
                        .trustCertificates(anchor)
                        .maxBytes(1L << 40)
                        .build();
        try (Sandbox sandbox =
                Sandbox.builder()
                        .network(policy)
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .build())
                        .build()) {
            var result =
                    sandbox.execute(loop + "result = _times(ssl.create_default_context())")
                            .result();
            List<Double> times = new ArrayList<>();
            result.forEach(t -> times.add(t.asDouble()));
            return times;
        }
    }

    private static List<Double> nativePython(Path cafile, String loop)
            throws IOException, InterruptedException {
        String code =
                loop
                        + "print(' '.join(str(t) for t in _times(ssl.create_default_context(cafile='"
                        + cafile
                        + "'))))\n";
        String out = runPython("-c", code);
        List<Double> times = new ArrayList<>();
        for (String t : out.trim().split("\\s+")) {
            times.add(Double.parseDouble(t));
        }
        return times;
    }

    private static String nativeVersion() throws IOException, InterruptedException {
        return runPython(
                        "-c",
                        "import platform, ssl; print(platform.python_version(),"
                                + " ssl.OPENSSL_VERSION.split()[1])")
                .trim()
                .replace(' ', '/');
    }

    private static String runPython(String... args) throws IOException, InterruptedException {
        String python = System.getenv().getOrDefault("ERYX_NATIVE_PYTHON", "python3");
        List<String> command = new ArrayList<>();
        command.add(python);
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(python + " failed: " + out);
        }
        return out;
    }

    private static void row(String name, List<Double> ms, double ratio) {
        System.out.printf(
                Locale.ROOT,
                "| %s | %.1f | %.1f | %.1f | %.2fx |%n",
                name,
                median(ms),
                Collections.min(ms),
                Collections.max(ms),
                ratio);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }

    private static HttpsServer serve(SSLContext context) throws IOException {
        byte[] body = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        HttpsServer server =
                HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        // Daemon threads: server.stop() leaves the executor running, which kept the JVM alive.
        server.setExecutor(
                Executors.newFixedThreadPool(
                        2,
                        task -> {
                            Thread thread = new Thread(task, "https-fetch-server");
                            thread.setDaemon(true);
                            return thread;
                        }));
        server.createContext(
                "/mib",
                exchange -> {
                    try (InputStream in = exchange.getRequestBody();
                            OutputStream out = exchange.getResponseBody()) {
                        in.transferTo(OutputStream.nullOutputStream());
                        exchange.sendResponseHeaders(200, body.length);
                        out.write(body);
                    }
                });
        server.start();
        return server;
    }

    private static String pem(X509Certificate certificate) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'})
                        .encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /**
     * A self-signed certificate for 127.0.0.1 and localhost, made by keytool (no JDK API issues
     * one).
     */
    private record Identity(SSLContext context, X509Certificate certificate) {
        static Identity generate(Path dir) throws Exception {
            Path store = dir.resolve("server.p12");
            String password = "eryx-bench";
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p =
                    new ProcessBuilder(
                                    keytool,
                                    "-genkeypair",
                                    "-alias",
                                    "server",
                                    "-keyalg",
                                    "EC",
                                    "-groupname",
                                    "secp256r1",
                                    "-dname",
                                    "CN=localhost",
                                    "-ext",
                                    "SAN=dns:localhost,ip:127.0.0.1",
                                    "-validity",
                                    "2",
                                    "-keystore",
                                    store.toString(),
                                    "-storetype",
                                    "PKCS12",
                                    "-storepass",
                                    password,
                                    "-keypass",
                                    password)
                            .redirectErrorStream(true)
                            .start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            if (p.waitFor() != 0) {
                throw new IOException("keytool failed: " + out);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, password.toCharArray());
            }
            KeyManagerFactory keys =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore, password.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return new Identity(context, (X509Certificate) keyStore.getCertificate("server"));
        }
    }
}
