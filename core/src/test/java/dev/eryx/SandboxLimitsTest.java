package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Timeouts, cancellation, the output cap and the memory cap. */
class SandboxLimitsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    /** Generous: the contract is 100 ms, but CI machines stall. */
    private static final long SLACK_MILLIS = 2_000;

    private static Sandbox withTimeout() {
        return Sandbox.builder()
                .resourceLimits(ResourceLimits.builder().executionTimeout(TIMEOUT).build())
                .build();
    }

    private static <T extends Throwable> T assertStopsInTime(Class<T> type, Runnable action) {
        return StopAssertions.assertStopsWithin(
                type, TIMEOUT.plusMillis(SLACK_MILLIS), action::run);
    }

    @Test
    void timeoutStopsABytecodeLoopCooperatively() {
        try (Sandbox sandbox = withTimeout()) {
            ExecutionTimeoutException e =
                    assertStopsInTime(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.execute(
                                            "print('spinning', flush=True)\nwhile True:\n    pass"));
            assertEquals("spinning\n", e.partialResult().stdout());
            assertTrue(
                    e.partialResult().duration().compareTo(TIMEOUT) >= 0,
                    e.partialResult().duration().toString());
            assertTrue(sandbox.isUsable(), "a cooperative stop must leave the sandbox usable");
            assertEquals(2, sandbox.execute("result = 2").result().asInt());
        }
    }

    @Test
    void timeoutStopsSleepsAndAwaitsCooperatively() {
        try (Sandbox sandbox = withTimeout()) {
            assertStopsInTime(
                    ExecutionTimeoutException.class,
                    () -> sandbox.execute("import time\ntime.sleep(100)"));
            assertTrue(sandbox.isUsable());
            assertStopsInTime(
                    ExecutionTimeoutException.class,
                    () -> sandbox.execute("import asyncio\nawait asyncio.sleep(100)"));
            assertTrue(sandbox.isUsable());
            assertStopsInTime(
                    ExecutionTimeoutException.class,
                    () ->
                            sandbox.execute(
                                    "import asyncio\nasync def spin():\n    while True:\n        pass\nasyncio.run(spin())"));
            assertTrue(sandbox.isUsable());
            // The stopped coroutine does not resume when the loop runs again.
            ExecutionResult next =
                    sandbox.execute("import asyncio\nawait asyncio.sleep(0.05)\nresult = 'ok'");
            assertEquals("ok", next.result().asText());
        }
    }

    @Test
    void timeoutOutlastsCodeThatSwallowsTheInterrupt() {
        try (Sandbox sandbox = withTimeout()) {
            assertStopsInTime(
                    ExecutionTimeoutException.class,
                    () ->
                            sandbox.execute(
                                    "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"));
            assertTrue(sandbox.isUsable(), "the hard stop is rolled back (SandboxRollbackTest)");
        }
    }

    @Test
    void timeoutStopsALoopInsideCHardAndRollsTheSandboxBack() {
        try (Sandbox sandbox = withTimeout()) {
            sandbox.execute("x = 1");
            ExecutionTimeoutException e =
                    assertStopsInTime(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.execute(
                                            "x = 2\nprint('summing', flush=True)\nsum(range(10**12))"));
            assertEquals("summing\n", e.partialResult().stdout());
            assertTrue(sandbox.isUsable());
            assertEquals(1, sandbox.execute("result = x").result().asInt());
        }
    }

    @Test
    void cancelStopsARunningExecutionFromAnotherThread() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (Sandbox sandbox = Sandbox.builder().stdout(chunk -> started.countDown()).build()) {
            ExecutionHandle handle =
                    sandbox.executeAsync("print('go', flush=True)\nwhile True:\n    pass");
            assertTrue(started.await(10, TimeUnit.SECONDS));
            long start = System.nanoTime();
            Thread canceller = new Thread(handle::cancel);
            canceller.start();
            canceller.join();
            ExecutionCancelledException e =
                    assertThrows(ExecutionCancelledException.class, handle::get);
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMillis < SLACK_MILLIS, "cancel took " + elapsedMillis + " ms");
            assertEquals("go\n", e.partialResult().stdout());
            assertTrue(handle.isDone());
            handle.cancel(); // idempotent
            handle.cancel();
            assertTrue(handle.toCompletableFuture().isCompletedExceptionally());
            assertTrue(sandbox.isUsable());

            ExecutionHandle finished = sandbox.executeAsync("result = 5");
            assertEquals(5, finished.get().result().asInt());
            finished.cancel(); // after completion: no effect
            assertEquals(5, finished.get().result().asInt());
            assertEquals(5, sandbox.execute("result = 5").result().asInt());
        }
    }

    @Test
    void cancellingAQueuedExecutionMeansItNeverRuns() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionHandle running =
                    sandbox.executeAsync("import time\ntime.sleep(0.5)\nran = ['first']");
            ExecutionHandle queued = sandbox.executeAsync("ran.append('queued')");
            queued.cancel();
            ExecutionCancelledException e =
                    assertThrows(ExecutionCancelledException.class, queued::get);
            assertNotNull(e.partialResult());
            assertEquals("", e.partialResult().stdout());
            assertFalse(
                    running.isDone(),
                    "cancelling the queued execution must not wait for the running one");
            running.get();
            assertEquals("[\"first\"]", sandbox.execute("result = ran").result().toString());
        }
    }

    @Test
    void outputCapStopsTheExecutionAndKeepsOutputUpToTheCap() {
        ResourceLimits limits = ResourceLimits.builder().maxOutputBytes(1000).build();
        try (Sandbox sandbox = Sandbox.builder().resourceLimits(limits).build()) {
            OutputLimitException flood =
                    assertThrows(
                            OutputLimitException.class,
                            () -> sandbox.execute("while True:\n    print('x' * 99)"));
            assertEquals(("x".repeat(99) + "\n").repeat(10), flood.partialResult().stdout());
            assertTrue(sandbox.isUsable(), "the output cap stops the guest cooperatively");

            OutputLimitException single =
                    assertThrows(
                            OutputLimitException.class,
                            () ->
                                    sandbox.execute(
                                            "import sys\nsys.stderr.write('e' * 600)\nprint('o' * 600)\nresult = 1"));
            assertEquals("e".repeat(600), single.partialResult().stderr());
            assertEquals("o".repeat(400), single.partialResult().stdout());

            assertEquals("fits\n", sandbox.execute("print('fits')").stdout());
        }
    }

    @Test
    void memoryCapMakesPythonRaiseMemoryError() {
        long cap = 64L << 20;
        ResourceLimits limits = ResourceLimits.builder().maxMemoryBytes(cap).build();
        try (Sandbox sandbox = Sandbox.builder().resourceLimits(limits).build()) {
            PythonException e =
                    assertThrows(
                            PythonException.class,
                            () -> sandbox.execute("x = bytearray(200 * 1024 * 1024)"));
            assertEquals("MemoryError", e.pythonType());
            assertTrue(e.partialResult().stats().peakMemoryBytes() <= cap);
            assertTrue(sandbox.isUsable());
            ExecutionResult r = sandbox.execute("x = bytearray(8 * 1024 * 1024)\nresult = len(x)");
            assertEquals(8 << 20, r.result().asInt());
            assertTrue(r.stats().peakMemoryBytes() <= cap);
        }
    }
}
