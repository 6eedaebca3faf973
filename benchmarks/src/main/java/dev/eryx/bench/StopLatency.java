package dev.eryx.bench;

import dev.eryx.EryxException;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * How late the guest stops after a timeout's deadline or a {@code cancel()} (issue 5 asks for both
 * within 100 ms), for the kinds of work that are hard to interrupt: a bytecode loop, a long C loop,
 * {@code time.sleep}, catastrophic regex backtracking and an awaited {@code asyncio.sleep}. Also
 * counts how often the sandbox was still usable after the stop. Prints a markdown table for
 * docs/security.md "Stop latency".
 *
 * <p>Timeout latency is the wall time of {@code execute} minus the timeout (so it includes the
 * execution's own set-up, well under a millisecond when warm); cancel latency runs from the {@code
 * cancel()} call to {@code get()} throwing, the guest having run for {@value #CANCEL_AFTER_MS} ms
 * first. The first sample of each case is a warm-up and is not counted.
 *
 * <p>usage: StopLatency [samples (default 11)] [timeout ms (default 300)]
 */
public final class StopLatency {
    private static final long CANCEL_AFTER_MS = 200;

    private static final List<String[]> CASES =
            List.of(
                    new String[] {"bytecode loop", "while True:\n    pass"},
                    new String[] {"C loop: sum(range(10**13))", "sum(range(10**13))"},
                    new String[] {"time.sleep(60)", "import time\ntime.sleep(60)"},
                    new String[] {
                        "regex backtracking", "import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')"
                    },
                    new String[] {
                        "await asyncio.sleep(60)", "import asyncio\nawait asyncio.sleep(60)"
                    });

    private StopLatency() {}

    public static void main(String[] args) throws InterruptedException {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        long timeoutMs = args.length > 1 ? Long.parseLong(args[1]) : 300;
        if (samples < 1 || timeoutMs < 1) {
            throw new IllegalArgumentException("samples and timeout must be positive");
        }
        System.out.printf(
                "Stop latency, ms (%d samples after one warm-up; timeout %d ms; cancel after %d ms; %s)%n%n",
                samples, timeoutMs, CANCEL_AFTER_MS, Runtime.version());
        System.out.println(
                "| work | timeout: median / p90 / max | usable after | cancel: median / p90 / max | usable after |");
        System.out.println("|---|---|---|---|---|");
        for (String[] c : CASES) {
            Series timeout = new Series(samples);
            Series cancel = new Series(samples);
            try (Reusable sandbox = new Reusable()) {
                for (int i = 0; i <= samples; i++) {
                    timeout.add(i > 0, sandbox, timeoutLatency(sandbox, c[1], timeoutMs));
                }
                for (int i = 0; i <= samples; i++) {
                    cancel.add(i > 0, sandbox, cancelLatency(sandbox, c[1]));
                }
            }
            System.out.printf(
                    "| %s | %s | %d/%d | %s | %d/%d |%n",
                    c[0],
                    timeout.summary(),
                    timeout.usable,
                    samples,
                    cancel.summary(),
                    cancel.usable,
                    samples);
        }
    }

    private static long timeoutLatency(Reusable sandbox, String code, long timeoutMs) {
        ResourceLimits limits =
                ResourceLimits.builder().executionTimeout(Duration.ofMillis(timeoutMs)).build();
        long start = System.nanoTime();
        try {
            sandbox.get().execute(code, limits);
            throw new IllegalStateException("ran to the end instead of timing out: " + code);
        } catch (ExecutionTimeoutException expected) {
            return System.nanoTime() - start - TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        }
    }

    private static long cancelLatency(Reusable sandbox, String code) throws InterruptedException {
        ExecutionHandle handle = sandbox.get().executeAsync(code);
        Thread.sleep(CANCEL_AFTER_MS);
        if (handle.isDone()) {
            throw new IllegalStateException("finished before it was cancelled: " + code);
        }
        long cancelled = System.nanoTime();
        handle.cancel();
        try {
            handle.get();
            throw new IllegalStateException("ran to the end after cancel(): " + code);
        } catch (ExecutionCancelledException expected) {
            return System.nanoTime() - cancelled;
        }
    }

    /**
     * One sandbox per case, replaced only when a stop left it unusable (which the series counts).
     */
    private static final class Reusable implements AutoCloseable {
        private Sandbox sandbox = Sandbox.builder().build();

        Sandbox get() {
            if (!sandbox.isUsable()) {
                sandbox.close();
                sandbox = Sandbox.builder().build();
            }
            return sandbox;
        }

        /** Runs a trivial execution, the real test of "still usable" after a stop. */
        boolean stillUsable() {
            if (!sandbox.isUsable()) {
                return false;
            }
            try {
                return "2".equals(sandbox.execute("result = 1 + 1").result().asText());
            } catch (EryxException | IllegalStateException e) {
                return false;
            }
        }

        @Override
        public void close() {
            sandbox.close();
        }
    }

    private static final class Series {
        private final long[] nanos;
        private int size;
        private int usable;

        Series(int capacity) {
            nanos = new long[capacity];
        }

        void add(boolean counted, Reusable sandbox, long latencyNanos) {
            boolean usableAfter = sandbox.stillUsable();
            if (counted) {
                nanos[size++] = latencyNanos;
                usable += usableAfter ? 1 : 0;
            }
        }

        String summary() {
            long[] sorted = Arrays.copyOf(nanos, size);
            Arrays.sort(sorted);
            return String.format(
                    Locale.ROOT,
                    "%.1f / %.1f / %.1f",
                    Percentiles.millis(sorted, 50),
                    Percentiles.millis(sorted, 90),
                    Percentiles.millis(sorted, 100));
        }
    }
}
