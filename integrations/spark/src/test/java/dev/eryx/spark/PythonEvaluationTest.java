package dev.eryx.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark local mode with two task slots and four attempts per task ({@code local[2,4]}): a task
 * Spark retried after a failure would show as a second attempt, which {@link Tasks} counts.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PythonEvaluationTest {
    /** Job maxima of most tests: a 64 MiB bomb overflows the 80 MiB cap (CPython needs ~40). */
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(60))
                    .maxFuel(400_000_000L)
                    .maxMemoryBytes(80L << 20)
                    .maxOutputBytes(256L << 10)
                    .build();

    /**
     * Rows that end at 3 M of fuel, under a 60 s timeout: on a loaded machine 3 M of fuel must not
     * time out.
     */
    private static final ResourceLimits FUEL_JOB =
            LIMITS.toBuilder().maxFuel(3_000_000L).executionTimeout(Duration.ofSeconds(60)).build();

    /** Rows that end at a 3 s timeout. */
    private static final ResourceLimits TIME_JOB =
            LIMITS.toBuilder().executionTimeout(Duration.ofSeconds(3)).build();

    /** Fuel of a hostile loop: about a second on this machine (docs: ~1 s per 3 M loaded). */
    private static final long LOOP_FUEL = 2_000_000L;

    private static final StructType SCHEMA =
            new StructType()
                    .add("id", DataTypes.IntegerType, false)
                    .add("code", DataTypes.StringType)
                    .add("test", DataTypes.StringType)
                    .add("expected", DataTypes.StringType)
                    .add("row_fuel", DataTypes.LongType)
                    .add("row_timeout", DataTypes.LongType);

    private static SparkSession spark;
    private static final Tasks TASKS = new Tasks();

    @BeforeAll
    static void start() {
        spark =
                SparkSession.builder()
                        .master("local[2,4]")
                        .appName("eryx-spark-test")
                        .config("spark.ui.enabled", "false")
                        .config("spark.sql.shuffle.partitions", "2")
                        .getOrCreate();
        spark.sparkContext().addSparkListener(TASKS);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @BeforeEach
    void clearCounts() {
        awaitListenerBus();
        TASKS.reset();
    }

    @Test
    void fourHundredRowsTwentyHostileEveryVerdictRightNoTaskRetried() {
        Plan plan = new Plan();
        for (int id = 0; id < 400; id++) {
            int hostile = id % 20 == 7 ? (id / 20) % 4 : -1; // 20 rows, spread over the partitions
            String squareTest =
                    "import eryx\neryx.report_test(square("
                            + id
                            + ") == "
                            + id * id
                            + ", 'square is wrong')\n";
            switch (hostile) {
                case 0 -> plan.hostile(id, "i = 0\nwhile True:\n    i += 1\n", LOOP_FUEL, "fuel");
                case 1 -> plan.hostile(id, "bomb = bytearray(64 << 20)\n", null, "memory");
                case 2 -> plan.hostile(id, "while True:\n    print('x' * 4096)\n", null, "output");
                case 3 -> plan.hostile(id, "import os\nos._exit(7)\n", null, "crashed");
                default -> {
                    switch (id % 5) {
                        case 0 ->
                                plan.add(
                                        id,
                                        "def square(x):\n    return x * x\n",
                                        squareTest,
                                        null,
                                        "ok",
                                        true);
                        case 1 ->
                                plan.add(
                                        id,
                                        "def square(x):\n    return x + x\n",
                                        squareTest,
                                        null,
                                        "ok",
                                        id == 0 || id == 2);
                        case 2 ->
                                plan.add(
                                        id,
                                        "print(sum(range(" + id + ")))\n",
                                        null,
                                        (id * (id - 1) / 2) + "\n",
                                        "ok",
                                        true);
                        case 3 ->
                                plan.add(
                                        id,
                                        "raise KeyError(" + id + ")\n",
                                        "import eryx\neryx.report_test(True)\n",
                                        null,
                                        "python_error",
                                        false);
                        default ->
                                plan.add(
                                        id,
                                        "result = {'id': "
                                                + id
                                                + ", 'even': "
                                                + (id % 2 == 0 ? "True" : "False")
                                                + "}\n",
                                        null,
                                        null,
                                        "ok",
                                        null);
                    }
                }
            }
        }
        long started = System.nanoTime();
        List<Row> out =
                evaluate(
                        plan.rows,
                        8,
                        PythonEvaluation.builder()
                                .testColumn("test")
                                .expectedOutputColumn("expected")
                                .fuelColumn("row_fuel")
                                .limits(LIMITS)
                                .build());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(400, out.size());
        int hostile = 0;
        for (Row row : out) {
            int id = row.getInt(0);
            String verdict = plan.verdicts.get(id);
            assertEquals(verdict, row.getAs("verdict"), () -> "row " + id + ": " + row);
            assertEquals(plan.passes.get(id), row.getAs("passed"), () -> "row " + id + ": " + row);
            if (!verdict.equals("ok") && !verdict.equals("python_error")) {
                hostile++;
            }
        }
        assertEquals(20, hostile);
        Row dict = out.get(4);
        assertEquals("{\"id\":4,\"even\":true}", dict.getAs("result"));
        Row error = out.get(3);
        assertEquals("KeyError", error.getAs("error_type"));
        assertTrue(((String) error.getAs("stderr")).contains("KeyError: 3"), error::toString);
        Row loop = out.get(7);
        assertEquals(LOOP_FUEL, (long) loop.getAs("fuel"), loop::toString);
        awaitListenerBus();
        assertEquals(8, TASKS.started.get(), "one attempt per partition");
        assertEquals(0, TASKS.retried.get(), "task attempts after the first");
        assertEquals(0, TASKS.failed.get(), "failed or killed tasks");
        System.out.println("400 rows (20 hostile) in " + millis + " ms");
    }

    @Test
    void testVerdictsComeFromTheHostUnderTheRowsNonce() {
        String square = "def square(x):\n    return x * x\n";
        String report = "import eryx\neryx.report_test(square(3) == 9, 'square(3) != 9')\n";
        List<Row> rows =
                List.of(
                        row(0, square, report, null),
                        // A candidate that prints what a naive harness would read as a pass.
                        row(
                                1,
                                "print('PASSED')\nprint('{\"passed\": true}')\n",
                                "pass  # never reports\n",
                                null),
                        // A candidate reporting for itself: it cannot know the nonce.
                        row(
                                2,
                                square
                                        + "import eryx\ntry:\n"
                                        + "    await eryx.tools._eryx_report_test(nonce='0' * 32,"
                                        + " passed=True)\nexcept Exception as e:\n"
                                        + "    print(type(e).__name__)\n",
                                report,
                                null),
                        // A candidate that pre-defines eryx.report_test: the prelude replaces it.
                        row(
                                3,
                                "import eryx\neryx.report_test = lambda *a, **k: None\n"
                                        + "def square(x):\n    return 0\n",
                                report,
                                null),
                        row(
                                4,
                                square,
                                "import eryx\neryx.report_test(True)\n"
                                        + "eryx.report_test(True)\n",
                                null),
                        row(
                                5,
                                square,
                                "assert square(2) == 5, 'two squared'\n"
                                        + "import eryx\neryx.report_test(True)\n",
                                null),
                        row(6, "while True:\n    pass\n", report, null),
                        row(7, square, "import eryx\neryx.report_test('yes')\n", null),
                        // The documented hole: the candidate wraps the callback the prelude
                        // calls, learns the nonce, and turns a failure into a pass.
                        row(
                                8,
                                "import eryx\nclass _Forge:\n"
                                        + "    def __init__(self, real):\n"
                                        + "        self.real = real\n"
                                        + "    def __getattr__(self, name):\n"
                                        + "        real = getattr(self.real, name)\n"
                                        + "        async def forged(**kw):\n"
                                        + "            kw['passed'] = True\n"
                                        + "            return await real(**kw)\n"
                                        + "        return forged\n"
                                        + "eryx.tools = _Forge(eryx.tools)\n"
                                        + "def square(x):\n    return 0\n",
                                report,
                                null));
        List<Row> out =
                evaluate(
                        rows,
                        2,
                        PythonEvaluation.builder()
                                .testColumn("test")
                                .fuelColumn("row_fuel")
                                .limits(LIMITS.toBuilder().maxFuel(4_000_000L).build())
                                .build());
        assertPassed(out.get(0), true, null);
        assertPassed(
                out.get(1), false, "the test did not report (eryx.report_test was not called)");
        assertEquals("PASSED\n{\"passed\": true}\n", out.get(1).getAs("stdout"));
        assertPassed(
                out.get(2),
                false,
                "the candidate called the test-report callback itself (1 times): only the row's"
                        + " test may report");
        assertEquals("CallbackError\n", out.get(2).getAs("stdout"));
        assertPassed(out.get(3), false, "square(3) != 9");
        assertPassed(out.get(4), false, "the test reported 2 times; it must report once");
        assertPassed(
                out.get(5),
                false,
                "the test ended with python_error: AssertionError (AssertionError: two squared)");
        assertEquals("fuel", out.get(6).getAs("verdict"));
        assertPassed(out.get(6), false, "the candidate ended with fuel; the test did not run");
        assertPassed(
                out.get(7),
                false,
                "the test ended with python_error: TypeError (TypeError: eryx.report_test: passed"
                        + " must be a bool, not str)");
        assertPassed(out.get(8), true, null);
    }

    @Test
    void expectedOutputIsComparedInJava() {
        List<Row> rows =
                List.of(
                        row(0, "print('a')\nprint('b')\n", null, "a\r\nb\n"),
                        row(1, "import sys\nsys.stdout.write('a\\r\\nb\\n')\n", null, "a\nb\n"),
                        row(2, "print('a')\nprint('c')\n", null, "a\nb\n"),
                        row(3, "print('a')\nprint('b')\nraise SystemExit(1)\n", null, "a\nb\n"),
                        row(4, "print('no expectation')\n", null, null));
        List<Row> out =
                evaluate(
                        rows,
                        1,
                        PythonEvaluation.builder()
                                .expectedOutputColumn("expected")
                                .limits(LIMITS)
                                .build());
        assertPassed(out.get(0), true, null);
        assertPassed(out.get(1), true, null);
        assertPassed(
                out.get(2),
                false,
                "stdout differs from the expected output at character 2 (stdout has 4"
                        + " characters, expected 4)");
        assertEquals("python_error", out.get(3).getAs("verdict"));
        assertEquals("SystemExit", out.get(3).getAs("error_type"));
        assertPassed(out.get(3), false, "the candidate ended with python_error");
        assertNull(out.get(4).getAs("passed"));
        assertNull(out.get(4).getAs("test_detail"));
    }

    @Test
    void weirdObjectsAndNullsBecomeVerdictsNotTaskFailures() {
        List<Row> rows =
                List.of(
                        row(
                                0,
                                "class E(Exception):\n    def __str__(self):\n"
                                        + "        raise RuntimeError('no str')\nraise E()\n",
                                null,
                                null),
                        row(
                                1,
                                "class W:\n    def __repr__(self):\n        raise RuntimeError()\n"
                                        + "result = W()\nprint('made')\n",
                                null,
                                null),
                        row(
                                2,
                                "import sys\nclass W:\n    def __str__(self):\n"
                                        + "        raise RuntimeError()\nsys.exit(W())\n",
                                null,
                                null),
                        row(3, "raise BaseException('base')\n", null, null),
                        row(4, null, "import eryx\neryx.report_test(True)\n", null));
        List<Row> out = evaluate(rows, 2, withTests(LIMITS));
        assertEquals("python_error", out.get(0).getAs("verdict"));
        assertEquals("E", out.get(0).getAs("error_type"));
        assertEquals("ok", out.get(1).getAs("verdict"), out.get(1)::toString);
        assertNull(out.get(1).getAs("result")); // not JSON: no result
        assertEquals("made\n", out.get(1).getAs("stdout"));
        assertEquals("python_error", out.get(2).getAs("verdict"), out.get(2)::toString);
        assertEquals("python_error", out.get(3).getAs("verdict"));
        assertEquals("BaseException", out.get(3).getAs("error_type"));
        assertEquals("python_error", out.get(4).getAs("verdict"));
        assertEquals("the row's code is null", out.get(4).getAs("stderr"));
        assertPassed(out.get(4), false, "the row's code is null");
        awaitListenerBus();
        assertEquals(0, TASKS.failed.get(), "failed or killed tasks");
    }

    @Test
    void perRowLimitsAreClampedToTheJobsMaxima() {
        String loop = "i = 0\nwhile True:\n    i += 1\n";
        List<Row> fuelRows =
                List.of(
                        limited(0, loop, 1_000_000L, null), // below the maximum: its own
                        limited(1, loop, 50_000_000_000L, null), // above: the job's
                        limited(2, loop, null, null), // none: the job's
                        limited(3, loop, -5L, null)); // nonsense: at least 1
        List<Row> fuel = evaluate(fuelRows, 2, perRowLimits(FUEL_JOB));
        assertEquals(
                List.of("fuel", "fuel", "fuel", "fuel"),
                fuel.stream().map(r -> (String) r.getAs("verdict")).toList());
        assertEquals(1_000_000L, (long) fuel.get(0).getAs("fuel"));
        assertEquals(3_000_000L, (long) fuel.get(1).getAs("fuel"));
        assertEquals(3_000_000L, (long) fuel.get(2).getAs("fuel"));
        assertEquals(1L, (long) fuel.get(3).getAs("fuel"));
        List<Row> timeRows =
                List.of(
                        // A timeout below the job's ends a sleep early.
                        limited(4, "import time\ntime.sleep(20)\n", null, 300L),
                        // One above the job's is the job's.
                        limited(5, "import time\ntime.sleep(20)\n", null, 600_000L),
                        limited(
                                6,
                                "import time\ntime.sleep(0.1)\nprint('slept')\n",
                                null,
                                600_000L));
        List<Row> out = evaluate(timeRows, 2, perRowLimits(TIME_JOB));
        assertEquals(
                List.of("timeout", "timeout", "ok"),
                out.stream().map(r -> (String) r.getAs("verdict")).toList());
        long slept = out.get(0).getAs("duration_ms");
        assertTrue(slept >= 300 && slept < 3_000, () -> "ran " + slept + " ms");
        long capped = out.get(1).getAs("duration_ms");
        assertTrue(capped >= 3_000 && capped < 15_000, () -> "ran " + capped + " ms");
        assertEquals("slept\n", out.get(2).getAs("stdout"));
    }

    @Test
    void theTestGetsWhatTheCandidateLeftAndTheRowReportsTotals() {
        List<Row> rows =
                List.of(
                        row(0, "x = sum(range(1000))\n", "while True:\n    pass\n", null),
                        // Raised by the guest, not a kill: its own error.
                        row(1, "raise KeyboardInterrupt\n", null, null),
                        row(2, "raise MemoryError\n", null, null));
        List<Row> out = evaluate(rows, 1, withTests(FUEL_JOB));
        assertEquals("ok", out.get(0).getAs("verdict"), out.get(0)::toString);
        assertPassed(out.get(0), false, "the test ended with fuel: fuel");
        // The candidate's fuel and the test's: the row's 3 M, not 3 M for each.
        assertEquals(3_000_000L, (long) out.get(0).getAs("fuel"));
        assertEquals("python_error", out.get(1).getAs("verdict"), out.get(1)::toString);
        assertEquals("KeyboardInterrupt", out.get(1).getAs("error_type"));
        assertEquals("memory", out.get(2).getAs("verdict"), out.get(2)::toString);

        List<Row> slow =
                evaluate(
                        List.of(
                                row(
                                        3,
                                        "import time\ntime.sleep(1.5)\n",
                                        "import time\ntime.sleep(20)\n",
                                        null)),
                        1,
                        withTests(TIME_JOB));
        assertEquals("ok", slow.get(0).getAs("verdict"), slow.get(0)::toString);
        assertPassed(slow.get(0), false, "the test ended with timeout: timeout");
        long total = slow.get(0).getAs("duration_ms");
        // Both within the row's 3 s: not 1.5 s for the candidate and 3 s more for the test.
        assertTrue(total >= 2_900 && total < 4_500, () -> "ran " + total + " ms");
    }

    @Test
    void badArgumentsFailInBuildOrTransform() {
        Dataset<Row> input = spark.createDataFrame(List.of(row(0, "pass", null, null)), SCHEMA);
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PythonEvaluation.builder()
                                        .codeColumn("program")
                                        .build()
                                        .transform(input));
        assertEquals(
                "codeColumn names the column program, which the input lacks: [id, code,"
                        + " test, expected, row_fuel, row_timeout]",
                missing.getMessage());
        IllegalArgumentException textual =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PythonEvaluation.builder().codeColumn("id").build().transform(input));
        assertEquals(
                "codeColumn names the column id of type int; it must be a string column",
                textual.getMessage());
        IllegalArgumentException integral =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PythonEvaluation.builder()
                                        .fuelColumn("expected")
                                        .build()
                                        .transform(input));
        assertEquals(
                "fuelColumn names the column expected of type string; it must be an"
                        + " integral number (bigint, int, smallint or tinyint) column",
                integral.getMessage());
        IllegalArgumentException clash =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PythonEvaluation.builder()
                                        .build()
                                        .transform(input.withColumnRenamed("test", "verdict")));
        assertTrue(
                clash.getMessage().startsWith("the input already has a column named verdict"),
                clash::getMessage);
        IllegalArgumentException twice =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PythonEvaluation.builder().testColumn("code").build());
        assertEquals("the column code is given two roles; each needs its own", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PythonEvaluation.builder().poolSize(0));
        // Names match as Spark's analysis matches them: case-insensitively by default.
        IllegalArgumentException upper =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PythonEvaluation.builder()
                                        .build()
                                        .transform(input.withColumnRenamed("test", "VERDICT")));
        assertTrue(
                upper.getMessage().startsWith("the input already has a column named verdict"),
                upper::getMessage);
        PythonEvaluation.builder().codeColumn("CODE").build().transform(input);
        assertEquals(
                "limits: maxMemoryBytes is 16777216; a sandbox needs at least 48 MiB (CPython's"
                        + " image alone takes about 40)",
                refused(PythonEvaluation.builder(), b -> b.maxMemoryBytes(16L << 20)));
        assertEquals(
                "limits: maxCallbackInvocations is 0, but a testColumn reports through a callback;"
                        + " allow at least 1",
                refused(
                        PythonEvaluation.builder().testColumn("test"),
                        b -> b.maxCallbackInvocations(0)));
        PythonEvaluation.builder() // without a test, no callback is needed
                .limits(LIMITS.toBuilder().maxCallbackInvocations(0).build())
                .build();
        assertEquals(
                "limits: no executionTimeout and unlimited maxFuel would let a row run forever;"
                        + " set at least one",
                refused(
                        PythonEvaluation.builder(),
                        b -> b.executionTimeout(null).maxFuel(ResourceLimits.UNLIMITED)));
        assertEquals(
                PythonEvaluation.outputColumns(),
                List.of(PythonEvaluation.builder().build().transform(input).columns())
                        .subList(SCHEMA.size(), SCHEMA.size() + 9));
    }

    @Test
    void packagesAreShippedToTheExecutorsAndPoolsAreKeyedByConfiguration(@TempDir Path dir)
            throws Exception {
        Path tree = dir.resolve("site-packages");
        Files.createDirectories(tree.resolve("greet"));
        Files.writeString(tree.resolve("greet/__init__.py"), "def hello():\n    return 'hi'\n");
        Files.createDirectories(tree.resolve("greet-1.0.dist-info"));
        Files.writeString(
                tree.resolve("greet-1.0.dist-info/METADATA"),
                "Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n");
        PythonEvaluation withPackages =
                PythonEvaluation.builder().packages(tree).limits(LIMITS).build();
        // Read on the driver: a later change to the tree does not reach the executors.
        Files.writeString(
                tree.resolve("greet/__init__.py"), "def hello():\n    return 'changed'\n");
        List<Row> rows =
                List.of(
                        row(0, "import greet\nprint(greet.hello())\n", null, null),
                        row(1, "import greet\nresult = greet.__name__\n", null, null));
        List<Row> out = evaluate(rows, 2, withPackages);
        assertEquals("hi\n", out.get(0).getAs("stdout"), out.get(0)::toString);
        assertEquals("\"greet\"", out.get(1).getAs("result"), out.get(1)::toString);
        // The same limits without packages: another pool, whose sandboxes lack the package.
        List<Row> without = evaluate(rows, 1, PythonEvaluation.builder().limits(LIMITS).build());
        assertEquals("ModuleNotFoundError", without.get(0).getAs("error_type"));
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PythonEvaluation.builder().packages(dir.resolve("absent")).build());
        assertTrue(missing.getMessage().contains("absent"), missing::getMessage);
    }

    @Test
    void aKilledTaskCancelsItsExecutionAndOneWaitingForTheSandboxStops() throws Exception {
        killTwoTasks(false);
    }

    @Test
    void aKilledTaskWhoseThreadIsInterruptedGivesItsSandboxBackUsable() throws Exception {
        killTwoTasks(true);
    }

    /**
     * Two tasks, one sandbox: one runs a loop that never ends, the other waits for the sandbox.
     * Cancelling the job kills both promptly, the sandbox goes back reset (not discarded), and the
     * pool serves the next row.
     */
    private static void killTwoTasks(boolean interruptOnCancel) throws Exception {
        PythonEvaluation forever =
                PythonEvaluation.builder()
                        .poolSize(1)
                        .limits(
                                LIMITS.toBuilder()
                                        .maxFuel(ResourceLimits.UNLIMITED)
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .build())
                        .build();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> loops =
                spark.createDataFrame(
                        sc.parallelize(
                                List.of(
                                        row(0, "while True:\n    pass\n", null, null),
                                        row(1, "while True:\n    pass\n", null, null)),
                                2),
                        SCHEMA);
        String group = "eryx-kill-" + interruptOnCancel;
        sc.setJobGroup(group, "rows that loop forever", interruptOnCancel);
        Future<List<Row>> job;
        try {
            job = forever.transform(loops).toJavaRDD().collectAsync();
        } finally {
            sc.clearJobGroup();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (TASKS.started.get() < 2 || inUse(forever) != 1) {
            assertTrue(System.nanoTime() < deadline, "both tasks started, one holds the sandbox");
            Thread.sleep(50);
        }
        Thread.sleep(500); // the second task is waiting for the sandbox
        assertEquals(1, inUse(forever), "one sandbox for two tasks");
        long discarded = ExecutorPools.find(forever.config()).stats().discarded();
        long killed = System.nanoTime();
        sc.cancelJobGroup(group);
        ExecutionException cancelled =
                assertThrows(ExecutionException.class, () -> job.get(30, TimeUnit.SECONDS));
        assertTrue(
                String.valueOf(cancelled.getCause()).contains("cancelled"),
                () -> String.valueOf(cancelled.getCause()));
        while (TASKS.ended.get() < 2) {
            assertTrue(System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(30), "tasks ended");
            Thread.sleep(20);
        }
        long ended = TASKS.lastEndNanos.get() - killed;
        assertTrue(
                ended < TimeUnit.SECONDS.toNanos(10),
                () -> "the tasks ended " + ended / 1_000_000 + " ms after the kill");
        awaitListenerBus();
        assertEquals(2, TASKS.killed.get(), "both tasks ended killed");
        assertEquals(0, TASKS.failed.get(), "no task failed");
        assertEquals(0, inUse(forever), "the sandbox went back");
        assertEquals(
                discarded,
                ExecutorPools.find(forever.config()).stats().discarded(),
                "the cancelled sandbox was reset, not discarded");
        // The same configuration: the same pool, whose sandbox went back when the task ended.
        Dataset<Row> after =
                spark.createDataFrame(List.of(row(2, "print('still here')\n", null, null)), SCHEMA);
        List<Row> out = forever.transform(after).collectAsList();
        assertEquals("ok", out.get(0).getAs("verdict"));
        assertEquals("still here\n", out.get(0).getAs("stdout"));
    }

    /** Sandboxes lent by the pool of {@code evaluation} in this JVM; -1 before it exists. */
    private static int inUse(PythonEvaluation evaluation) {
        dev.eryx.pool.SandboxPool pool = ExecutorPools.find(evaluation.config());
        return pool == null ? -1 : pool.stats().inUse();
    }

    /** Rows and, by id, the verdict and the {@code passed} each must come out with. */
    private static final class Plan {
        final List<Row> rows = new ArrayList<>();
        final List<String> verdicts = new ArrayList<>();
        final List<Boolean> passes = new ArrayList<>();

        void add(
                int id, String code, String test, String expected, String verdict, Boolean passed) {
            add(RowFactory.create(id, code, test, expected, null, null), verdict, passed);
        }

        /** A row with neither test nor expected output, and its own fuel if not null. */
        void hostile(int id, String code, Long fuel, String verdict) {
            add(RowFactory.create(id, code, null, null, fuel, null), verdict, null);
        }

        private void add(Row row, String verdict, Boolean passed) {
            rows.add(row);
            verdicts.add(verdict);
            passes.add(passed);
        }
    }

    private static Row row(int id, String code, String test, String expected) {
        return RowFactory.create(id, code, test, expected, null, null);
    }

    private static Row limited(int id, String code, Long fuel, Long timeoutMillis) {
        return RowFactory.create(id, code, null, null, fuel, timeoutMillis);
    }

    /** The test column and the job's {@code limits}. */
    private static PythonEvaluation withTests(ResourceLimits limits) {
        return PythonEvaluation.builder().testColumn("test").limits(limits).build();
    }

    /** Per-row fuel and timeout columns, clamped to the job's {@code limits}. */
    private static PythonEvaluation perRowLimits(ResourceLimits limits) {
        return PythonEvaluation.builder()
                .fuelColumn("row_fuel")
                .timeoutColumn("row_timeout")
                .limits(limits)
                .build();
    }

    /** Why {@code builder} refuses {@link #LIMITS} changed by {@code change}. */
    private static String refused(
            PythonEvaluation.Builder builder, UnaryOperator<ResourceLimits.Builder> change) {
        ResourceLimits limits = change.apply(LIMITS.toBuilder()).build();
        return assertThrows(IllegalArgumentException.class, () -> builder.limits(limits).build())
                .getMessage();
    }

    private static List<Row> evaluate(List<Row> rows, int partitions, PythonEvaluation eval) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> input = spark.createDataFrame(sc.parallelize(rows, partitions), SCHEMA);
        // Sorted here: orderBy would sample the evaluated rows first, running every program twice.
        List<Row> out = new ArrayList<>(eval.transform(input).collectAsList());
        out.sort(java.util.Comparator.comparingInt(r -> r.getInt(0)));
        return out;
    }

    private static void assertPassed(Row row, boolean passed, String detail) {
        assertEquals(passed, row.getAs("passed"), row::toString);
        assertEquals(detail, row.getAs("test_detail"), row::toString);
    }

    private static void awaitListenerBus() {
        SparkContext sc = spark.sparkContext();
        try {
            sc.listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Spark's listener bus did not drain", e);
        }
    }

    /** Counts task attempts: a retry is an attempt number above 0. */
    private static final class Tasks extends SparkListener {
        final AtomicInteger jobs = new AtomicInteger();
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger killed = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong lastEndNanos =
                new java.util.concurrent.atomic.AtomicLong();

        void reset() {
            jobs.set(0);
            started.set(0);
            retried.set(0);
            failed.set(0);
            killed.set(0);
            ended.set(0);
        }

        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            jobs.incrementAndGet();
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart taskStart) {
            started.incrementAndGet();
            if (taskStart.taskInfo().attemptNumber() > 0) {
                retried.incrementAndGet();
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            lastEndNanos.set(System.nanoTime());
            ended.incrementAndGet();
            String reason = taskEnd.reason().toString();
            if (reason.startsWith("TaskKilled")) {
                killed.incrementAndGet();
            } else if (!reason.equals("Success")) {
                failed.incrementAndGet();
            }
        }
    }
}
