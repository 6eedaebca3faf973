package dev.eryx.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import dev.eryx.server.EryxServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A bounded loopback load test of the execution server ({@link EryxServer}): starts it in this JVM
 * on 127.0.0.1 with a bearer token, then runs two phases of {@code clients} concurrent clients,
 * each sending one request after the other until {@code requests} have been sent or {@code seconds}
 * have passed:
 *
 * <ol>
 *   <li>{@code execute}: {@code POST /v1/execute} (stateless, a pooled sandbox per request);
 *   <li>{@code session}: {@code POST /v1/sessions/{id}/execute}, each client in its own session
 *       (created before the phase).
 * </ol>
 *
 * Prints requests/s and latency percentiles (send to complete response) per phase, the server-side
 * execution time ({@code duration_ms}), and the verdicts and HTTP statuses seen.
 *
 * <pre>
 * java -cp ... dev.eryx.bench.ServiceLoadTest [--clients 8] [--requests 400] [--seconds 60]
 *     [--warmup 20] [--pool-size N] [--code 'print(1)'] [--markdown]
 * </pre>
 *
 * Every failure (a non-200 status, a verdict other than ok, an I/O error) is counted and printed;
 * the exit status is 1 if there was any, so a broken server cannot pass for a fast one.
 */
public final class ServiceLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to run; immutable. */
    static final class Options {
        final int clients;
        final int requests;
        final Duration limit;
        final int warmup;
        final int poolSize;
        final String code;
        final boolean markdown;

        Options(
                int clients,
                int requests,
                Duration limit,
                int warmup,
                int poolSize,
                String code,
                boolean markdown) {
            if (clients < 1
                    || requests < 1
                    || warmup < 0
                    || poolSize < 1
                    || limit.isNegative()
                    || limit.isZero()) {
                throw new IllegalArgumentException(
                        "clients, requests, pool size and seconds must be positive, warmup >= 0");
            }
            this.clients = clients;
            this.requests = requests;
            this.limit = limit;
            this.warmup = warmup;
            this.poolSize = poolSize;
            this.code = code;
            this.markdown = markdown;
        }

        static Options parse(String[] args) {
            int clients = 8;
            int requests = 400;
            long seconds = 60;
            int warmup = 20;
            int poolSize = Math.max(2, Runtime.getRuntime().availableProcessors());
            String code = "print(1)";
            boolean markdown = false;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--clients":
                        clients = Integer.parseInt(required(args[i], value));
                        i++;
                        break;
                    case "--requests":
                        requests = Integer.parseInt(required(args[i], value));
                        i++;
                        break;
                    case "--seconds":
                        seconds = Long.parseLong(required(args[i], value));
                        i++;
                        break;
                    case "--warmup":
                        warmup = Integer.parseInt(required(args[i], value));
                        i++;
                        break;
                    case "--pool-size":
                        poolSize = Integer.parseInt(required(args[i], value));
                        i++;
                        break;
                    case "--code":
                        code = required(args[i], value);
                        i++;
                        break;
                    case "--markdown":
                        markdown = true;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Options(
                    clients,
                    requests,
                    Duration.ofSeconds(seconds),
                    warmup,
                    poolSize,
                    code,
                    markdown);
        }

        private static String required(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }

    /** What one client saw. */
    private static final class ClientLog {
        final List<Long> latencies = new ArrayList<>();

        /**
         * The server's own duration_ms of each ok execution: the rest of the latency is overhead.
         */
        final List<Long> executionMillis = new ArrayList<>();

        final Map<String, Integer> outcomes = new TreeMap<>();

        void count(String outcome) {
            outcomes.merge(outcome, 1, Integer::sum);
        }
    }

    private final Options options;
    private final HttpClient http;
    private final String token;
    private final byte[] body;

    private ServiceLoadTest(Options options, String token) throws IOException {
        this.options = options;
        this.token = token;
        this.http =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
        this.body = JSON.writeValueAsBytes(JSON.createObjectNode().put("code", options.code));
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        String token = HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(16));
        ServiceLoadTest test = new ServiceLoadTest(options, token);
        long failures = 0;
        try (EryxServer server =
                EryxServer.builder()
                        .port(0)
                        .token(token)
                        .poolSize(options.poolSize)
                        .acquireTimeout(Duration.ofSeconds(30))
                        .maxConcurrentPerToken(options.clients)
                        .maxSessions(Math.max(64, options.clients))
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofSeconds(5))
                                        .maxMemoryBytes(128L << 20)
                                        .maxOutputBytes(1 << 20)
                                        .build())
                        .build()
                        .start()) {
            URI execute = server.uri().resolve("/v1/execute");
            System.err.printf(
                    "server on %s, pool size %d; warming up with %d requests%n",
                    server.uri(), options.poolSize, options.warmup);
            ClientLog warm = new ClientLog();
            for (int i = 0; i < options.warmup; i++) {
                test.send(execute, warm);
            }
            if (options.markdown) {
                System.out.println(
                        "| phase | clients | pool | requests | requests/s | p50 ms | p99 ms | max ms |"
                                + " server p50 ms | load before |");
                System.out.println("|---|---|---|---|---|---|---|---|---|---|");
            }
            failures += test.phase("execute", c -> execute);
            List<URI> sessions = new ArrayList<>();
            for (int c = 0; c < options.clients; c++) {
                String id = test.createSession(server.uri());
                sessions.add(server.uri().resolve("/v1/sessions/" + id + "/execute"));
            }
            for (URI session : sessions) { // each session's first execution warms its sandbox
                test.send(session, warm);
            }
            failures += test.phase("session", sessions::get);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private String createSession(URI base) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        request(base.resolve("/v1/sessions"), "{}".getBytes()),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IOException(
                    "session not created: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static String load() {
        try {
            String[] fields =
                    java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                            .trim()
                            .split(" ");
            return String.join(" ", Arrays.asList(fields).subList(0, Math.min(3, fields.length)));
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }

    /** One phase: client {@code c} sends to {@code target.apply(c)}. Returns the failures. */
    private long phase(String name, IntFunction<URI> target) throws Exception {
        String loadBefore = load();
        AtomicLong budget = new AtomicLong(options.requests);
        long deadline = System.nanoTime() + options.limit.toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(options.clients);
        List<Future<ClientLog>> logs = new ArrayList<>();
        long started = System.nanoTime();
        for (int c = 0; c < options.clients; c++) {
            URI uri = target.apply(c);
            logs.add(
                    clients.submit(
                            () -> {
                                ClientLog log = new ClientLog();
                                while (System.nanoTime() < deadline
                                        && budget.getAndDecrement() > 0) {
                                    send(uri, log);
                                }
                                return log;
                            }));
        }
        List<Long> latencies = new ArrayList<>();
        List<Long> executions = new ArrayList<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (Future<ClientLog> future : logs) {
            ClientLog log = future.get();
            latencies.addAll(log.latencies);
            executions.addAll(log.executionMillis);
            log.outcomes.forEach((k, v) -> outcomes.merge(k, v, Integer::sum));
        }
        long elapsed = System.nanoTime() - started;
        clients.shutdown();

        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double seconds = elapsed / 1e9;
        double throughput = sorted.length / seconds;
        long failures =
                outcomes.entrySet().stream()
                        .filter(e -> !e.getKey().equals("200 ok"))
                        .mapToLong(Map.Entry::getValue)
                        .sum();
        long[] executionNanos =
                executions.stream().mapToLong(ms -> ms * 1_000_000).sorted().toArray();
        double max = sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6;
        if (options.markdown) {
            System.out.printf(
                    "| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.0f | %s |%n",
                    name,
                    options.clients,
                    options.poolSize,
                    sorted.length,
                    throughput,
                    Percentiles.millis(sorted, 50),
                    Percentiles.millis(sorted, 99),
                    max,
                    Percentiles.millis(executionNanos, 50),
                    loadBefore);
        } else {
            System.out.printf(
                    "%s: clients %d, pool size %d, code %s%n",
                    name, options.clients, options.poolSize, options.code);
            System.out.printf(
                    "  requests %d in %.1f s: %.1f requests/s%n",
                    sorted.length, seconds, throughput);
            System.out.printf(
                    "  latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
                    Percentiles.millis(sorted, 50),
                    Percentiles.millis(sorted, 90),
                    Percentiles.millis(sorted, 99),
                    max);
            System.out.printf(
                    "  execution in the server (duration_ms) ms: p50 %.0f  p99 %.0f%n",
                    Percentiles.millis(executionNanos, 50), Percentiles.millis(executionNanos, 99));
            System.out.printf("  outcomes: %s%n", outcomes);
            System.out.printf("  load average before: %s; after: %s%n", loadBefore, load());
        }
        if (failures > 0) {
            System.err.printf("%s: %d failed requests: %s%n", name, failures, outcomes);
        }
        return failures;
    }

    private HttpRequest request(URI uri, byte[] content) {
        return HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .build();
    }

    /**
     * Sends one request and logs its latency and outcome ("200 ok", "200 timeout", "429", "io:
     * ...").
     */
    private void send(URI uri, ClientLog log) {
        HttpRequest request = request(uri, body);
        long t0 = System.nanoTime();
        try {
            HttpResponse<byte[]> response =
                    http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            log.latencies.add(System.nanoTime() - t0);
            if (response.statusCode() != 200) {
                log.count(String.valueOf(response.statusCode()));
                return;
            }
            JsonNode json = JSON.readTree(response.body());
            String verdict = json.path("verdict").asText("missing");
            if (verdict.equals("ok")) {
                log.executionMillis.add(json.path("duration_ms").asLong());
            }
            log.count("200 " + verdict);
        } catch (IOException e) {
            log.count("io: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.count("interrupted");
        }
    }
}
