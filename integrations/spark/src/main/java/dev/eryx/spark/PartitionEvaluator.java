package dev.eryx.spark;

import dev.eryx.EryxException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PooledSandbox;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The work of one Spark task: each row of its partition through a sandbox of the executor's pool,
 * one row at a time, lazily (a row is evaluated when Spark asks for it).
 */
final class PartitionEvaluator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final EvaluationConfig config;
    private final ColumnIndexes columns;
    private final Broadcast<PackageBundle> packages;

    PartitionEvaluator(
            EvaluationConfig config, ColumnIndexes columns, Broadcast<PackageBundle> packages) {
        this.config = config;
        this.columns = columns;
        this.packages = packages;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        TaskContext task = TaskContext.get();
        AtomicReference<ExecutionHandle> running = new AtomicReference<>();
        if (task != null) {
            // A killed task (cancelled job or stage, killTaskAttempt, a lost speculative race)
            // stops the guest at once instead of when the row's limits end it.
            task.addTaskInterruptListener(
                    (context, reason) -> {
                        ExecutionHandle handle = running.get();
                        if (handle != null) {
                            handle.cancel();
                        }
                    });
        }
        return new Iterator<>() {
            /** Made by the first row: an empty partition builds no pool. */
            private RowRun run;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row row = rows.next();
                if (run == null) {
                    run = new RowRun(config, packages, task, running);
                }
                return evaluate(row, run);
            }
        };
    }

    private Row evaluate(Row row, RowRun run) {
        String code = columns.code() < 0 ? null : row.getString(columns.code());
        String test = columns.test() < 0 ? null : row.getString(columns.test());
        String expected =
                columns.expectedOutput() < 0 ? null : row.getString(columns.expectedOutput());
        ResourceLimits limits =
                config.limits()
                        .forRow(
                                run.jobLimits,
                                integral(row, columns.timeout()),
                                integral(row, columns.fuel()));
        Object[] out = run.evaluate(code, test, expected, limits);
        Object[] values = new Object[row.length() + out.length];
        for (int i = 0; i < row.length(); i++) {
            values[i] = row.get(i);
        }
        System.arraycopy(out, 0, values, row.length(), out.length);
        return RowFactory.create(values);
    }

    private static Long integral(Row row, int index) {
        if (index < 0 || row.isNullAt(index)) {
            return null;
        }
        return ((Number) row.get(index)).longValue();
    }

    /** Runs rows for one task; one row at a time, on the task's thread. */
    static final class RowRun {
        private final EvaluationConfig config;
        private final Broadcast<PackageBundle> packages;
        private final ResourceLimits jobLimits;
        private final TaskContext task;
        private final AtomicReference<ExecutionHandle> running;

        /** The pool of the row being run, leased for it (see {@link ExecutorPools.Entry}). */
        private ExecutorPools.Entry pool;

        /** Set when the task's thread was interrupted during a row: the task ends after it. */
        private boolean interrupted;

        RowRun(
                EvaluationConfig config,
                Broadcast<PackageBundle> packages,
                TaskContext task,
                AtomicReference<ExecutionHandle> running) {
            this.config = config;
            this.packages = packages;
            this.jobLimits = config.limits().toLimits();
            this.task = task;
            this.running = running;
        }

        /** The output columns of one row, in {@link PythonEvaluation#outputColumns()} order. */
        Object[] evaluate(String code, String test, String expected, ResourceLimits limits) {
            if (code == null) {
                return new Object[] {
                    "",
                    "the row's code is null",
                    null,
                    Verdict.PYTHON_ERROR.wireName(),
                    null,
                    0L,
                    0L,
                    test == null && expected == null ? null : Boolean.FALSE,
                    test == null && expected == null ? null : "the row's code is null"
                };
            }
            Outcome candidate;
            Check check = null;
            pool = ExecutorPools.lease(config, packages);
            try {
                PooledSandbox lent = acquire();
                try {
                    String nonce = test == null ? null : TestReports.nonce();
                    candidate = run(lent, code, limits);
                    if (test != null) {
                        check = test(lent, candidate, nonce, test, remaining(limits, candidate));
                        candidate = candidate.plus(check.outcome);
                    }
                } finally {
                    // A set interrupt flag would make the pool's reset fail and discard the
                    // sandbox: clear it while the sandbox goes back, the task ends after.
                    interrupted |= Thread.interrupted();
                    lent.close();
                }
            } finally {
                ExecutorPools.release(pool);
                pool = null;
            }
            // The sandbox is back in the pool (reset, or discarded if it crashed).
            killIfInterrupted();
            if (expected != null && (check == null || check.passed)) {
                check = compare(candidate, expected); // the first failed check says why
            }
            return new Object[] {
                candidate.stdout,
                candidate.stderr,
                candidate.result,
                candidate.verdict.wireName(),
                candidate.errorType,
                candidate.durationMs,
                candidate.fuel,
                check == null ? null : check.passed,
                check == null ? null : check.detail
            };
        }

        private Check test(
                PooledSandbox lent,
                Outcome candidate,
                String nonce,
                String test,
                ResourceLimits l) {
            if (candidate.verdict != Verdict.OK) {
                return new Check(
                        false,
                        "the candidate ended with "
                                + candidate.verdict.wireName()
                                + "; the test did not run");
            }
            if (candidate.callbacks > 0) {
                return new Check(
                        false,
                        "the candidate called the test-report callback itself ("
                                + candidate.callbacks
                                + " times): only the row's test may report");
            }
            TestReports.Report report = pool.reports().open(nonce);
            Outcome outcome;
            try {
                outcome = run(lent, TestReports.program(nonce, test), l);
            } finally {
                pool.reports().close(nonce);
            }
            Check judged = judge(report, outcome);
            return new Check(judged.passed, judged.detail, outcome);
        }

        /** What the test's execution and its reports say about the candidate. */
        private static Check judge(TestReports.Report report, Outcome outcome) {
            int valid = report.count();
            if (outcome.callbacks > valid) {
                return new Check(
                        false,
                        (outcome.callbacks - valid)
                                + " report(s) without the row's nonce reached the host: the"
                                + " test's report was tampered with");
            }
            if (valid > 1) {
                return new Check(
                        false, "the test reported " + valid + " times; it must report once");
            }
            if (outcome.verdict != Verdict.OK) {
                String why =
                        outcome.errorType != null
                                ? outcome.errorType + lastLine(outcome.stderr)
                                : outcome.verdict.wireName();
                return new Check(
                        false, "the test ended with " + outcome.verdict.wireName() + ": " + why);
            }
            if (valid == 0) {
                return new Check(
                        false, "the test did not report (eryx.report_test was not called)");
            }
            if (report.passed()) {
                return new Check(true, null); // the column says why a test failed
            }
            String detail = report.detail();
            return new Check(
                    false,
                    detail == null || detail.isEmpty() ? "the test reported a failure" : detail);
        }

        private static Check compare(Outcome candidate, String expected) {
            if (candidate.verdict != Verdict.OK) {
                return new Check(false, "the candidate ended with " + candidate.verdict.wireName());
            }
            String actual = candidate.stdout.replace("\r\n", "\n");
            String wanted = expected.replace("\r\n", "\n");
            if (actual.equals(wanted)) {
                return new Check(true, null);
            }
            int at = 0;
            while (at < actual.length()
                    && at < wanted.length()
                    && actual.charAt(at) == wanted.charAt(at)) {
                at++;
            }
            return new Check(
                    false,
                    "stdout differs from the expected output at character "
                            + at
                            + " (stdout has "
                            + actual.length()
                            + " characters, expected "
                            + wanted.length()
                            + ")");
        }

        private PooledSandbox acquire() {
            while (true) {
                killIfInterrupted();
                try {
                    return pool.pool().acquire();
                } catch (PoolExhaustedException busy) {
                    // Every sandbox is lent (poolSize below the task slots): wait on, but notice
                    // a kill meanwhile.
                } catch (EryxException failed) {
                    if (Thread.interrupted()) { // interrupted while waiting: killed
                        interrupted = true;
                        killIfInterrupted();
                    }
                    throw failed;
                }
            }
        }

        /**
         * The limits of the row's test: what the candidate left of the row's timeout and fuel (at
         * least 1 ms and 1 unit), so that a row never runs longer than its own limits in total.
         */
        static ResourceLimits remaining(ResourceLimits row, Outcome candidate) {
            ResourceLimits.Builder left = row.toBuilder();
            if (row.executionTimeout() != null) {
                long ms = row.executionTimeout().toMillis() - candidate.durationMs;
                left.executionTimeout(java.time.Duration.ofMillis(Math.max(1, ms)));
            }
            if (row.maxFuel() != ResourceLimits.UNLIMITED) {
                left.maxFuel(Math.max(1, row.maxFuel() - candidate.fuel));
            }
            return left.build();
        }

        /** One execution, its outcome whatever happened; cancelled when the task is killed. */
        private Outcome run(PooledSandbox lent, String code, ResourceLimits limits) {
            ExecutionHandle handle;
            try {
                handle = lent.executeAsync(code, limits);
            } catch (RuntimeException e) {
                return Outcome.of(e);
            }
            running.set(handle);
            if (task != null && task.isInterrupted()) {
                handle.cancel(); // killed before the listener could see this handle
            }
            CompletableFuture<ExecutionResult> future = handle.toCompletableFuture();
            try {
                return ownInterrupt(Outcome.of(future.get()));
            } catch (ExecutionException e) {
                return ownInterrupt(Outcome.of(e.getCause() == null ? e : e.getCause()));
            } catch (InterruptedException e) {
                // Spark interrupts the task thread on a kill with interruptOnCancel: stop the
                // guest and wait for it to end (promptly: cancel stops it).
                handle.cancel();
                Outcome outcome;
                try {
                    outcome = Outcome.of(future.join());
                } catch (CompletionException | java.util.concurrent.CancellationException ended) {
                    outcome = Outcome.of(ended.getCause() == null ? ended : ended.getCause());
                }
                interrupted = true; // the task ends once the sandbox is back (see evaluate)
                return outcome;
            } catch (RuntimeException e) {
                return Outcome.of(e);
            } finally {
                running.set(null);
            }
        }

        /**
         * A {@code KeyboardInterrupt} the guest raised itself is its own error, not a cancellation:
         * only a killed task cancels.
         */
        private Outcome ownInterrupt(Outcome outcome) {
            boolean killed = interrupted || (task != null && task.isInterrupted());
            if (outcome.verdict == Verdict.CANCELLED
                    && "KeyboardInterrupt".equals(outcome.errorType)
                    && !killed) {
                return outcome.withVerdict(Verdict.PYTHON_ERROR);
            }
            return outcome;
        }

        private void killIfInterrupted() {
            if (task != null) {
                task.killTaskIfInterrupted();
            }
            if (interrupted || Thread.interrupted()) {
                throw new TaskKilledException("the task's thread was interrupted");
            }
        }

        private static String lastLine(String text) {
            String trimmed = text.strip();
            int cut = trimmed.lastIndexOf('\n');
            String line = cut < 0 ? trimmed : trimmed.substring(cut + 1);
            return line.isEmpty() ? "" : " (" + line + ")";
        }
    }

    /**
     * What the host-side check of a row found.
     *
     * @param outcome the test's execution, or null when none ran
     */
    private record Check(boolean passed, String detail, Outcome outcome) {
        Check(boolean passed, String detail) {
            this(passed, detail, null);
        }
    }

    /** One execution's columns. */
    private record Outcome(
            String stdout,
            String stderr,
            String result,
            Verdict verdict,
            String errorType,
            long durationMs,
            long fuel,
            int callbacks) {

        Outcome withVerdict(Verdict other) {
            return new Outcome(
                    stdout, stderr, result, other, errorType, durationMs, fuel, callbacks);
        }

        /** The candidate's columns with the test's time and fuel added: the row's totals. */
        Outcome plus(Outcome test) {
            if (test == null) {
                return this;
            }
            return new Outcome(
                    stdout,
                    stderr,
                    result,
                    verdict,
                    errorType,
                    durationMs + test.durationMs,
                    fuel + test.fuel,
                    callbacks);
        }

        static Outcome of(ExecutionResult r) {
            Verdict verdict = Verdict.of(r);
            return new Outcome(
                    r.stdout(),
                    r.stderr(),
                    r.result() == null ? null : r.result().toString(),
                    verdict,
                    verdict == Verdict.OK ? null : "SystemExit",
                    r.duration().toMillis(),
                    r.stats().fuelConsumed(),
                    r.stats().callbackInvocations());
        }

        static Outcome of(Throwable failure) {
            ExecutionResult partial =
                    failure instanceof EryxException eryx ? eryx.partialResult() : null;
            String stderr = partial == null ? "" : partial.stderr();
            String errorType = null;
            if (failure instanceof PythonException python) {
                errorType = python.pythonType();
                String traceback = python.traceback();
                if (traceback != null && !traceback.isBlank() && !stderr.contains(traceback)) {
                    stderr =
                            stderr.isEmpty() || stderr.endsWith("\n")
                                    ? stderr + traceback
                                    : stderr + "\n" + traceback;
                }
            } else if (!(failure instanceof EryxException)) {
                // A host failure, not the guest's: say what it was, the row still gets a verdict.
                stderr = stderr + "eryx-spark: " + failure;
            }
            return new Outcome(
                    partial == null ? "" : partial.stdout(),
                    stderr,
                    null, // a failed execution has no result
                    Verdict.of(failure),
                    errorType,
                    partial == null ? 0 : partial.duration().toMillis(),
                    partial == null ? 0 : partial.stats().fuelConsumed(),
                    partial == null ? 0 : partial.stats().callbackInvocations());
        }
    }
}
