package dev.eryx.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The eryx side of the side-by-side table, in one JVM, no JVM flags.
 *
 * <ul>
 *   <li>cold boot: the first sandbox of the JVM (boots CPython, captures the image) to its first
 *       output;
 *   <li>fresh sandbox: {@code build()} of a sandbox restored from the image, then {@code
 *       execute("print('ready')")}, timed to the moment the stdout listener sees the text;
 *   <li>warm: one sandbox runs a workload at least {@code warmup} times and for at least {@code
 *       warmupSeconds} (the JIT compiles the guest's hot code meanwhile), then {@code reps} timed
 *       executions follow.
 * </ul>
 *
 * <p>usage: EryxRunner OUT.json [warmup] [reps] [startupReps] [warmupSeconds]
 * [workloads,comma,separated]
 */
public final class EryxRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        File out = new File(args[0]);
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int startupReps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        double warmupSeconds = args.length > 4 ? Double.parseDouble(args[4]) : 8;
        Map<String, String> workloads = Workloads.select(args.length > 5 ? args[5] : null);
        ResourceLimits limits =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofMinutes(10))
                        .maxMemoryBytes(1L << 30)
                        .build();

        ObjectNode root = JSON.createObjectNode();
        root.put(
                "version",
                "java "
                        + System.getProperty("java.version")
                        + " ("
                        + System.getProperty("java.vm.name")
                        + ")");
        ObjectNode startup = root.putObject("startup");

        // Cold boot: the first sandbox in this JVM.
        startup.put("cold_boot_first_output_ms", firstOutput(limits));
        log(
                "cold boot to first output %.0f ms",
                startup.get("cold_boot_first_output_ms").asDouble());

        // Fresh sandboxes restored from the image.
        ArrayNode fresh = startup.putArray("fresh_first_output_ms");
        ArrayNode restore = startup.putArray("restore_build_ms");
        for (int i = 0; i < startupReps; i++) {
            long t0 = System.nanoTime();
            try (Sandbox s = Sandbox.builder().resourceLimits(limits).build()) {
                restore.add(ms(System.nanoTime() - t0));
            }
            fresh.add(firstOutput(limits));
        }
        log(
                "fresh sandbox to first output: median %.1f ms (build alone %.1f ms)",
                median(fresh), median(restore));

        try (Sandbox s = Sandbox.builder().resourceLimits(limits).build()) {
            // A warm sandbox (the analogue of a pooled one): execute a trivial print.
            for (int i = 0; i < 50; i++) {
                s.execute("print('ready')");
            }
            ArrayNode trivial = startup.putArray("warm_trivial_ms");
            for (int i = 0; i < 30; i++) {
                long t0 = System.nanoTime();
                s.execute("print('ready')");
                trivial.add(ms(System.nanoTime() - t0));
            }
            log("warm sandbox, execute print: median %.2f ms", median(trivial));

            ObjectNode results = root.putObject("workloads");
            for (Map.Entry<String, String> w : workloads.entrySet()) {
                ObjectNode entry = results.putObject(w.getKey());
                ArrayNode times = entry.putArray("times_ms");
                try {
                    ArrayNode warmTimes = entry.putArray("warmup_ms");
                    long warmStart = System.nanoTime();
                    while (warmTimes.size() < warmup
                            || System.nanoTime() - warmStart < warmupSeconds * 1e9) {
                        long t0 = System.nanoTime();
                        s.execute(w.getValue());
                        warmTimes.add(ms(System.nanoTime() - t0));
                    }
                    String output = null;
                    for (int i = 0; i < reps; i++) {
                        long t0 = System.nanoTime();
                        ExecutionResult r = s.execute(w.getValue());
                        times.add(ms(System.nanoTime() - t0));
                        output = r.stdout().strip();
                    }
                    entry.put("output", output);
                    log("  %-16s %.1f ms", w.getKey(), median(times));
                } catch (RuntimeException e) {
                    entry.put("error", e.toString());
                    log("  %-16s %s", w.getKey(), e);
                }
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(out, root);
        System.exit(0);
    }

    /**
     * Builds a sandbox and runs print('ready'); milliseconds until the listener sees the output.
     */
    static double firstOutput(ResourceLimits limits) {
        AtomicLong seen = new AtomicLong();
        long t0 = System.nanoTime();
        try (Sandbox s =
                Sandbox.builder()
                        .resourceLimits(limits)
                        .stdout(text -> seen.compareAndSet(0, System.nanoTime()))
                        .build()) {
            ExecutionResult r = s.execute("print('ready')");
            if (!r.stdout().strip().equals("ready")) {
                throw new IllegalStateException("unexpected output: " + r.stdout());
            }
        }
        return ms(seen.get() - t0);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static double median(ArrayNode values) {
        double[] xs = new double[values.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = values.get(i).asDouble();
        }
        Arrays.sort(xs);
        return xs[xs.length / 2];
    }

    private static void log(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
