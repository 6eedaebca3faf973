package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where host functions run: an executor the host injects, or the sandbox's bounded default. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CallbackExecutorTest {
    /** The bound set below (maxConcurrentCallbacks): the default executor's most threads. */
    private static final int DEFAULT_THREADS = 16;

    private static Callback threadName() {
        return Callback.of("thread_name", "the host thread's name", args -> currentThreadName());
    }

    private static String currentThreadName() {
        return Thread.currentThread().getName();
    }

    @Test
    void callbacksRunOnTheInjectedExecutorWhichTheSandboxNeverShutsDown() throws Exception {
        AtomicInteger count = new AtomicInteger();
        ExecutorService host =
                Executors.newFixedThreadPool(
                        2, r -> new Thread(r, "host-callbacks-" + count.incrementAndGet()));
        try {
            try (Sandbox sandbox =
                    Sandbox.builder().callback(threadName()).callbackExecutor(host).build()) {
                ExecutionResult r =
                        sandbox.execute(
                                "import asyncio\n"
                                        + "result = await asyncio.gather(thread_name(), thread_name())");
                for (int i = 0; i < 2; i++) {
                    String name = r.result().get(i).asText();
                    assertTrue(name.startsWith("host-callbacks-"), name);
                }
            }
            assertFalse(host.isShutdown(), "closing the sandbox shut down the host's executor");
            assertEquals("still mine", host.submit(() -> "still mine").get(5, TimeUnit.SECONDS));
        } finally {
            host.shutdownNow();
        }
    }

    @Test
    void theDefaultExecutorIsBoundedAndQueuesCallsBeyondItsThreads() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Callback slow =
                Callback.of(
                        "slow",
                        "sleeps 100 ms",
                        args -> {
                            threads.add(currentThreadName());
                            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                            try {
                                Thread.sleep(100);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } finally {
                                running.decrementAndGet();
                            }
                            return args.get("i").asInt();
                        });
        int calls = DEFAULT_THREADS * 3;
        ResourceLimits limits =
                ResourceLimits.builder().maxConcurrentCallbacks(DEFAULT_THREADS).build();
        try (Sandbox sandbox = Sandbox.builder().callback(slow).resourceLimits(limits).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            "import asyncio\n"
                                    + "result = sum(await asyncio.gather(*(slow(i=i) for i in range("
                                    + calls
                                    + "))))");
            assertEquals(calls * (calls - 1) / 2, r.result().asInt());
            assertEquals(calls, r.stats().callbackInvocations());
            assertTrue(
                    mostAtOnce.get() <= DEFAULT_THREADS,
                    "at once: " + mostAtOnce.get() + " on " + threads);
            assertTrue(mostAtOnce.get() > 1, "calls ran one by one: " + mostAtOnce.get());
            assertTrue(threads.size() <= DEFAULT_THREADS, threads.toString());
            for (String name : threads) {
                assertTrue(name.startsWith("eryx-callback-"), name);
            }
            List<Effect> effects = r.effects();
            assertEquals(calls, effects.size());
            assertTrue(effects.stream().allMatch(e -> e.outcome() == Effect.Outcome.OK));
        }
    }

    @Test
    void aCallTheExecutorRejectsIsACallbackErrorAndALedgerEntry() {
        AtomicInteger refused = new AtomicInteger();
        Executor full =
                task -> {
                    refused.incrementAndGet();
                    throw new RejectedExecutionException("queue full");
                };
        try (Sandbox sandbox =
                Sandbox.builder().callback(threadName()).callbackExecutor(full).build()) {
            PythonException e =
                    assertThrows(
                            PythonException.class, () -> sandbox.execute("await thread_name()"));
            assertEquals("CallbackError", e.pythonType());
            assertTrue(e.getMessage().contains("queue full"), e.getMessage());
            List<Effect> effects = e.partialResult().effects();
            assertEquals(1, effects.size(), effects.toString());
            assertEquals(Effect.Kind.CALLBACK, effects.get(0).kind());
            assertEquals(Effect.Outcome.ERROR, effects.get(0).outcome());
            assertTrue(
                    effects.get(0).error().orElse("").contains("queue full"), effects.toString());

            // Caught in the guest like any failed call; the sandbox stays usable.
            ExecutionResult r =
                    sandbox.execute(
                            "import eryx\n"
                                    + "try:\n"
                                    + "    await thread_name()\n"
                                    + "except eryx.CallbackError as e:\n"
                                    + "    result = type(e).__name__\n");
            assertEquals("CallbackError", r.result().asText());
            assertEquals(2, refused.get());
            assertEquals(2, sandbox.execute("result = 1 + 1").result().asInt());
        }
    }

    @Test
    void aTimedOutCallIsInterruptedOnAPlainExecutor() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        Callback block =
                Callback.of(
                        "block",
                        "blocks until interrupted",
                        args -> {
                            try {
                                Thread.sleep(60_000);
                            } catch (InterruptedException e) {
                                interrupted.countDown();
                            }
                            return "woke";
                        });
        // Not an ExecutorService: nothing to cancel through but the sandbox's own task.
        Executor plain = task -> new Thread(task, "host-plain").start();
        ResourceLimits limits =
                ResourceLimits.builder().callbackTimeout(Duration.ofMillis(200)).build();
        try (Sandbox sandbox =
                Sandbox.builder()
                        .callback(block)
                        .callbackExecutor(plain)
                        .resourceLimits(limits)
                        .build()) {
            PythonException e =
                    assertThrows(PythonException.class, () -> sandbox.execute("await block()"));
            assertEquals("TimeoutError", e.pythonType());
            assertTrue(
                    interrupted.await(5, TimeUnit.SECONDS), "the host thread was not interrupted");
        }
    }
}
