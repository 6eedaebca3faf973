package dev.eryx.bench;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Profiles warm suite workloads with async-profiler, one window per workload and event, so the
 * profile holds only steady-state execution (no boot, no warm-up compilation of other workloads).
 *
 * <p>usage: ProfileRunner OUTDIR warmupSeconds profileSeconds all|name,... LIBASYNCPROFILER.so <br>
 * The profiler's Java API ({@code one.profiler.AsyncProfiler}, from the same jar as the library)
 * must be on the class path; it is called reflectively so the module does not depend on it. Writes
 * {@code NAME.cpu.collapsed}, {@code NAME.wall.collapsed} (collapsed stacks with thread names and
 * {@code ann} frame types) and {@code NAME.json} (execution count and median ms in each window) to
 * OUTDIR. benchmarks/profile.sh drives it and turns the files into the table of docs/performance.md
 * ("Lever 1").
 */
public final class ProfileRunner {

    private ProfileRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println(
                    "usage: ProfileRunner OUTDIR warmupSeconds profileSeconds all|name,... libasyncProfiler.so");
            System.exit(2);
        }
        File outDir = new File(args[0]);
        double warmupSeconds = Double.parseDouble(args[1]);
        double profileSeconds = Double.parseDouble(args[2]);
        Map<String, String> workloads = Workloads.select(args[3].equals("all") ? null : args[3]);
        File lib = new File(args[4]);
        if (!lib.isFile()) throw new IllegalArgumentException("no profiler library at " + lib);
        if (!outDir.isDirectory() && !outDir.mkdirs())
            throw new IllegalArgumentException("cannot create " + outDir);

        Class<?> profilerClass = Class.forName("one.profiler.AsyncProfiler");
        Object profiler =
                profilerClass
                        .getMethod("getInstance", String.class)
                        .invoke(null, lib.getAbsolutePath());
        Method execute = profilerClass.getMethod("execute", String.class);

        dev.eryx.Sandbox sandbox =
                dev.eryx.Sandbox.builder()
                        .resourceLimits(
                                dev.eryx.ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .maxMemoryBytes(1L << 30)
                                        .build())
                        .build();
        for (Map.Entry<String, String> w : workloads.entrySet()) {
            String name = w.getKey();
            String code = w.getValue();
            runFor(sandbox, code, warmupSeconds, 3);
            StringBuilder json = new StringBuilder("{\"workload\":\"" + name + "\"");
            // cpu: on-CPU samples of every thread (guest, JIT compilers, GC); wall: every thread
            // whatever its state, which shows the guest thread's waits too.
            for (String event : new String[] {"cpu", "wall"}) {
                File out = new File(outDir, name + "." + event + ".collapsed");
                execute.invoke(profiler, "start,threads,event=" + event + ",interval=2ms");
                List<Double> times = runFor(sandbox, code, profileSeconds, 3);
                execute.invoke(
                        profiler, "stop,collapsed,threads,ann,file=" + out.getAbsolutePath());
                json.append(
                        String.format(
                                Locale.ROOT,
                                ",\"%s_runs\":%d,\"%s_median_ms\":%.2f",
                                event,
                                times.size(),
                                event,
                                median(times)));
            }
            json.append(",\"java\":\"").append(System.getProperty("java.version")).append("\"}");
            Files.writeString(
                    new File(outDir, name + ".json").toPath(),
                    json.toString(),
                    StandardCharsets.UTF_8);
            System.err.println("  " + name + " " + json);
        }
        sandbox.close();
    }

    /** Runs {@code code} until {@code seconds} have passed and at least {@code minRuns} times. */
    private static List<Double> runFor(
            dev.eryx.Sandbox sandbox, String code, double seconds, int minRuns) {
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        while (times.size() < minRuns || System.nanoTime() - start < seconds * 1e9) {
            long t0 = System.nanoTime();
            dev.eryx.ExecutionResult r = sandbox.execute(code);
            times.add((System.nanoTime() - t0) / 1e6);
            if (!r.stdout().contains("checksum")) {
                throw new IllegalStateException("workload printed no checksum: " + r);
            }
        }
        return times;
    }

    private static double median(List<Double> values) {
        double[] xs = values.stream().mapToDouble(Double::doubleValue).toArray();
        return AbRunner.median(xs);
    }
}
