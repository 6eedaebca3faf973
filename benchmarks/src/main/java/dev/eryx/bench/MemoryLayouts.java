package dev.eryx.bench;

import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.engine.MemoryOptions;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Guest memory layouts side by side in one JVM (docs/performance.md, "Guest memory"): Chicory's
 * ByteArrayMemory against {@code PagedMemory} with 4, 16 and 64 KiB pages, and 16 KiB pages with a
 * zero journal budget (copy-on-write but no per-execution copies: isolates the journal's cost).
 *
 * <p>Every variant keeps one warm sandbox per workload; rounds interleave the variants, so a burst
 * of load on the shared machine hits them alike. Medians per variant, and each variant's median
 * relative to ByteArrayMemory's. Also: restore time, {@code print(1)} per execution, and the heap
 * held by N live sandboxes restored from one image after one {@code print(1)} each.
 *
 * <p>usage: MemoryLayouts [rounds] [workloads,comma,separated] [liveSandboxes]
 */
public final class MemoryLayouts {
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofMinutes(10))
                    .maxMemoryBytes(1L << 30)
                    .build();

    private static final class Variant {
        final String name;
        final MemoryOptions options;
        final InterpreterState image;

        Variant(String name, MemoryOptions options, InterpreterState image) {
            this.name = name;
            this.options = options;
            this.image = image;
        }

        SandboxRuntime start() {
            return SandboxRuntime.start(
                    SandboxSpec.builder()
                            .image(image)
                            .limits(LIMITS)
                            .memoryOptions(options)
                            .build());
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Map<String, String> workloads =
                Workloads.select(args.length > 1 && !args[1].equals("-") ? args[1] : null);
        int live = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        InterpreterState image = DefaultImage.get();
        List<Variant> variants =
                List.of(
                        new Variant(
                                "ByteArrayMemory",
                                MemoryOptions.builder().chicoryByteArray(true).build(),
                                image),
                        new Variant(
                                "paged 4 KiB",
                                MemoryOptions.builder().pageShift(12).build(),
                                image.withPageShift(12)),
                        new Variant(
                                "paged 16 KiB",
                                MemoryOptions.builder().pageShift(14).build(),
                                image.withPageShift(14)),
                        new Variant(
                                "paged 64 KiB",
                                MemoryOptions.builder().pageShift(16).build(),
                                image.withPageShift(16)),
                        new Variant(
                                "paged 16 KiB, no journal",
                                MemoryOptions.builder().pageShift(14).maxJournalBytes(0).build(),
                                image.withPageShift(14)));

        System.out.println("## load at start: " + loadAverage());
        restoreAndTrivial(variants, rounds);
        workloads(variants, workloads, rounds);
        for (Variant v : List.of(variants.get(0), variants.get(2))) {
            liveSandboxes(v, live);
        }
        System.out.println("## load at end: " + loadAverage());
        System.exit(0);
    }

    private static void restoreAndTrivial(List<Variant> variants, int rounds) throws Exception {
        Map<String, List<Double>> restore = new LinkedHashMap<>();
        Map<String, List<Double>> trivial = new LinkedHashMap<>();
        Map<String, SandboxRuntime> warm = new LinkedHashMap<>();
        for (Variant v : variants) {
            SandboxRuntime r = v.start();
            for (int i = 0; i < 200; i++) {
                r.submit("print(1)", LIMITS).get();
            }
            warm.put(v.name, r);
        }
        // Restores in a loop of their own: a restore's garbage must not land in a print's timing.
        for (int round = 0; round < rounds * 5; round++) {
            for (Variant v : variants) {
                long t0 = System.nanoTime();
                SandboxRuntime fresh = v.start();
                restore.computeIfAbsent(v.name, k -> new ArrayList<>())
                        .add(ms(System.nanoTime() - t0));
                fresh.close();
            }
        }
        System.gc();
        for (int round = 0; round < rounds * 20; round++) {
            for (Variant v : variants) {
                SandboxRuntime r = warm.get(v.name);
                long t0 = System.nanoTime();
                r.submit("print(1)", LIMITS).get();
                trivial.computeIfAbsent(v.name, k -> new ArrayList<>())
                        .add(ms(System.nanoTime() - t0));
            }
        }
        warm.values().forEach(SandboxRuntime::close);
        System.out.println(
                "\n| variant | restore (build) median ms | warm `print(1)` median ms | ratio to ByteArrayMemory |");
        System.out.println("|---|---|---|---|");
        double base = median(trivial.get(variants.get(0).name));
        for (Variant v : variants) {
            double t = median(trivial.get(v.name));
            System.out.printf(
                    "| %s | %.2f | %.3f | %.2f |%n",
                    v.name, median(restore.get(v.name)), t, t / base);
        }
    }

    private static void workloads(List<Variant> variants, Map<String, String> workloads, int rounds)
            throws Exception {
        System.out.println(
                "\n| workload | "
                        + String.join(
                                " | ", variants.stream().map(v -> v.name).toArray(String[]::new))
                        + " |");
        System.out.println("|---" + "|---".repeat(variants.size()) + "|");
        for (Map.Entry<String, String> w : workloads.entrySet()) {
            Map<String, SandboxRuntime> sandboxes = new LinkedHashMap<>();
            Map<String, List<Double>> times = new LinkedHashMap<>();
            for (Variant v : variants) {
                SandboxRuntime r = v.start();
                sandboxes.put(v.name, r);
            }
            // Warm-up, interleaved too, so every variant's guest code is compiled alike.
            for (int i = 0; i < 3; i++) {
                for (Variant v : variants) {
                    sandboxes.get(v.name).submit(w.getValue(), LIMITS).get();
                }
            }
            for (int round = 0; round < rounds; round++) {
                for (Variant v : variants) {
                    long t0 = System.nanoTime();
                    ExecutionResult r = sandboxes.get(v.name).submit(w.getValue(), LIMITS).get();
                    times.computeIfAbsent(v.name, k -> new ArrayList<>())
                            .add(ms(System.nanoTime() - t0));
                    if (r.stdout().isEmpty()) {
                        throw new IllegalStateException(w.getKey() + " printed nothing");
                    }
                }
            }
            sandboxes.values().forEach(SandboxRuntime::close);
            double base = median(times.get(variants.get(0).name));
            StringBuilder row =
                    new StringBuilder("| " + w.getKey() + " | " + String.format("%.1f ms", base));
            for (Variant v : variants.subList(1, variants.size())) {
                double t = median(times.get(v.name));
                row.append(String.format(" | %.1f ms (%.2fx)", t, t / base));
            }
            System.out.println(row + " |");
        }
    }

    private static void liveSandboxes(Variant v, int count) throws Exception {
        long before = usedAfterGc();
        List<SandboxRuntime> held = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            SandboxRuntime r = v.start();
            r.submit("print(1)", LIMITS).get();
            held.add(r);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long after = usedAfterGc();
        System.out.printf(
                "%n%s: %d live sandboxes (restored, one print(1) each) hold %.1f MiB of heap"
                        + " (%.2f MiB each); created in %.1f s%n",
                v.name,
                count,
                (after - before) / 1048576.0,
                (after - before) / 1048576.0 / count,
                seconds);
        held.forEach(SandboxRuntime::close);
    }

    private static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static String loadAverage() {
        return String.format(
                "%.2f",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double median(List<Double> values) {
        double[] xs = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(xs);
        return xs.length % 2 == 1
                ? xs[xs.length / 2]
                : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
    }
}
