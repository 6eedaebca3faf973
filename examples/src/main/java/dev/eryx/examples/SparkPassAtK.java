package dev.eryx.examples;

import dev.eryx.ResourceLimits;
import dev.eryx.examples.PassAtKProblems.Candidate;
import dev.eryx.examples.PassAtKProblems.Kind;
import dev.eryx.spark.PythonEvaluation;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores model-written code with pass@k on Spark: 50 problems × 40 candidate solutions ({@link
 * PassAtKProblems}: correct, subtly wrong, slow and hostile ones), each candidate run in a sandbox
 * by {@link PythonEvaluation} and judged by its problem's unit tests, which report to the host
 * under a per-row nonce. Prints pass@1 and pass@10 (the unbiased estimator of Chen et al., 2021)
 * per problem and overall, the verdicts, how the scores compare with the ground truth the generator
 * knows, the wall time and rows per second.
 *
 * <p>Run it in local mode (after one {@code mvn -DskipTests install}): {@code java <Spark's
 * add-opens, spark.test.opens in the root pom.xml> -cp <examples' test class path>
 * dev.eryx.examples.SparkPassAtK [problems] [candidates per problem]}, as docs/scale-out.md spells
 * out; {@code -Dspark.master=local[4]} picks another master (default {@code local[2]}).
 *
 * <p>On a cluster, {@code spark-submit} supplies Spark and the master; eryx's jars (eryx-spark's
 * runtime dependencies, which the cluster's Spark does not have) go with {@code --jars}:
 *
 * <pre>
 * mvn -q -pl examples -am package -DskipTests
 * mvn -q -pl integrations/spark dependency:copy-dependencies -DincludeScope=runtime \
 *     -DoutputDirectory=target/eryx-jars
 * cp integrations/spark/target/eryx-spark-*.jar integrations/spark/target/eryx-jars/
 * spark-submit --master spark://master:7077 --deploy-mode client \
 *   --class dev.eryx.examples.SparkPassAtK \
 *   --conf spark.executor.cores=4 --conf spark.executor.memory=8g \
 *   --jars "$(ls integrations/spark/target/eryx-jars/*.jar | paste -sd,)" \
 *   examples/target/eryx-examples-0.1.0-SNAPSHOT.jar 50 40
 * </pre>
 *
 * <p>(docs/scale-out.md explains each setting.)
 */
public final class SparkPassAtK {
    /**
     * Every row's limits: {@link PythonEvaluation#SHORT_FUNCTION_LIMITS}. Its 20 million
     * instructions of fuel are plenty for every correct candidate and its test here (the example's
     * test shows all of them pass), and let slow and looping candidates end at their fuel in about
     * 70 ms on an idle core (60 million took 178 ms in docs/performance.md's fuel table).
     */
    static final ResourceLimits LIMITS = PythonEvaluation.SHORT_FUNCTION_LIMITS;

    private static final StructType INPUT =
            new StructType()
                    .add("problem", DataTypes.StringType, false)
                    .add("candidate", DataTypes.IntegerType, false)
                    .add("kind", DataTypes.StringType, false)
                    .add("code", DataTypes.StringType, false)
                    .add("test", DataTypes.StringType, false);

    private SparkPassAtK() {}

    public static void main(String[] args) {
        int problems = args.length > 0 ? positive(args[0], "problems") : 50;
        int perProblem =
                args.length > 1 ? positive(args[1], "candidates") : PassAtKProblems.CANDIDATES;
        SparkSession.Builder session = SparkSession.builder().appName("eryx pass@k");
        if (System.getProperty("spark.master") == null) {
            session.master("local[2]"); // spark-submit sets spark.master; a plain java run does not
        }
        SparkSession spark = session.getOrCreate();
        try {
            List<Candidate> candidates = PassAtKProblems.load().candidates(problems, perProblem);
            print(run(spark, candidates), System.out);
        } finally {
            spark.stop();
        }
    }

    private static int positive(String arg, String what) {
        try {
            int n = Integer.parseInt(arg);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " must be a positive integer, was " + arg);
    }

    /** What one row's evaluation said. */
    public record Outcome(
            String problem,
            int candidate,
            Kind kind,
            String verdict,
            boolean passed,
            long fuel,
            String detail) {}

    /** The scores of one problem. */
    public record ProblemScore(String problem, int n, int c) {
        public double passAt(int k) {
            return SparkPassAtK.passAtK(n, c, k);
        }
    }

    /** Everything the run found. */
    public record Report(List<Outcome> outcomes, List<ProblemScore> problems, long wallNanos) {

        /** Candidate verdicts, by name. */
        public Map<String, Integer> verdicts() {
            Map<String, Integer> counts = new TreeMap<>();
            outcomes.forEach(o -> counts.merge(o.verdict(), 1, Integer::sum));
            return counts;
        }

        /** Per kind: {candidates, passed}. */
        public Map<Kind, int[]> byKind() {
            Map<Kind, int[]> counts = new EnumMap<>(Kind.class);
            for (Outcome o : outcomes) {
                int[] c = counts.computeIfAbsent(o.kind(), k -> new int[2]);
                c[0]++;
                c[1] += o.passed() ? 1 : 0;
            }
            return counts;
        }

        /** The mean of the problems' pass@k; NaN when a problem has fewer than k candidates. */
        public double meanPassAt(int k) {
            return problems.stream().mapToDouble(p -> p.passAt(k)).average().orElse(Double.NaN);
        }
    }

    /**
     * The unbiased estimator of pass@k from n samples of which c passed: 1 - C(n-c, k) / C(n, k),
     * computed as a product so that no binomial overflows. NaN when k > n (no estimate).
     */
    public static double passAtK(int n, int c, int k) {
        if (k < 1 || c < 0 || c > n) {
            throw new IllegalArgumentException(
                    "need 1 <= k and 0 <= c <= n: " + n + " " + c + " " + k);
        }
        if (k > n) {
            return Double.NaN;
        }
        if (n - c < k) {
            return 1.0;
        }
        double allFail = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            allFail *= 1.0 - (double) k / i;
        }
        return 1.0 - allFail;
    }

    /** Runs every candidate through {@link PythonEvaluation} on {@code spark} and scores them. */
    public static Report run(SparkSession spark, List<Candidate> candidates) {
        List<Row> rows = new ArrayList<>(candidates.size());
        Map<String, String> tests = new LinkedHashMap<>();
        for (Candidate c : candidates) {
            String test = tests.computeIfAbsent(c.problem().name(), n -> c.problem().test());
            rows.add(
                    RowFactory.create(
                            c.problem().name(), c.index(), c.kind().name(), c.code(), test));
        }
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Explicit slices, and no shuffle: a repartition() would let adaptive execution coalesce
        // these small (in bytes) partitions into one, and one task would run every row. Several
        // slices per core even out slow rows.
        int slices = Math.max(1, Math.min(rows.size(), context.defaultParallelism() * 8));
        Dataset<Row> input = spark.createDataFrame(context.parallelize(rows, slices), INPUT);

        PythonEvaluation evaluation =
                PythonEvaluation.builder()
                        .codeColumn("code")
                        .testColumn("test")
                        .limits(LIMITS)
                        .build();
        long started = System.nanoTime();
        List<Row> scored =
                evaluation
                        .transform(input)
                        .select(
                                "problem",
                                "candidate",
                                "kind",
                                "verdict",
                                "passed",
                                "fuel",
                                "test_detail")
                        .collectAsList();
        long wall = System.nanoTime() - started;

        List<Outcome> outcomes = new ArrayList<>();
        Map<String, int[]> perProblem = new LinkedHashMap<>();
        tests.keySet().forEach(p -> perProblem.put(p, new int[2]));
        for (Row r : scored) {
            boolean passed = !r.isNullAt(4) && r.getBoolean(4);
            outcomes.add(
                    new Outcome(
                            r.getString(0),
                            r.getInt(1),
                            Kind.valueOf(r.getString(2)),
                            r.getString(3),
                            passed,
                            r.getLong(5),
                            r.isNullAt(6) ? null : r.getString(6)));
            int[] counts = perProblem.get(r.getString(0));
            counts[0]++;
            counts[1] += passed ? 1 : 0;
        }
        List<ProblemScore> problems = new ArrayList<>();
        perProblem.forEach((p, counts) -> problems.add(new ProblemScore(p, counts[0], counts[1])));
        return new Report(outcomes, problems, wall);
    }

    /** The report as the example prints it. */
    public static void print(Report report, PrintStream out) {
        out.printf("%-20s %4s %4s %8s %8s%n", "problem", "n", "c", "pass@1", "pass@10");
        for (ProblemScore p : report.problems()) {
            out.printf(
                    "%-20s %4d %4d %8s %8s%n",
                    p.problem(), p.n(), p.c(), format(p.passAt(1)), format(p.passAt(10)));
        }
        out.printf(
                "%-20s %4s %4s %8s %8s%n",
                "overall (mean)",
                "",
                "",
                format(report.meanPassAt(1)),
                format(report.meanPassAt(10)));
        out.println();
        out.println("verdicts of the candidates: " + report.verdicts());
        out.println("passed, by what the generator made (kind: passed/candidates):");
        report.byKind()
                .forEach(
                        (kind, c) ->
                                out.printf(
                                        "  %-16s %4d/%d%s%n",
                                        kind,
                                        c[1],
                                        c[0],
                                        kind.genuine() || c[1] == 0 ? "" : "   <- forged passes"));
        int rows = report.outcomes().size();
        double seconds = report.wallNanos() / 1e9;
        out.printf("%d rows in %.1f s: %.1f rows/s%n", rows, seconds, rows / seconds);
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "n/a" : String.format("%.3f", value);
    }
}
