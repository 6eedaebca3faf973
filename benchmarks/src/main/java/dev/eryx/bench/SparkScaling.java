package dev.eryx.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.OperatingSystemMXBean;
import dev.eryx.Callback;
import dev.eryx.EryxException;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import dev.eryx.spark.PythonEvaluation;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What Spark costs on one machine, and how a job scales from {@code local[1]} to {@code local[2]}
 * (docs/scale-out.md "Measured"): the same rows, each a candidate program and a test that reports
 * through a host callback, evaluated by {@link PythonEvaluation} in Spark local mode and by {@code
 * N} threads sharing one {@link SandboxPool} of {@code N} sandboxes directly, in one JVM, the
 * variants alternated pool, Spark, Spark, pool per round so that the machine's load drift hits
 * both.
 *
 * <p>usage: {@code java <Spark's add-opens> -cp <benchmarks class path> dev.eryx.bench.SparkScaling
 * [rows] [rounds] [OUT.md] [warm-up rows]} ({@code benchmarks/run.sh --spark}); defaults 2,000
 * rows, 1 round, a warm-up of every row once on each side.
 *
 * <p>The rows: 94% small functions with a test of five calls, 4% endless loops (end at their fuel),
 * 1% memory bombs, 1% {@code os._exit()}. The two sides differ only in what evaluates the rows: the
 * Spark side adds the job (tasks, row conversion, the test prelude with its nonce, the collect);
 * the direct side's test reports through a plain callback.
 */
public final class SparkScaling {
    /** The pass@k example's limits (examples' SparkPassAtK), on both sides. */
    private static final ResourceLimits LIMITS = PythonEvaluation.SHORT_FUNCTION_LIMITS;

    private static final StructType SCHEMA =
            new StructType()
                    .add("id", DataTypes.IntegerType, false)
                    .add("code", DataTypes.StringType, false)
                    .add("test", DataTypes.StringType, false);

    private SparkScaling() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        Path out = args.length > 2 ? Path.of(args[2]) : null;
        int warmupRows = args.length > 3 ? Integer.parseInt(args[3]) : rows;
        if (rows < 1 || rounds < 1 || warmupRows < 1 || warmupRows > rows) {
            throw new IllegalArgumentException(
                    "rows and rounds must be positive, warmupRows between 1 and rows");
        }
        List<String[]> programs = programs(rows);
        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.ROOT,
                        "## SparkScaling: %d rows, %d round(s) of pool, Spark, Spark, pool; java %s%n%n"
                                + "load average before: %s%n%n"
                                + "| slots | pool ms | Spark ms | pool rows/s | Spark rows/s |"
                                + " Spark ÷ pool (wall, median of rounds) | Spark ÷ pool (process CPU) |%n"
                                + "|---:|---:|---:|---:|---:|---:|---:|%n",
                        rows,
                        rounds,
                        System.getProperty("java.version"),
                        loadAverage()));
        double[][] medians = new double[3][];
        long expectedPasses = -1;
        for (int s = 1; s <= 2; s++) {
            int slots = s;
            SparkSession spark =
                    SparkSession.builder()
                            .master("local[" + slots + "]")
                            .appName("SparkScaling")
                            .config("spark.ui.enabled", "false")
                            .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            Map<Integer, Boolean> reports = new ConcurrentHashMap<>();
            try (SandboxPool pool = directPool(slots, reports)) {
                // Warm-up: both sides once (Spark's first job, the pools, the JIT: a tenth of the
                // rows left the first timed run 3.8 times slower than the last, docs/scale-out.md).
                List<String[]> warm = programs.subList(0, warmupRows);
                direct(pool, reports, slots, warm);
                spark(spark, warm);
                double[] poolWall = new double[rounds];
                double[] sparkWall = new double[rounds];
                double[] ratios = new double[rounds];
                double[] cpuRatios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    long[] a1 = timed(() -> direct(pool, reports, slots, programs));
                    long[] b1 = timed(() -> spark(spark, programs));
                    long[] b2 = timed(() -> spark(spark, programs));
                    long[] a2 = timed(() -> direct(pool, reports, slots, programs));
                    for (long[] run : List.of(a1, b1, b2, a2)) {
                        // Every run does the same work: the same rows pass on both sides.
                        if (expectedPasses < 0) {
                            expectedPasses = run[2];
                        } else if (run[2] != expectedPasses) {
                            throw new IllegalStateException(
                                    run[2] + " rows passed, another run had " + expectedPasses);
                        }
                    }
                    poolWall[r] = (a1[0] + a2[0]) / 2e6;
                    sparkWall[r] = (b1[0] + b2[0]) / 2e6;
                    ratios[r] = (double) (b1[0] + b2[0]) / (a1[0] + a2[0]);
                    cpuRatios[r] = (double) (b1[1] + b2[1]) / (a1[1] + a2[1]);
                    System.err.printf(
                            Locale.ROOT,
                            "local[%d] round %d: pool %.0f / %.0f ms, Spark %.0f / %.0f ms, load %s%n",
                            slots,
                            r + 1,
                            a1[0] / 1e6,
                            a2[0] / 1e6,
                            b1[0] / 1e6,
                            b2[0] / 1e6,
                            loadAverage());
                }
                double poolMs = median(poolWall);
                double sparkMs = median(sparkWall);
                medians[slots] = new double[] {poolMs, sparkMs};
                md.append(
                        String.format(
                                Locale.ROOT,
                                "| %d | %.0f | %.0f | %.1f | %.1f | %.2f | %.2f |%n",
                                slots,
                                poolMs,
                                sparkMs,
                                rows / (poolMs / 1e3),
                                rows / (sparkMs / 1e3),
                                median(ratios),
                                median(cpuRatios)));
            } finally {
                spark.stop();
            }
        }
        md.append(
                String.format(
                        Locale.ROOT,
                        "%nlocal[2] ÷ local[1] throughput: Spark %.2f, pool %.2f (2.0 would be"
                                + " linear on 2 idle cores)%n%nload average after: %s%n",
                        medians[1][1] / medians[2][1],
                        medians[1][0] / medians[2][0],
                        loadAverage()));
        System.out.print(md);
        if (out != null) {
            Files.writeString(out, md.toString());
        }
    }

    /** {id, candidate, test} for each row; deterministic. */
    static List<String[]> programs(int rows) {
        List<String[]> out = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            String code;
            switch (i % 100) {
                case 7, 31, 55, 83 -> code = "while True:\n    pass\n";
                case 42 -> code = "hog = []\nwhile True:\n    hog.append(bytearray(1 << 20))\n";
                case 99 -> code = "import os\nos._exit(0)\n";
                default ->
                        code =
                                "def solve(n):\n"
                                        + "    total = 0\n"
                                        + "    for k in range(n):\n"
                                        + "        total += k * k if k % "
                                        + (2 + i % 5)
                                        + " else k\n"
                                        + "    return total\n";
            }
            int m = 2 + i % 5;
            StringBuilder test = new StringBuilder("import eryx\nok = True\n");
            for (int n = 10; n <= 50; n += 10) {
                long want = 0;
                for (int k = 0; k < n; k++) {
                    want += k % m != 0 ? (long) k * k : k;
                }
                test.append("ok = ok and solve(")
                        .append(n)
                        .append(") == ")
                        .append(want)
                        .append('\n');
            }
            test.append("eryx.report_test(ok)\n");
            out.add(new String[] {String.valueOf(i), code, test.toString()});
        }
        return out;
    }

    /** A pool of {@code size} whose sandboxes report tests into {@code reports}. */
    private static SandboxPool directPool(int size, Map<Integer, Boolean> reports) {
        Callback report =
                Callback.of(
                        "report",
                        "the row's test result",
                        (JsonNode a) -> {
                            reports.put(a.get("row").asInt(), a.get("passed").asBoolean());
                            return null;
                        });
        return SandboxPool.builder()
                .minIdle(size)
                .maxSize(size)
                .resourceLimits(LIMITS)
                .template(b -> b.callback(report))
                .build();
    }

    /** The rows through the pool by {@code threads} threads; returns rows that passed. */
    private static long direct(
            SandboxPool pool, Map<Integer, Boolean> reports, int threads, List<String[]> programs) {
        reports.clear();
        AtomicInteger next = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(
                        workers.submit(
                                () -> {
                                    for (int i; (i = next.getAndIncrement()) < programs.size(); ) {
                                        String[] row = programs.get(i);
                                        String test =
                                                row[2].replace(
                                                        "eryx.report_test(ok)",
                                                        "await eryx.tools.report(row="
                                                                + row[0]
                                                                + ", passed=ok)");
                                        try (PooledSandbox s = pool.acquire()) {
                                            s.execute(row[1], LIMITS);
                                            s.execute(test, LIMITS);
                                        } catch (EryxException verdict) {
                                            // fuel, memory, crashed: the row's verdict
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            workers.shutdown();
        }
        return reports.values().stream().filter(p -> p).count();
    }

    /** The rows through {@link PythonEvaluation}; returns rows that passed. */
    private static long spark(SparkSession spark, List<String[]> programs) {
        List<Row> rows = new ArrayList<>(programs.size());
        for (String[] p : programs) {
            rows.add(RowFactory.create(Integer.parseInt(p[0]), p[1], p[2]));
        }
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int slices = Math.min(rows.size(), context.defaultParallelism() * 8);
        Dataset<Row> input = spark.createDataFrame(context.parallelize(rows, slices), SCHEMA);
        return PythonEvaluation.builder()
                .testColumn("test")
                .limits(LIMITS)
                .build()
                .transform(input)
                .filter("passed")
                .count();
    }

    private interface Run {
        long run();
    }

    /** {wall ns, process CPU ns, rows passed} of one run. */
    private static long[] timed(Run run) {
        OperatingSystemMXBean os =
                (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long passed = run.run();
        long wall = System.nanoTime() - t0;
        return new long[] {wall, os.getProcessCpuTime() - cpu0, passed};
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "n/a";
        }
    }
}
