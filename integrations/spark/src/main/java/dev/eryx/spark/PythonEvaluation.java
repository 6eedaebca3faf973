package dev.eryx.spark;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
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
 * <p><b>Columns.</b> {@code stdout}, {@code stderr}, {@code result}, {@code verdict} and {@code
 * error_type} are the candidate's; {@code duration_ms} and {@code fuel} are the row's totals, the
 * candidate's plus its test's. The test gets what the candidate left of the row's timeout and fuel
 * (at least 1 ms and 1 unit), so a row never costs more than its own limits. {@code passed} and
 * {@code test_detail} are the host's check (null without a test or expected output). A {@code
 * KeyboardInterrupt} the guest raises itself is {@code python_error}; {@code cancelled} means the
 * task was killed. An uncaught {@code MemoryError} is {@code memory}, whether the interpreter ran
 * out or the guest raised it (the two cannot be told apart).
 *
 * <p><b>Executors.</b> Each executor JVM keeps its sandbox pools in a static registry, keyed by
 * what a pool fixes for its sandboxes: the memory and filesystem caps, the packages, the pool size
 * and the application. Timeout, fuel, output and callback limits go with each execution, so jobs
 * differing only in those share warm sandboxes. A pool is created by the first row that needs it
 * (an empty partition creates none), sized from the executor's task slots unless {@link
 * Builder#poolSize} says otherwise, and closed when no task used it for five minutes, when more
 * than four pools would be open, or when the JVM exits. All pools of a JVM share one memory budget,
 * Spark's user memory: {@code (heap - 300 MiB) x (1 - spark.memory.fraction)}, the part of the heap
 * Spark leaves to user data (sandbox memory is a byte array on the heap); a pool holds as many
 * sandboxes at their memory cap as its share of it fits, with an explicit pool size too, and a task
 * fails with a message saying so when not one fits. A row borrows a sandbox, runs, and gives it
 * back; the pool resets it (memory, globals and files back to the image) before another row sees
 * it, and discards one that crashed. Packages are read on the driver, shipped once as a broadcast,
 * and each executor captures its own image from them.
 *
 * <p><b>Hostile rows.</b> Every outcome of a program becomes a verdict in its row: an infinite loop
 * ends at its fuel or timeout, a memory bomb at the memory cap, a flood at the output cap, a crash
 * or {@code os._exit()} as {@code crashed}. Nothing a program does makes the task fail, so Spark
 * never retries a task because of a guest. A task Spark kills (a cancelled job or stage, {@code
 * killTaskAttempt}, speculation) cancels the execution it is running, or stops waiting for a
 * sandbox.
 *
 * <p><b>Tests.</b> With {@link Builder#testColumn}, the row's test runs after the candidate in the
 * same sandbox (so it sees the candidate's functions), in an execution of its own, and reports with
 * {@code eryx.report_test(passed, detail="")}. The report reaches the host through a callback bound
 * to a random nonce the host draws for that row and writes only into the test's execution; a report
 * without it (the candidate calling the callback itself), a second report, or none at all fails the
 * row. What the candidate prints never decides a verdict. With {@link
 * Builder#expectedOutputColumn}, Java compares the candidate's stdout itself.
 *
 * <p><b>What a hostile candidate can still forge.</b> The nonce stops accidental and naive
 * forgeries: printing {@code PASS}, returning a result that looks like one, calling the report
 * callback from the candidate's own execution. It does not stop a candidate that knows this
 * protocol: such a candidate can always make its row pass. The candidate runs first, in the same
 * interpreter, and the test runs in the world it left behind:
 *
 * <ul>
 *   <li>the report callback is one per pool, registered in every sandbox of it, and its name is
 *       public: a candidate can wrap {@code eryx.tools} so the prelude's call hands it the nonce;
 *   <li>the prelude reaches the test through {@code exec}, {@code compile}, {@code bytes} and
 *       {@code globals} looked up at run time, which the candidate may have replaced (in {@code
 *       builtins} or the shared globals), so it sees the test's code and can run its own instead;
 *   <li>audit hooks ({@code sys.addaudithook}, which cannot be removed), trace and profile
 *       functions it set survive into the test's execution and see every call and frame there;
 *   <li>it can monkeypatch whatever the test calls ({@code eryx}, helpers, {@code math}, {@code
 *       unittest}) and return objects whose {@code __eq__} always answers true.
 * </ul>
 *
 * <p>Where a pass must be earned, do not trust the test's verdict alone: compare output with {@link
 * Builder#expectedOutputColumn} (Java reads stdout; the guest cannot reach the comparison), or
 * return the candidate's answers as {@code result} and check them in Java on the output columns.
 * Running the test in a fresh sandbox would need the candidate's definitions without its side
 * effects, which a saved state cannot separate (it carries the hooks and patches too); this
 * transformation does not offer it.
 *
 * <p>Serializable: Spark ships it to the executors with the job.
 */
public final class PythonEvaluation implements Serializable, AutoCloseable {
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

    /** The least memory cap {@link Builder#build()} accepts: below it no interpreter starts. */
    static final long MIN_MEMORY_BYTES = 48L << 20;

    /**
     * Limits for scoring short generated functions, each with a unit test of a few calls: a 30 s
     * timeout, 20 million instructions of fuel, 128 MiB of memory and 64 KiB of output, the rest
     * {@link ResourceLimits#defaults()}. That fuel is plenty for such a function and its test, and
     * ends a looping candidate in about 70 ms on an idle core; larger programs need more ({@link
     * ResourceLimits#toBuilder()}). Not the builder's default, which is {@link
     * ResourceLimits#defaults()}.
     */
    public static final ResourceLimits SHORT_FUNCTION_LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(30))
                    .maxFuel(20_000_000L)
                    .maxMemoryBytes(128L << 20)
                    .maxOutputBytes(64 << 10)
                    .build();

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

    /**
     * The packages' bytes, needed only on the driver to broadcast them: transient, so that an
     * evaluation a closure captures does not carry them to every task a second time.
     */
    private final transient PackageBundle packages;

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

    /** What travels to the executors; for tests. */
    EvaluationConfig config() {
        return config;
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
        // Names are matched as Spark's own analysis matches them.
        boolean caseSensitive =
                Boolean.parseBoolean(
                        input.sparkSession().conf().get("spark.sql.caseSensitive", "false"));
        ColumnIndexes columns =
                new ColumnIndexes(
                        index(schema, config.codeColumn(), "codeColumn", true, caseSensitive),
                        index(schema, config.testColumn(), "testColumn", true, caseSensitive),
                        index(
                                schema,
                                config.expectedOutputColumn(),
                                "expectedOutputColumn",
                                true,
                                caseSensitive),
                        index(
                                schema,
                                config.timeoutColumn(),
                                "timeoutColumn",
                                false,
                                caseSensitive),
                        index(schema, config.fuelColumn(), "fuelColumn", false, caseSensitive));
        List<String> existing = Arrays.asList(schema.fieldNames());
        for (String output : OUTPUT_COLUMNS) {
            if (!matches(existing, output, caseSensitive).isEmpty()) {
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
        if (config.packagesSha256() != null && packages == null) {
            throw new IllegalStateException(
                    "this PythonEvaluation was serialized, which drops its packages: call"
                            + " transform on the one the builder made, on the driver");
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
     * Destroys the broadcast of the packages, if one was made (executors drop their copies of it;
     * their pools, with the packages' image, stay until idle or the JVM exits). Call it once no job
     * of this evaluation runs any more; a later {@link #transform} broadcasts them again.
     */
    public synchronized void close() {
        if (shipped != null) {
            shipped.destroy();
            shipped = null;
            shippedBy = null;
        }
    }

    /**
     * The position of {@code name} in {@code schema}, or -1 when no column is configured.
     *
     * @param text a string column, else an integral one
     */
    private static int index(
            StructType schema, String name, String setting, boolean text, boolean caseSensitive) {
        if (name == null) {
            return -1;
        }
        List<String> names = Arrays.asList(schema.fieldNames());
        List<Integer> found = matches(names, name, caseSensitive);
        if (found.isEmpty()) {
            throw new IllegalArgumentException(
                    setting + " names the column " + name + ", which the input lacks: " + names);
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException(
                    setting
                            + " names the column "
                            + name
                            + ", which is ambiguous (spark.sql.caseSensitive is false): "
                            + names);
        }
        int index = found.get(0);
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
                            + (text
                                    ? "a string"
                                    : "an integral number (bigint, int, smallint or tinyint)")
                            + " column");
        }
        return index;
    }

    /** The positions of the columns named {@code name}, as Spark's analysis would match it. */
    private static List<Integer> matches(List<String> names, String name, boolean caseSensitive) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (caseSensitive ? names.get(i).equals(name) : names.get(i).equalsIgnoreCase(name)) {
                found.add(i);
            }
        }
        return found;
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
         * row compiles a module). What is shipped: the bytes of every regular file under each
         * directory given (all of it, not only what Python would import: point at a site-packages
         * tree, not at a project) and of each wheel, held in the driver's memory until {@link
         * PythonEvaluation#close()}, and written once per executor machine under Spark's file
         * directory.
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
         * ({@code spark.executor.cores / spark.task.cpus}, or N of {@code local[N]}). Either way no
         * more than the JVM's sandbox memory budget holds at the memory cap each (see the class
         * comment); a task fails with a message when not one fits.
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
            checkLimits();
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

        /** Refuses here what would fail every row (or never end one) on the executors. */
        private void checkLimits() {
            if (limits.maxMemoryBytes() < MIN_MEMORY_BYTES) {
                throw new IllegalArgumentException(
                        "limits: maxMemoryBytes is "
                                + limits.maxMemoryBytes()
                                + "; a sandbox needs at least "
                                + (MIN_MEMORY_BYTES >> 20)
                                + " MiB (CPython's image alone takes about 40)");
            }
            if (testColumn != null && limits.maxCallbackInvocations() < 1) {
                throw new IllegalArgumentException(
                        "limits: maxCallbackInvocations is 0, but a testColumn reports through a"
                                + " callback; allow at least 1");
            }
            if (limits.executionTimeout() == null && limits.maxFuel() == ResourceLimits.UNLIMITED) {
                throw new IllegalArgumentException(
                        "limits: no executionTimeout and unlimited maxFuel would let a row run"
                                + " forever; set at least one");
            }
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
