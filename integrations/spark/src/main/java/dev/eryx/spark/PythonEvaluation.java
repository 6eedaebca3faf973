package dev.eryx.spark;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Runs a Dataset's column of untrusted Python programs, one sandbox per row, and appends what each
 * did: {@link #outputColumns()}.
 *
 * <pre>{@code
 * Dataset<Row> scored = PythonEvaluation.builder()
 *         .codeColumn("solution")
 *         .testColumn("test")                 // host-side verdicts: see below
 *         .limits(ResourceLimits.builder()
 *                 .executionTimeout(Duration.ofSeconds(10))
 *                 .maxFuel(2_000_000_000L)
 *                 .maxMemoryBytes(128L << 20)
 *                 .build())
 *         .build()
 *         .transform(candidates);
 * }</pre>
 *
 * <p><b>Executors.</b> Each executor JVM keeps one {@link dev.eryx.pool.SandboxPool} per job
 * configuration (limits, packages, pool size), created by the first task that needs it, sized from
 * the executor's task slots and heap unless {@link Builder#poolSize} says otherwise, and closed
 * when the JVM exits. A row borrows a sandbox, runs, and gives it back; the pool resets it (memory,
 * globals and files back to the image) before another row sees it, and discards one that crashed.
 * Packages are read on the driver, shipped once as a broadcast, and each executor captures its own
 * image from them.
 *
 * <p><b>Hostile rows.</b> Every outcome of a program becomes a verdict in its row: an infinite loop
 * ends at its fuel or timeout, a memory bomb at the memory cap, a flood at the output cap, a crash
 * or {@code os._exit()} as {@code crashed}. Nothing a program does makes the task fail, so Spark
 * never retries a task because of a guest. A task Spark kills (a cancelled job or stage, {@code
 * killTaskAttempt}, speculation) cancels the execution it is running.
 *
 * <p><b>Tests.</b> With {@link Builder#testColumn}, the row's test runs after the candidate in the
 * same sandbox (so it sees the candidate's functions), in an execution of its own, and reports with
 * {@code eryx.report_test(passed, detail="")}. The report reaches the host through a callback bound
 * to a random nonce the host draws for that row and writes only into the test's execution; a report
 * without it (the candidate calling the callback itself), a second report, or none at all fails the
 * row. What the candidate prints never decides a verdict. With {@link
 * Builder#expectedOutputColumn}, Java compares the candidate's stdout itself.
 *
 * <p><b>What a hostile candidate can still forge.</b> The candidate runs first, in the same
 * interpreter, with the same globals, so the test runs in a world the candidate may have prepared:
 * it can monkeypatch what the test calls ({@code builtins}, {@code eryx}, {@code exec}, the test's
 * helpers, modules such as {@code math} or {@code unittest}), return objects whose {@code __eq__}
 * always answers true, or replace the callback the host's prelude awaits so that it learns the
 * nonce and reports {@code passed=True}. The nonce stops a candidate from reporting on its own (in
 * its own execution, through output, or through a {@code result}), not from subverting the test
 * that runs after it. For adversarial candidates, write tests that do not trust the candidate's
 * objects (compare {@code type(x) is int and x == 4}, use values computed before any candidate
 * code), or compare output with {@link Builder#expectedOutputColumn}, which the guest cannot reach;
 * a test that must not share an interpreter with the candidate needs a second sandbox, which this
 * transformation does not offer.
 *
 * <p>Serializable: Spark ships it to the executors with the job.
 */
public final class PythonEvaluation implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final List<String> OUTPUT_COLUMNS =
            List.of(
                    "stdout",
                    "stderr",
                    "result",
                    "verdict",
                    "error_type",
                    "duration_ms",
                    "fuel",
                    "passed",
                    "test_detail");

    private static final StructType OUTPUT_SCHEMA =
            new StructType(
                    new StructField[] {
                        DataTypes.createStructField("stdout", DataTypes.StringType, true),
                        DataTypes.createStructField("stderr", DataTypes.StringType, true),
                        DataTypes.createStructField("result", DataTypes.StringType, true),
                        DataTypes.createStructField("verdict", DataTypes.StringType, false),
                        DataTypes.createStructField("error_type", DataTypes.StringType, true),
                        DataTypes.createStructField("duration_ms", DataTypes.LongType, false),
                        DataTypes.createStructField("fuel", DataTypes.LongType, false),
                        DataTypes.createStructField("passed", DataTypes.BooleanType, true),
                        DataTypes.createStructField("test_detail", DataTypes.StringType, true)
                    });

    private final EvaluationConfig config;
    private final PackageBundle packages;

    /** The broadcast of {@link #packages}, made by the first {@link #transform} of a context. */
    private transient Broadcast<PackageBundle> shipped;

    private transient SparkContext shippedBy;

    private PythonEvaluation(EvaluationConfig config, PackageBundle packages) {
        this.config = config;
        this.packages = packages;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The appended columns, in order. */
    public static List<String> outputColumns() {
        return OUTPUT_COLUMNS;
    }

    /**
     * The input with the output columns appended (lazy, like any Spark transformation): nothing
     * runs until an action.
     *
     * @throws IllegalArgumentException a configured column is missing or of the wrong type, or the
     *     input already has a column named like an output column (checked here, before any job)
     */
    public Dataset<Row> transform(Dataset<Row> input) {
        Objects.requireNonNull(input, "input");
        StructType schema = input.schema();
        ColumnIndexes columns =
                new ColumnIndexes(
                        index(schema, config.codeColumn(), "codeColumn", true),
                        index(schema, config.testColumn(), "testColumn", true),
                        index(schema, config.expectedOutputColumn(), "expectedOutputColumn", true),
                        index(schema, config.timeoutColumn(), "timeoutColumn", false),
                        index(schema, config.fuelColumn(), "fuelColumn", false));
        List<String> existing = Arrays.asList(schema.fieldNames());
        for (String output : OUTPUT_COLUMNS) {
            if (existing.contains(output)) {
                throw new IllegalArgumentException(
                        "the input already has a column named "
                                + output
                                + ", which PythonEvaluation appends; rename or drop it first"
                                + " (input columns: "
                                + existing
                                + ")");
            }
        }
        StructType outputSchema = schema;
        for (StructField field : OUTPUT_SCHEMA.fields()) {
            outputSchema = outputSchema.add(field);
        }
        Broadcast<PackageBundle> bundle = null;
        if (packages != null) {
            SparkContext context = input.sparkSession().sparkContext();
            synchronized (this) {
                if (shipped == null || shippedBy != context) { // a new session needs its own
                    shipped = JavaSparkContext.fromSparkContext(context).broadcast(packages);
                    shippedBy = context;
                }
                bundle = shipped;
            }
        }
        return input.mapPartitions(
                new PartitionEvaluator(config, columns, bundle), Encoders.row(outputSchema));
    }

    /**
     * The position of {@code name} in {@code schema}, or -1 when no column is configured.
     *
     * @param text a string column, else an integral one
     */
    private static int index(StructType schema, String name, String setting, boolean text) {
        if (name == null) {
            return -1;
        }
        List<String> names = Arrays.asList(schema.fieldNames());
        int index = names.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException(
                    setting + " names the column " + name + ", which the input lacks: " + names);
        }
        DataType type = schema.fields()[index].dataType();
        boolean fits =
                text
                        ? type.equals(DataTypes.StringType)
                        : type.equals(DataTypes.LongType)
                                || type.equals(DataTypes.IntegerType)
                                || type.equals(DataTypes.ShortType)
                                || type.equals(DataTypes.ByteType);
        if (!fits) {
            throw new IllegalArgumentException(
                    setting
                            + " names the column "
                            + name
                            + " of type "
                            + type.simpleString()
                            + "; it must be "
                            + (text ? "a string" : "an integral number (bigint or int)")
                            + " column");
        }
        return index;
    }

    /** Configures a {@link PythonEvaluation}; not thread-safe. */
    public static final class Builder {
        private String codeColumn = "code";
        private String testColumn;
        private String expectedOutputColumn;
        private String timeoutColumn;
        private String fuelColumn;
        private ResourceLimits limits = ResourceLimits.defaults();
        private List<Path> packageSources;
        private int poolSize;

        private Builder() {}

        /** The column holding each row's program; default {@code "code"}. A string column. */
        public Builder codeColumn(String name) {
            this.codeColumn = column(name, "codeColumn");
            return this;
        }

        /**
         * A string column of per-row test code, run by the host after the candidate, in a separate
         * execution in the same sandbox; it reports with {@code eryx.report_test(passed: bool,
         * detail: str = "")}, exactly once (see the class comment). A row whose test is null has no
         * test.
         */
        public Builder testColumn(String name) {
            this.testColumn = column(name, "testColumn");
            return this;
        }

        /**
         * A string column of expected output: the candidate passes when its verdict is ok and its
         * stdout equals this exactly, once {@code \r\n} is read as {@code \n} on both sides. A row
         * whose expected output is null has no such check.
         */
        public Builder expectedOutputColumn(String name) {
            this.expectedOutputColumn = column(name, "expectedOutputColumn");
            return this;
        }

        /**
         * Limits of every row, and the maxima of the per-row columns; default {@link
         * ResourceLimits#defaults()}. The memory and filesystem caps are the pool's, the same for
         * every row.
         */
        public Builder limits(ResourceLimits jobMaxima) {
            this.limits = Objects.requireNonNull(jobMaxima, "jobMaxima");
            return this;
        }

        /**
         * An integral column of per-row timeouts in milliseconds, clamped to between 1 ms and the
         * job's timeout; null takes the job's.
         */
        public Builder timeoutColumn(String name) {
            this.timeoutColumn = column(name, "timeoutColumn");
            return this;
        }

        /**
         * An integral column of per-row fuel, clamped to between 1 and the job's fuel; null takes
         * the job's.
         */
        public Builder fuelColumn(String name) {
            this.fuelColumn = column(name, "fuelColumn");
            return this;
        }

        /**
         * Third-party packages every row can import: wheels, directories of wheels or site-packages
         * trees, as {@link PythonPackages#of(Path...)} takes. Read and checked on the driver by
         * {@link #build()} (a bad package fails there), shipped to each executor once as a
         * broadcast, where the executor's pool captures its own image with them (precompiled, so no
         * row compiles a module).
         *
         * <p>Sources rather than a {@link PythonPackages}: that is an in-memory tree which keeps no
         * paths and cannot be serialized, so it cannot reach an executor.
         */
        public Builder packages(Path... sources) {
            Objects.requireNonNull(sources, "sources");
            List<Path> list = new ArrayList<>();
            for (Path source : sources) {
                list.add(Objects.requireNonNull(source, "source"));
            }
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no package sources given");
            }
            this.packageSources = List.copyOf(list);
            return this;
        }

        /**
         * Sandboxes per executor JVM (the rows it runs at once). Default: the executor's task slots
         * ({@code spark.executor.cores / spark.task.cpus}, or N of {@code local[N]}), as many as
         * half the heap holds at the memory cap each.
         */
        public Builder poolSize(int sandboxesPerExecutor) {
            if (sandboxesPerExecutor < 1) {
                throw new IllegalArgumentException(
                        "poolSize must be >= 1, was " + sandboxesPerExecutor);
            }
            this.poolSize = sandboxesPerExecutor;
            return this;
        }

        /**
         * The evaluation; reads and checks the packages, if any.
         *
         * @throws IllegalArgumentException a column is named twice, or a package cannot be used
         *     (the message says which and why)
         */
        public PythonEvaluation build() {
            List<String> named = new ArrayList<>();
            for (String column :
                    Arrays.asList(
                            codeColumn,
                            testColumn,
                            expectedOutputColumn,
                            timeoutColumn,
                            fuelColumn)) {
                if (column != null && named.contains(column)) {
                    throw new IllegalArgumentException(
                            "the column " + column + " is given two roles; each needs its own");
                }
                named.add(column);
            }
            PackageBundle bundle =
                    packageSources == null ? null : PackageBundle.read(packageSources);
            EvaluationConfig config =
                    new EvaluationConfig(
                            codeColumn,
                            testColumn,
                            expectedOutputColumn,
                            timeoutColumn,
                            fuelColumn,
                            LimitsSpec.of(limits),
                            bundle == null ? null : bundle.sha256(),
                            poolSize);
            return new PythonEvaluation(config, bundle);
        }

        private static String column(String name, String setting) {
            Objects.requireNonNull(name, setting);
            if (name.isBlank()) {
                throw new IllegalArgumentException(setting + " is blank");
            }
            return name;
        }
    }
}
