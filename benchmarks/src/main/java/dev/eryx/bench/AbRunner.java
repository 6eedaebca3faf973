package dev.eryx.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Side-by-side comparison of builds of {@code eryx-wasm-assets} (e.g. python.wasm with and without
 * fuel instrumentation) in one JVM, so that every variant sees the same machine load.
 *
 * <p>The machine this project runs on is shared and noisy: two JVMs run one after the other can
 * differ by 2x for reasons that have nothing to do with the change under test. Here each variant
 * gets its own class loader (the AOT-compiled module has the same class name in every build), one
 * warm sandbox, and the executions alternate A, B, B, A, ... so load drift hits both equally.
 * Reported per workload: each variant's median, the median of the per-round paired ratios, and the
 * geometric mean of those over the workloads; the same ratios of process CPU time.
 *
 * <p>usage: AbRunner OUT.md warmupSeconds rounds all|name,...|file.py,... NAME=assets.jar
 * NAME=assets.jar ... <br>
 * The class path of this JVM must hold the benchmarks jar and every dependency except the
 * wasm-assets jar, which comes from each variant.
 */
public final class AbRunner {

    private AbRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println(
                    "usage: AbRunner OUT.md warmupSeconds rounds workloads|all NAME=assets.jar NAME=assets.jar...");
            System.exit(2);
        }
        File out = new File(args[0]);
        double warmupSeconds = Double.parseDouble(args[1]);
        int rounds = Integer.parseInt(args[2]);
        Map<String, String> workloads = selectWorkloads(args[3]);
        List<String> names = new ArrayList<>();
        List<Function<String, long[]>> probes = new ArrayList<>();
        URL[] common = commonClassPath();
        for (int i = 4; i < args.length; i++) {
            String[] nameJar = args[i].split("=", 2);
            if (nameJar.length != 2 || !new File(nameJar[1]).isFile()) {
                throw new IllegalArgumentException("expected NAME=assets.jar, got " + args[i]);
            }
            names.add(nameJar[0]);
            probes.add(newProbe(common, new File(nameJar[1])));
        }
        int n = names.size();

        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.ROOT,
                        "java %s, load before: %s, warm-up %.0f s per workload, %d rounds%n%n",
                        System.getProperty("java.version"),
                        loadAverage(),
                        warmupSeconds,
                        rounds));
        md.append("| workload |");
        for (String name : names) md.append(' ').append(name).append(" ms |");
        for (int v = 1; v < n; v++)
            md.append(' ').append(names.get(v)).append(" ÷ ").append(names.get(0)).append(" |");
        for (int v = 1; v < n; v++)
            md.append(" cpu ").append(names.get(v)).append(" ÷ ").append(names.get(0)).append(" |");
        md.append(" fuel per run |\n|---|");
        md.append("---:|".repeat(n + 2 * (n - 1) + 1)).append('\n');
        double[] logRatioSums = new double[n];
        double[] logCpuRatioSums = new double[n];

        for (Map.Entry<String, String> w : workloads.entrySet()) {
            String code = w.getValue();
            String[] outputs = new String[n];
            long[] fuel = new long[n];
            long warmStart = System.nanoTime();
            int warmRuns = 0;
            int minWarmRuns = warmupSeconds > 0 ? 2 : 0;
            while (warmRuns < minWarmRuns
                    || System.nanoTime() - warmStart < warmupSeconds * 1e9 * n) {
                for (int v = 0; v < n; v++) probes.get(v).apply(code);
                warmRuns++;
            }
            double[][] times = new double[n][rounds];
            double[][] cpu = new double[n][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < n; k++) {
                    int v = r % 2 == 0 ? k : n - 1 - k; // ABBA: no variant always runs first
                    long[] res = probes.get(v).apply(code);
                    times[v][r] = res[0] / 1e6;
                    fuel[v] = res[1];
                    cpu[v][r] = res[2] / 1e6;
                    outputs[v] = lastOutput;
                }
            }
            for (int v = 1; v < n; v++) {
                if (!outputs[v].equals(outputs[0])) {
                    throw new IllegalStateException(
                            w.getKey()
                                    + ": "
                                    + names.get(v)
                                    + " printed "
                                    + outputs[v]
                                    + " but "
                                    + names.get(0)
                                    + " printed "
                                    + outputs[0]);
                }
            }
            md.append("| ").append(w.getKey()).append(" |");
            for (int v = 0; v < n; v++) {
                md.append(String.format(Locale.ROOT, " %.1f |", median(times[v])));
            }
            appendPairedRatios(md, times, logRatioSums);
            appendPairedRatios(md, cpu, logCpuRatioSums);
            md.append(' ').append(Arrays.toString(fuel).replace(", ", " / ")).append(" |\n");
            System.err.print(md.substring(md.lastIndexOf("| " + w.getKey())));
        }
        md.append("| **geomean** |").append(" |".repeat(n));
        for (int v = 1; v < n; v++) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            " **%.3f** |",
                            Math.exp(logRatioSums[v] / workloads.size())));
        }
        for (int v = 1; v < n; v++) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            " **%.3f** |",
                            Math.exp(logCpuRatioSums[v] / workloads.size())));
        }
        md.append(" |\n\nload after: ").append(loadAverage()).append('\n');
        Files.writeString(out.toPath(), md.toString(), StandardCharsets.UTF_8);
        System.out.print(md);
        System.exit(0);
    }

    /**
     * Appends, for every variant but the first, the median over rounds of its time divided by the
     * first variant's time in the same round, and adds its logarithm to {@code logSums}.
     */
    private static void appendPairedRatios(StringBuilder md, double[][] samples, double[] logSums) {
        for (int v = 1; v < samples.length; v++) {
            double[] ratios = new double[samples[v].length];
            for (int r = 0; r < ratios.length; r++) ratios[r] = samples[v][r] / samples[0][r];
            double ratio = median(ratios);
            logSums[v] += Math.log(ratio);
            md.append(String.format(Locale.ROOT, " %.3f |", ratio));
        }
    }

    /** "all", suite names (comma-separated), or paths of .py files (for one-off programs). */
    private static Map<String, String> selectWorkloads(String spec) throws IOException {
        if (spec.equals("all")) return Workloads.select(null);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String name : spec.split(",")) {
            if (name.endsWith(".py")) {
                out.put(
                        new File(name).getName(),
                        Files.readString(new File(name).toPath(), StandardCharsets.UTF_8));
            } else {
                out.putAll(Workloads.select(name));
            }
        }
        return out;
    }

    /** Set by the last probe call on this thread; the probes run one at a time. */
    private static String lastOutput = "";

    @SuppressWarnings("unchecked")
    private static Function<String, long[]> newProbe(URL[] common, File assetsJar)
            throws Exception {
        URL[] urls = Arrays.copyOf(common, common.length + 1);
        urls[common.length] = assetsJar.toURI().toURL();
        ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        Function<String, Object[]> probe =
                (Function<String, Object[]>)
                        loader.loadClass(Probe.class.getName())
                                .getDeclaredConstructor()
                                .newInstance();
        return code -> {
            Object[] r = probe.apply(code);
            lastOutput = (String) r[2];
            return new long[] {(Long) r[0], (Long) r[1], (Long) r[3]};
        };
    }

    /** This JVM's class path minus any wasm-assets jar. */
    static URL[] commonClassPath() {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty() || new File(entry).getName().startsWith("eryx-wasm-assets"))
                continue;
            try {
                urls.add(new File(entry).toURI().toURL());
            } catch (MalformedURLException e) {
                throw new UncheckedIOException(e);
            }
        }
        return urls.toArray(new URL[0]);
    }

    private static String loadAverage() {
        try {
            return Files.readString(new File("/proc/loadavg").toPath()).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static double median(double[] values) {
        double[] xs = values.clone();
        Arrays.sort(xs);
        int m = xs.length / 2;
        return xs.length % 2 == 1 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
    }

    /**
     * Lives in a variant's class loader: one warm sandbox; returns {nanos, fuel consumed, stdout}.
     * Only JDK types cross the loader boundary.
     */
    public static final class Probe implements Function<String, Object[]> {
        private final dev.eryx.Sandbox sandbox =
                dev.eryx.Sandbox.builder()
                        .resourceLimits(
                                dev.eryx.ResourceLimits.builder()
                                        .executionTimeout(java.time.Duration.ofMinutes(10))
                                        .maxMemoryBytes(1L << 30)
                                        .build())
                        .build();

        /**
         * CPU time of the whole process (the guest runs on a thread of the sandbox's own): on a
         * shared machine it moves less with other people's load than wall time does, but it also
         * counts JIT compiler and GC threads.
         */
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean();

        @Override
        public Object[] apply(String code) {
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            dev.eryx.ExecutionResult r = sandbox.execute(code);
            long nanos = System.nanoTime() - t0;
            long cpu = os.getProcessCpuTime() - cpu0;
            return new Object[] {nanos, r.stats().fuelConsumed(), r.stdout().strip(), cpu};
        }
    }
}
