package dev.eryx.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import dev.eryx.examples.ExecutionService;
import dev.eryx.pool.SandboxPool;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded loopback load test of the example HTTP service ({@code POST /execute}, backed by the
 * pool): starts the service in this JVM on 127.0.0.1 with the configuration its {@code main} uses,
 * warms it up, then runs {@code clients} concurrent clients, each sending one request after the
 * other, until {@code requests} have been sent or {@code seconds} have passed. Prints requests/s
 * and latency percentiles (send to complete response), and the verdicts and HTTP statuses seen.
 *
 * <pre>
 * java -cp ... dev.eryx.bench.ServiceLoadTest [--clients 4] [--requests 400] [--seconds 60]
 *     [--warmup 20] [--code 'print(1)'] [--markdown]
 * </pre>
 *
 * Every failure (a non-200 status, a verdict other than ok, an I/O error) is counted and printed;
 * the exit status is 1 if there was any, so a broken service cannot pass for a fast one.
 */
public final class ServiceLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to run; immutable. */
    static final class Options {
        final int clients;
        final int requests;
        final Duration limit;
        final int warmup;
        final String code;
        final boolean markdown;

        Options(
                int clients,
                int requests,
                Duration limit,
                int warmup,
                String code,
                boolean markdown) {
            if (clients < 1 || requests < 1 || warmup < 0 || limit.isNegative() || limit.isZero()) {
                throw new IllegalArgumentException(
                        "clients, requests and seconds must be positive, warmup >= 0");
            }
            this.clients = clients;
            this.requests = requests;
            this.limit = limit;
            this.warmup = warmup;
            this.code = code;
            this.markdown = markdown;
        }

        static Options parse(String[] args) {
            int clients = 4;
            int requests = 400;
            long seconds = 60;
            int warmup = 20;
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
                    clients, requests, Duration.ofSeconds(seconds), warmup, code, markdown);
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
         * The service's own "durationMs" of each ok execution: what the latency spends outside it
         * is overhead.
         */
        final List<Long> executionMillis = new ArrayList<>();

        final Map<String, Integer> outcomes = new TreeMap<>();

        void count(String outcome) {
            outcomes.merge(outcome, 1, Integer::sum);
        }
    }

    private ServiceLoadTest() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        ExecutionService.disableNagle(); // as the service's main does
        ResourceLimits limits = ExecutionService.defaultLimits();
        long failures;
        try (SandboxPool pool = ExecutionService.defaultPool(limits);
                ExecutionService service =
                        new ExecutionService(
                                pool,
                                limits,
                                0,
                                Math.max(
                                        options.clients,
                                        ExecutionService.defaultHandlerThreads()))) {
            URI uri = URI.create("http://127.0.0.1:" + service.port() + "/execute");
            HttpClient http =
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(5))
                            .build();
            byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("code", options.code));
            System.err.printf(
                    "service on %s, pool capacity %d; warming up with %d requests%n",
                    uri, pool.capacity(), options.warmup);
            ClientLog warm = new ClientLog();
            for (int i = 0; i < options.warmup; i++) {
                send(http, uri, body, warm);
            }
            failures = run(options, http, uri, body, pool.capacity(), load());
        }
        System.exit(failures == 0 ? 0 : 1);
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

    private static long run(
            Options options, HttpClient http, URI uri, byte[] body, int capacity, String loadBefore)
            throws Exception {
        AtomicLong budget = new AtomicLong(options.requests);
        long deadline = System.nanoTime() + options.limit.toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(options.clients);
        List<Future<ClientLog>> logs = new ArrayList<>();
        long started = System.nanoTime();
        for (int c = 0; c < options.clients; c++) {
            logs.add(
                    clients.submit(
                            () -> {
                                ClientLog log = new ClientLog();
                                while (System.nanoTime() < deadline
                                        && budget.getAndDecrement() > 0) {
                                    send(http, uri, body, log);
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
        System.out.printf(
                "clients %d, pool capacity %d, code %s%n", options.clients, capacity, options.code);
        System.out.printf(
                "requests %d in %.1f s: %.1f requests/s%n", sorted.length, seconds, throughput);
        System.out.printf(
                "latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
                Percentiles.millis(sorted, 50),
                Percentiles.millis(sorted, 90),
                Percentiles.millis(sorted, 99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
        long[] executionNanos =
                executions.stream().mapToLong(ms -> ms * 1_000_000).sorted().toArray();
        System.out.printf(
                "execution inside the service (durationMs) ms: p50 %.0f  p99 %.0f%n",
                Percentiles.millis(executionNanos, 50), Percentiles.millis(executionNanos, 99));
        System.out.printf("outcomes: %s%n", outcomes);
        System.out.printf("load average before: %s; after: %s%n", loadBefore, load());
        if (options.markdown) {
            System.out.printf(
                    "| %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %s |%n",
                    options.clients,
                    capacity,
                    sorted.length,
                    throughput,
                    Percentiles.millis(sorted, 50),
                    Percentiles.millis(sorted, 99),
                    sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
                    loadBefore);
        }
        return failures;
    }

    /**
     * Sends one request and logs its latency and outcome ("200 ok", "200 timeout", "503", "io:
     * ...").
     */
    private static void send(HttpClient http, URI uri, byte[] body, ClientLog log) {
        HttpRequest request =
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build();
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
                log.executionMillis.add(json.path("durationMs").asLong());
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
