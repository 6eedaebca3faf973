package dev.eryx.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Guest memory layouts A/B in one JVM (docs/performance.md, "Round 2 (issue 19)", lever 3), the
 * {@link AbRunner} way: every layout gets a class loader of its own, so Chicory's memory call sites
 * see one memory class each and are profiled and inlined as in production (with several layouts in
 * one loader, as {@link MemoryLayouts} runs them, those call sites turn megamorphic and every
 * layout pays for it). Rounds alternate A B B A; reported are medians, paired ratios and
 * process-CPU ratios, plus restore, reset, rollback after a hard stop and the heap held by live
 * sandboxes.
 *
 * <p>usage: MemoryAb warmupSeconds rounds workloads|all sections layout,layout,... <br>
 * layouts: {@code paged}, {@code bytearray}, each optionally {@code @core.jar} to take eryx-core
 * from that jar instead; the first is the baseline. sections: {@code
 * suite,trivial,restore,reset,stop,live} (comma-separated) or {@code all}. <br>
 * Also: {@code MemoryAb rss layout count}: resident memory of this JVM before and after {@code
 * count} live sandboxes of one layout (one JVM per layout, so the heap's growth is the layout's).
 */
public final class MemoryAb {
    private MemoryAb() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("rss")) {
            rss(args[1], Integer.parseInt(args[2]));
            return;
        }
        if (args.length != 5) {
            System.err.println(
                    "usage: MemoryAb warmupSeconds rounds workloads|all sections layouts\n"
                            + "       MemoryAb rss layout count");
            System.exit(2);
        }
        double warmupSeconds = Double.parseDouble(args[0]);
        int rounds = Integer.parseInt(args[1]);
        Map<String, String> workloads = Workloads.select(args[2].equals("all") ? null : args[2]);
        String sections = args[3];
        List<String> names = List.of(args[4].split(","));
        List<Function<String[], Object[]>> probes = new ArrayList<>();
        for (String name : names) {
            probes.add(newProbe(name));
        }
        System.out.printf(
                Locale.ROOT,
                "java %s, load before: %s, warm-up %.0f s per workload and layout, %d rounds%n%n",
                System.getProperty("java.version"),
                loadAverage(),
                warmupSeconds,
                rounds);
        if (has(sections, "suite")) {
            suite(names, probes, workloads, warmupSeconds, rounds);
        }
        if (has(sections, "trivial")) {
            // 20 executions of print(1) per sample: one is below the CPU clock's resolution.
            Map<String, String> trivial = Map.of("20 x print(1)", "print(1)");
            suite(names, probes, trivial, warmupSeconds, rounds * 3);
        }
        if (has(sections, "restore")) {
            timed(names, probes, "restore from the image (start + close)", rounds * 5, "restore");
        }
        if (has(sections, "reset")) {
            timed(names, probes, "reset in place after print(1)", rounds * 3, "reset", "print(1)");
            timed(
                    names,
                    probes,
                    "first print(1) after that reset",
                    rounds * 3,
                    "reset-next",
                    "print(1)");
            timed(
                    names,
                    probes,
                    "reset in place after agent_step",
                    rounds,
                    "reset",
                    Workloads.source("agent_step"));
        }
        if (has(sections, "stop")) {
            timed(names, probes, "hard stop → exception (rollback included)", rounds, "stop");
        }
        if (has(sections, "live")) {
            System.out.println(
                    "\n| layout | 100 live sandboxes, one print(1) each: heap after GC |");
            System.out.println("|---|---:|");
            for (int v = 0; v < names.size(); v++) {
                Object[] r = probes.get(v).apply(new String[] {"live", "100"});
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %.0f MiB (%.2f MiB each), created in %.1f s |%n",
                        names.get(v),
                        (Long) r[0] / 1048576.0,
                        (Long) r[0] / 1048576.0 / 100,
                        (Long) r[1] / 1e9);
            }
        }
        System.out.println("\nload after: " + loadAverage());
        System.exit(0);
    }

    private static boolean has(String sections, String name) {
        return sections.equals("all") || Arrays.asList(sections.split(",")).contains(name);
    }

    /** Workloads on one warm sandbox per layout, A B B A, as {@link AbRunner} does. */
    private static void suite(
            List<String> names,
            List<Function<String[], Object[]>> probes,
            Map<String, String> workloads,
            double warmupSeconds,
            int rounds) {
        int n = names.size();
        StringBuilder head = new StringBuilder("| workload |");
        for (String name : names) head.append(' ').append(name).append(" ms |");
        for (int v = 1; v < n; v++)
            head.append(' ').append(names.get(v)).append(" ÷ ").append(names.get(0)).append(" |");
        for (int v = 1; v < n; v++)
            head.append(" cpu ")
                    .append(names.get(v))
                    .append(" ÷ ")
                    .append(names.get(0))
                    .append(" |");
        System.out.println(head);
        System.out.println("|---|" + "---:|".repeat(n + 2 * (n - 1)));
        double[] logRatio = new double[n];
        double[] logCpu = new double[n];
        for (Map.Entry<String, String> w : workloads.entrySet()) {
            String[] exec = {"exec", w.getValue(), w.getKey().startsWith("20 x") ? "20" : "1"};
            long warmStart = System.nanoTime();
            int warmRuns = 0;
            while (warmRuns < 2 || System.nanoTime() - warmStart < warmupSeconds * 1e9 * n) {
                for (int v = 0; v < n; v++) probes.get(v).apply(exec);
                warmRuns++;
            }
            double[][] times = new double[n][rounds];
            double[][] cpu = new double[n][rounds];
            String[] outputs = new String[n];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < n; k++) {
                    int v = r % 2 == 0 ? k : n - 1 - k;
                    Object[] res = probes.get(v).apply(exec);
                    times[v][r] = (Long) res[0] / 1e6;
                    cpu[v][r] = (Long) res[1] / 1e6;
                    outputs[v] = (String) res[2];
                }
            }
            for (int v = 1; v < n; v++) {
                if (!outputs[v].equals(outputs[0])) {
                    throw new IllegalStateException(
                            w.getKey() + ": " + names.get(v) + " printed " + outputs[v]);
                }
            }
            StringBuilder row = new StringBuilder("| " + w.getKey() + " |");
            for (int v = 0; v < n; v++) {
                row.append(String.format(Locale.ROOT, " %.1f |", AbRunner.median(times[v])));
            }
            pairedRatios(row, times, logRatio);
            pairedRatios(row, cpu, logCpu);
            System.out.println(row);
        }
        if (workloads.size() > 1) {
            StringBuilder row = new StringBuilder("| **geomean** |" + " |".repeat(n));
            for (int v = 1; v < n; v++) {
                row.append(
                        String.format(
                                Locale.ROOT,
                                " **%.3f** |",
                                Math.exp(logRatio[v] / workloads.size())));
            }
            for (int v = 1; v < n; v++) {
                row.append(
                        String.format(
                                Locale.ROOT,
                                " **%.3f** |",
                                Math.exp(logCpu[v] / workloads.size())));
            }
            System.out.println(row);
        }
        System.out.println();
    }

    private static void pairedRatios(StringBuilder row, double[][] samples, double[] logSums) {
        for (int v = 1; v < samples.length; v++) {
            double[] ratios = new double[samples[v].length];
            for (int r = 0; r < ratios.length; r++) ratios[r] = samples[v][r] / samples[0][r];
            double ratio = AbRunner.median(ratios);
            logSums[v] += Math.log(ratio);
            row.append(String.format(Locale.ROOT, " %.3f |", ratio));
        }
    }

    /** One operation timed in every layout, A B B A; medians and p10–p90 in ms. */
    private static void timed(
            List<String> names,
            List<Function<String[], Object[]>> probes,
            String what,
            int rounds,
            String... op) {
        int n = names.size();
        double[][] ms = new double[n][rounds];
        for (int r = -2; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int v = Math.floorMod(r, 2) == 0 ? k : n - 1 - k;
                double t = (Long) probes.get(v).apply(op)[0] / 1e6;
                if (r >= 0) ms[v][r] = t;
            }
        }
        StringBuilder row = new StringBuilder("| " + what + " |");
        for (int v = 0; v < n; v++) {
            if (ms[v][0] < 0) {
                row.append(' ').append(names.get(v)).append(" n/a |");
                continue;
            }
            double[] xs = ms[v].clone();
            Arrays.sort(xs);
            row.append(
                    String.format(
                            Locale.ROOT,
                            " %s %.2f (%.2f–%.2f) |",
                            names.get(v),
                            AbRunner.median(xs),
                            xs[(int) (xs.length * 0.1)],
                            xs[Math.min(xs.length - 1, (int) (xs.length * 0.9))]));
        }
        System.out.println(row);
    }

    private static void rss(String layout, int count) throws Exception {
        Function<String[], Object[]> probe = newProbe(layout);
        probe.apply(new String[] {"exec", "print(1)", "1"});
        long before = residentKiB();
        Object[] r = probe.apply(new String[] {"live", Integer.toString(count), "keep"});
        long after = residentKiB();
        System.out.printf(
                Locale.ROOT,
                "%s: %d live sandboxes: heap after GC +%.0f MiB, RSS %.0f → %.0f MiB (+%.0f MiB),"
                        + " created in %.1f s, load %s%n",
                layout,
                count,
                (Long) r[0] / 1048576.0,
                before / 1024.0,
                after / 1024.0,
                (after - before) / 1024.0,
                (Long) r[1] / 1e9,
                loadAverage());
        System.exit(0);
    }

    private static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(new File("/proc/self/status").toPath())) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    private static Function<String[], Object[]> newProbe(String variant) throws Exception {
        // layout@core.jar: the layout from another build of eryx-core (e.g. before a change).
        int at = variant.indexOf('@');
        String layout = at < 0 ? variant : variant.substring(0, at);
        String core = at < 0 ? null : variant.substring(at + 1);
        if (core != null && !new File(core).isFile()) {
            throw new IllegalArgumentException("no such eryx-core jar: " + core);
        }
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) continue;
            if (core != null && new File(entry).getName().startsWith("eryx-core-")) {
                entry = core;
            }
            try {
                urls.add(new File(entry).toURI().toURL());
            } catch (MalformedURLException e) {
                throw new UncheckedIOException(e);
            }
        }
        ClassLoader loader =
                new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        return (Function<String[], Object[]>)
                loader.loadClass(Probe.class.getName())
                        .getDeclaredConstructor(String.class)
                        .newInstance(layout);
    }

    private static String loadAverage() {
        try {
            return Files.readString(new File("/proc/loadavg").toPath()).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Lives in a layout's class loader; only JDK types cross. Operations: {@code exec code times} →
     * {nanos, process cpu nanos, stdout}; {@code restore}; {@code reset code}; {@code reset-next
     * code}; {@code stop}; {@code live count [keep]} → {heap bytes, nanos}.
     */
    public static final class Probe implements Function<String[], Object[]> {
        private static final dev.eryx.ResourceLimits LIMITS =
                dev.eryx.ResourceLimits.builder()
                        .executionTimeout(java.time.Duration.ofMinutes(10))
                        .maxMemoryBytes(1L << 30)
                        .build();

        /** Leaves freed memory behind, so the stopped loop rewrites pages the sandbox owns. */
        private static final String CHURN =
                "junk = [str(i) * 4 for i in range(400_000)]\ndel junk\n";

        private static final String HARD_STOPPED =
                "d = {}\nfor i in range(100_000_000):\n    d[i] = str(i) * 3\n";

        private final dev.eryx.internal.engine.MemoryOptions options;
        private final dev.eryx.internal.engine.InterpreterState image =
                dev.eryx.internal.execution.DefaultImage.get();
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        private final dev.eryx.internal.execution.SandboxRuntime warm;
        private dev.eryx.internal.execution.SandboxRuntime resettable;
        private dev.eryx.internal.execution.SandboxRuntime stoppable;
        private dev.eryx.ResourceLimits stopAt;
        private final List<dev.eryx.internal.execution.SandboxRuntime> kept = new ArrayList<>();

        public Probe(String layout) {
            dev.eryx.internal.engine.MemoryOptions.Builder b =
                    dev.eryx.internal.engine.MemoryOptions.builder();
            switch (layout) {
                case "paged":
                    break;
                case "bytearray":
                    b.chicoryByteArray(true);
                    break;
                default:
                    throw new IllegalArgumentException("layouts are paged, bytearray: " + layout);
            }
            options = b.build();
            warm = start();
        }

        private dev.eryx.internal.execution.SandboxRuntime start() {
            return dev.eryx.internal.execution.SandboxRuntime.start(
                    dev.eryx.internal.execution.SandboxSpec.builder()
                            .image(image)
                            .limits(LIMITS)
                            .memoryOptions(options)
                            .build());
        }

        private static dev.eryx.ExecutionResult run(
                dev.eryx.internal.execution.SandboxRuntime r,
                String code,
                dev.eryx.ResourceLimits limits) {
            try {
                return r.submit(code, limits).get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Object[] apply(String[] op) {
            try {
                switch (op[0]) {
                    case "exec":
                        {
                            int times = Integer.parseInt(op[2]);
                            long cpu0 = os.getProcessCpuTime();
                            long t0 = System.nanoTime();
                            dev.eryx.ExecutionResult r = null;
                            for (int i = 0; i < times; i++) r = run(warm, op[1], LIMITS);
                            long nanos = System.nanoTime() - t0;
                            long cpu = os.getProcessCpuTime() - cpu0;
                            return new Object[] {nanos, cpu, r.stdout().strip()};
                        }
                    case "restore":
                        {
                            long t0 = System.nanoTime();
                            start().close();
                            return new Object[] {System.nanoTime() - t0};
                        }
                    case "reset":
                    case "reset-next":
                        {
                            if (options.chicoryByteArray()) return new Object[] {-1L};
                            if (resettable == null) resettable = start();
                            run(resettable, op[1], LIMITS);
                            long t0 = System.nanoTime();
                            if (!resettable.reset()) throw new IllegalStateException("no reset");
                            long reset = System.nanoTime() - t0;
                            if (op[0].equals("reset")) return new Object[] {reset};
                            t0 = System.nanoTime();
                            run(resettable, "print(1)", LIMITS);
                            return new Object[] {System.nanoTime() - t0};
                        }
                    case "stop":
                        // ByteArrayMemory has no journal: a stop poisons the sandbox.
                        return new Object[] {options.chicoryByteArray() ? -1L : stop()};
                    case "live":
                        return live(Integer.parseInt(op[1]), op.length > 2);
                    default:
                        throw new IllegalArgumentException(op[0]);
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Stop → exception of a loop stopped by fuel, rollback included (in nanos). */
        private long stop() {
            if (stoppable == null) {
                stoppable = start();
                run(stoppable, CHURN, LIMITS);
                long fuel =
                        run(stoppable, HARD_STOPPED.replace("100_000_000", "150_000"), LIMITS)
                                .stats()
                                .fuelConsumed();
                stopAt = LIMITS.toBuilder().maxFuel(fuel).build();
                run(stoppable, "del d", LIMITS);
            }
            long t0 = System.nanoTime();
            double partialMs;
            try {
                run(stoppable, HARD_STOPPED, stopAt);
                throw new IllegalStateException("the loop finished within its fuel");
            } catch (IllegalStateException e) {
                if (!(e.getCause() instanceof java.util.concurrent.ExecutionException
                        || e.getCause() instanceof dev.eryx.FuelExhaustedException)) {
                    throw e;
                }
                Throwable cause = e.getCause();
                while (cause != null && !(cause instanceof dev.eryx.FuelExhaustedException)) {
                    cause = cause.getCause();
                }
                if (cause == null) throw e;
                partialMs =
                        ((dev.eryx.FuelExhaustedException) cause)
                                        .partialResult()
                                        .duration()
                                        .toNanos()
                                / 1e6;
            }
            long wall = System.nanoTime() - t0;
            String after = run(stoppable, "print('d' in globals())", LIMITS).stdout();
            if (!after.equals("False\n")) {
                throw new IllegalStateException("not rolled back: " + after);
            }
            return wall - (long) (partialMs * 1e6);
        }

        private Object[] live(int count, boolean keep) throws InterruptedException {
            long before = usedAfterGc();
            List<dev.eryx.internal.execution.SandboxRuntime> held = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                dev.eryx.internal.execution.SandboxRuntime r = start();
                run(r, "print(1)", LIMITS);
                held.add(r);
            }
            long nanos = System.nanoTime() - t0;
            long after = usedAfterGc();
            if (keep) {
                kept.addAll(held);
            } else {
                held.forEach(dev.eryx.internal.execution.SandboxRuntime::close);
            }
            return new Object[] {after - before, nanos};
        }

        private static long usedAfterGc() throws InterruptedException {
            Runtime rt = Runtime.getRuntime();
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            return rt.totalMemory() - rt.freeMemory();
        }
    }
}
