package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * callbackTimeout, maxCallbackInvocations, stopping executions with calls in flight, and the
 * ledger.
 */
class CallbackLimitsAndLedgerTest {

    private static Sandbox.Builder withTools(CountDownLatch started, CountDownLatch interrupted) {
        return Sandbox.builder()
                .callback(Callback.of("ping", "pong", args -> "pong"))
                .callback(
                        Callback.of(
                                "boom",
                                "throws",
                                args -> {
                                    throw new UnsupportedOperationException("nope");
                                }))
                .callback(
                        Callback.of(
                                "block",
                                "blocks until interrupted",
                                args -> {
                                    started.countDown();
                                    try {
                                        Thread.sleep(60_000);
                                    } catch (InterruptedException e) {
                                        interrupted.countDown();
                                    }
                                    return "woke";
                                }));
    }

    @Test
    void callbackTimeoutRaisesTimeoutErrorAndInterruptsTheHostCall() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        ResourceLimits limits =
                ResourceLimits.builder().callbackTimeout(Duration.ofMillis(200)).build();
        try (Sandbox sandbox = withTools(started, interrupted).resourceLimits(limits).build()) {
            long t0 = System.nanoTime();
            PythonException e =
                    assertThrows(PythonException.class, () -> sandbox.execute("await block()"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals("TimeoutError", e.pythonType());
            assertTrue(e.getMessage().contains("'block' did not finish within"), e.getMessage());
            assertTrue(millis < 5_000, "took " + millis);
            assertTrue(
                    interrupted.await(5, TimeUnit.SECONDS), "the host thread was not interrupted");
            List<Effect> effects = e.partialResult().effects();
            assertEquals(1, effects.size());
            assertEquals(Effect.Outcome.TIMEOUT, effects.get(0).outcome());
            assertTrue(effects.get(0).duration().toMillis() >= 190, effects.toString());
            // The sandbox stays usable.
            assertEquals("pong", sandbox.execute("result = await ping()").result().asText());
        }
    }

    @Test
    void maxCallbackInvocationsIsEnforcedPerExecution() {
        ResourceLimits limits = ResourceLimits.builder().maxCallbackInvocations(2).build();
        try (Sandbox sandbox =
                withTools(new CountDownLatch(1), new CountDownLatch(1))
                        .resourceLimits(limits)
                        .build()) {
            PythonException e =
                    assertThrows(
                            PythonException.class,
                            () ->
                                    sandbox.execute(
                                            "a = await ping()\nb = await ping()\nc = await ping()"));
            assertEquals("CallbackError", e.pythonType());
            assertTrue(e.getMessage().contains("limit"), e.getMessage());
            assertEquals(2, e.partialResult().stats().callbackInvocations());
            assertEquals(
                    List.of(Effect.Outcome.OK, Effect.Outcome.OK, Effect.Outcome.REJECTED),
                    e.partialResult().effects().stream()
                            .map(Effect::outcome)
                            .collect(Collectors.toList()));
            // The count starts again with each execution.
            ExecutionResult r = sandbox.execute("result = [await ping(), await ping()]");
            assertEquals(2, r.stats().callbackInvocations());
        }
    }

    @Test
    void cancellingTheExecutionCancelsPendingHostCalls() throws Exception {
        CountDownLatch started = new CountDownLatch(3);
        CountDownLatch interrupted = new CountDownLatch(3);
        try (Sandbox sandbox = withTools(started, interrupted).build()) {
            ExecutionHandle handle =
                    sandbox.executeAsync(
                            "import asyncio\nprint('before')\nawait asyncio.gather(block(), block(), block())");
            assertTrue(started.await(20, TimeUnit.SECONDS), "callbacks did not start");
            long t0 = System.nanoTime();
            handle.cancel();
            ExecutionCancelledException e =
                    assertThrows(ExecutionCancelledException.class, handle::get);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2_000);
            assertTrue(interrupted.await(5, TimeUnit.SECONDS), "host calls were not cancelled");
            assertEquals("before\n", e.partialResult().stdout());
            List<Effect> effects = e.partialResult().effects();
            assertEquals(3, effects.size(), effects.toString());
            assertTrue(
                    effects.stream()
                            .allMatch(
                                    x ->
                                            x.outcome() == Effect.Outcome.CANCELLED
                                                    && x.kind() == Effect.Kind.CALLBACK
                                                    && x.target().equals("block")),
                    effects.toString());
            assertTrue(sandbox.isUsable());
            // Nothing of the stopped execution leaks into the next one.
            ExecutionResult next = sandbox.execute("result = await ping()");
            assertEquals("pong", next.result().asText());
            assertEquals(1, next.effects().size());
        }
    }

    @Test
    void executionTimeoutCancelsPendingHostCalls() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        ResourceLimits limits =
                ResourceLimits.builder().executionTimeout(Duration.ofMillis(500)).build();
        try (Sandbox sandbox = withTools(started, interrupted).resourceLimits(limits).build()) {
            ExecutionTimeoutException e =
                    assertThrows(
                            ExecutionTimeoutException.class,
                            () -> sandbox.execute("await block()"));
            assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the host call was not cancelled");
            assertEquals(Effect.Outcome.CANCELLED, e.partialResult().effects().get(0).outcome());
            assertTrue(sandbox.isUsable());
            assertEquals("pong", sandbox.execute("result = await ping()").result().asText());
        }
    }

    @Test
    void ledgerRecordsEveryCallInOrderOfCompletion() {
        try (Sandbox sandbox = withTools(new CountDownLatch(1), new CountDownLatch(1)).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import asyncio",
                                    "await ping()",
                                    "try:",
                                    "    await boom()",
                                    "except Exception:",
                                    "    pass",
                                    "# forging attempts: the guest can only call the bridge, never write the ledger",
                                    "import _eryx",
                                    "try:",
                                    "    _eryx.invoke(5, b'\\x02{\"kind\":\"CALLBACK\"}')",
                                    "except Exception:",
                                    "    pass",
                                    "t = asyncio.create_task(block())",
                                    "await asyncio.sleep(0.05)",
                                    "t.cancel()",
                                    "await asyncio.sleep(0)",
                                    "r = await asyncio.gather(ping(), ping())",
                                    "# started, never awaited: cancelled when the execution ends",
                                    "asyncio.create_task(block())",
                                    "await asyncio.sleep(0.05)"));
            List<Effect> effects = r.effects();
            assertEquals(
                    List.of(
                            "ping:OK",
                            "boom:ERROR",
                            "block:CANCELLED",
                            "ping:OK",
                            "ping:OK",
                            "block:CANCELLED"),
                    effects.stream()
                            .map(e -> e.target() + ":" + e.outcome())
                            .collect(Collectors.toList()));
            assertEquals(6, r.stats().callbackInvocations());
            assertTrue(effects.get(0).bytes() > 0);
            assertNotNull(effects.get(0).duration());
        }
    }

    @Test
    void sandboxesWithoutCallbacksHaveAnEmptyLedgerAndNoTools() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult r =
                    sandbox.execute(
                            "import eryx, sys\nresult = [eryx.list_callbacks(), sys.monitoring.get_tool(4)]");
            assertEquals("[[],null]", r.result().toString());
            assertTrue(r.effects().isEmpty());
            PythonException e =
                    assertThrows(
                            PythonException.class,
                            () -> sandbox.execute("import eryx\nawait eryx.invoke('x')"));
            assertEquals("NameError", e.pythonType());
        }
    }

    @Test
    void builderRejectsDuplicateAndInvalidNames() {
        assertThrows(IllegalArgumentException.class, () -> Callback.of("not valid", "", a -> null));
        assertThrows(IllegalArgumentException.class, () -> Callback.of("class", "", a -> null));
        Callback c = Callback.of("dup", "", a -> null);
        assertThrows(
                IllegalArgumentException.class,
                () -> Sandbox.builder().callback(c).callback(c).build());
        assertNull(c.schema());
        assertFalse(c.toString().isEmpty());
    }
}
