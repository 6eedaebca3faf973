package dev.eryx.bench;

import dev.eryx.pool.SandboxPool;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A fresh JVM's pooled latency with and without {@link SandboxPool.Builder#warmUp}, for
 * docs/performance.md "Round 2", lever 7 and docs/pool.md "Warm-up": {@code java -cp <benchmarks
 * class path> dev.eryx.bench.WarmUpMeasurements (none|warmup) [warmUpSeconds=20] [runSeconds=60]}.
 * Run each mode in its own JVM (the JIT's state is the JVM's), alternating.
 *
 * <p>Builds a pool (minIdle 1, maxSize 2); with {@code warmup} its warm-up runs {@link #CORPUS} for
 * {@code warmUpSeconds} and the client waits for {@code ready()}. Then one client thread runs
 * {@code pool.execute("print(1)")} back to back until {@code runSeconds} after {@code build()}.
 * Reports the p50 of the first 1,000 requests, the time from {@code build()} to {@code ready()},
 * and p50 per 5-second bucket since {@code build()} (requests the client made in it).
 */
public final class WarmUpMeasurements {
    /** Representative of a small service: a print, some json, a regex, a function, an error. */
    static final List<String> CORPUS =
            List.of(
                    "print(1)",
                    "import json\nresult = json.loads(json.dumps({'a': [1, 2, 3], 'b': 'x'}))",
                    "import re\nresult = len(re.findall(r'\\w+', 'the quick brown fox ' * 20))",
                    "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\nresult = f(15)",
                    "raise ValueError('expected')");

    private WarmUpMeasurements() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(args[0].equals("none") || args[0].equals("warmup"))) {
            System.err.println(
                    "usage: WarmUpMeasurements (none|warmup) [warmUpSeconds] [runSeconds]");
            System.exit(2);
        }
        boolean warm = args[0].equals("warmup");
        int warmUpSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int runSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        String load = load();
        long built = System.nanoTime();
        SandboxPool.Builder builder = SandboxPool.builder().minIdle(1).maxSize(2);
        if (warm) {
            builder.warmUp(Duration.ofSeconds(warmUpSeconds), CORPUS);
        }
        try (SandboxPool pool = builder.build()) {
            long buildMs = (System.nanoTime() - built) / 1_000_000;
            pool.ready().get(10, TimeUnit.MINUTES);
            long readyMs = (System.nanoTime() - built) / 1_000_000;
            long end = built + TimeUnit.SECONDS.toNanos(runSeconds);
            List<long[]> samples = new ArrayList<>(); // {start since build, latency}
            while (System.nanoTime() < end) {
                long a = System.nanoTime();
                pool.execute("print(1)");
                samples.add(new long[] {a - built, System.nanoTime() - a});
            }
            long[] first = new long[Math.min(1000, samples.size())];
            for (int i = 0; i < first.length; i++) {
                first[i] = samples.get(i)[1];
            }
            Arrays.sort(first);
            StringBuilder buckets = new StringBuilder();
            for (int s = 0; s < runSeconds; s += 5) {
                long from = TimeUnit.SECONDS.toNanos(s);
                long to = TimeUnit.SECONDS.toNanos(s + 5);
                long[] in =
                        samples.stream()
                                .filter(x -> x[0] >= from && x[0] < to)
                                .mapToLong(x -> x[1])
                                .sorted()
                                .toArray();
                buckets.append(
                        in.length == 0
                                ? " -"
                                : String.format(
                                        " %.2f(%d)", Percentiles.millis(in, 50), in.length));
            }
            System.out.printf(
                    "%s %s %s: build() %d ms, ready() %d ms, requests %d, first 1000 p50 %.3f ms"
                            + " p90 %.3f ms; p50 per 5 s since build (n):%s; load %s -> %s%n",
                    System.getProperty("java.version"),
                    args[0],
                    warm ? warmUpSeconds + " s" : "",
                    buildMs,
                    readyMs,
                    samples.size(),
                    Percentiles.millis(first, 50),
                    Percentiles.millis(first, 90),
                    buckets,
                    load,
                    load());
        }
    }

    private static String load() {
        return String.format(
                "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
