package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.eryx.Callback;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.TraceEvent;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hostile guest (and a careless host) against host callbacks: thousands of calls at once, results
 * the host cannot or must not serialise, results over the guest's limits, and a callback that calls
 * back into its own sandbox. Each ends in a clear error at the guest's {@code await} (or the host's
 * call), within bounds, with the sandbox usable and the bystander correct.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CallbackAttacksTest extends SharedVictimAttacks {
    private static final long MAX_OUTPUT = 1 << 20;

    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .maxOutputBytes(MAX_OUTPUT)
                    .callbackTimeout(Duration.ofSeconds(30))
                    .build();

    /** What {@code value(kind=...)} returns. */
    private final Map<String, Supplier<Object>> values = new ConcurrentHashMap<>();

    /** What {@code reenter(op=...)} does to its own sandbox. */
    private final AtomicReference<Sandbox> self = new AtomicReference<>();

    private final AtomicReference<ExecutionHandle> fromOtherThread = new AtomicReference<>();

    // lookup(): blocks until released.
    private volatile CountDownLatch release = new CountDownLatch(0);
    private final AtomicInteger entered = new AtomicInteger();
    private final Set<Thread> lookupThreads = ConcurrentHashMap.newKeySet();

    /** Calls of lookup() the guest has started (CALLBACK_START trace events). */
    private final AtomicInteger started = new AtomicInteger();

    /** A host bean: converting it must not run its getter. */
    public static final class Bean {
        static final AtomicBoolean GETTER_RAN = new AtomicBoolean();

        public String getSecret() {
            GETTER_RAN.set(true);
            return "host secret";
        }
    }

    record Point(int x, int y, List<String> tags) {}

    record Exploding(int x) {
        @Override
        public int x() {
            throw new AssertionError("component accessor failed");
        }
    }

    enum Colour {
        RED
    }

    /** Registered with a mapper. */
    static final class Money {
        final long cents;

        Money(long cents) {
            this.cents = cents;
        }
    }

    @Override
    Sandbox newVictim() {
        Sandbox sandbox =
                Sandbox.builder()
                        .resourceLimits(LIMITS)
                        .callback(Callback.of("echo", "returns its arguments", args -> args))
                        .callback(
                                Callback.of(
                                        "value",
                                        "returns the value named kind",
                                        args -> values.get(args.get("kind").asText()).get()))
                        .callback(Callback.of("reenter", "calls its own sandbox", this::reenter))
                        .callbackValueMapper(Instant.class, Instant::toString)
                        .callbackValueMapper(Money.class, m -> Map.of("cents", m.cents))
                        .build();
        self.set(sandbox);
        return sandbox;
    }

    private Callback lookup() {
        return Callback.of(
                "lookup",
                "waits until the test releases it",
                args -> {
                    lookupThreads.add(Thread.currentThread());
                    entered.incrementAndGet();
                    try {
                        release.await(240, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return 1;
                });
    }

    private Object reenter(JsonNode args) {
        Sandbox sandbox = self.get();
        String op = args.get("op").asText();
        try {
            switch (op) {
                case "execute" -> sandbox.execute("result = 1");
                case "executeAsync" -> sandbox.executeAsync("result = 1");
                case "saveState" -> sandbox.saveState();
                case "reset" -> sandbox.reset();
                case "otherThread" -> {
                    // Not the callback's thread: queues behind the running execution, as before.
                    Thread thread =
                            new Thread(
                                    () ->
                                            fromOtherThread.set(
                                                    sandbox.executeAsync("result = 'queued'")));
                    thread.start();
                    thread.join(10_000);
                    return fromOtherThread.get() != null ? "queued" : "no handle";
                }
                default -> throw new IllegalArgumentException(op);
            }
            return "returned";
        } catch (IllegalStateException e) {
            return "ISE: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The guest's outcome of {@code await value(kind=kind)}: its value, or type and message. */
    private String outcomeOf(String kind, Supplier<Object> value) {
        values.put(kind, value);
        return sandbox.execute(
                        "import eryx, json\n"
                                + "try:\n"
                                + "    result = json.dumps(await value(kind='"
                                + kind
                                + "'), sort_keys=True)\n"
                                + "except Exception as e:\n"
                                + "    result = type(e).__name__ + ': ' + str(e)\n")
                .result()
                .asText();
    }

    // Item 1: host threads.

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS) // a few seconds, unless the machine is loaded
    void threeThousandGatheredCallsTakeAtMostMaxConcurrentThreads() throws Exception {
        int limit = LIMITS.maxConcurrentCallbacks();
        int queue = LIMITS.maxQueuedCallbacks();
        int calls = 3_000;
        release = new CountDownLatch(1);
        entered.set(0);
        started.set(0);
        lookupThreads.clear();
        try (Sandbox own =
                Sandbox.builder()
                        .resourceLimits(
                                LIMITS.toBuilder()
                                        .executionTimeout(Duration.ofSeconds(240))
                                        .callbackTimeout(Duration.ofSeconds(240))
                                        .build())
                        .callback(lookup())
                        .tracer(
                                event -> {
                                    if (event.kind() == TraceEvent.Kind.CALLBACK_START) {
                                        started.incrementAndGet();
                                    }
                                })
                        .build()) {
            int before = ManagementFactory.getThreadMXBean().getThreadCount();
            bystander.alongside(
                    () -> {
                        ExecutionHandle attack =
                                own.executeAsync(
                                        "import asyncio, eryx\n"
                                                + "rs = await asyncio.gather(*[lookup() for _ in range("
                                                + calls
                                                + ")], return_exceptions=True)\n"
                                                + "errors = [r for r in rs if isinstance(r, eryx.CallbackError)]\n"
                                                + "result = [rs.count(1), len(errors), str(errors[0]) if errors else '']\n");
                        try {
                            // Holds every call until the guest has started all of them.
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
                            while ((started.get() < calls || entered.get() < limit)
                                    && System.nanoTime() < deadline) {
                                Thread.sleep(20);
                            }
                            Thread.sleep(300); // time for more threads, were any to come
                            int during = ManagementFactory.getThreadMXBean().getThreadCount();
                            assertEquals(calls, started.get(), "calls the guest started");
                            assertEquals(limit, entered.get(), "calls running at once");
                            assertEquals(limit, lookupThreads.size(), "host threads serving them");
                            // Generous: the bystander and the JVM may start a few threads
                            // meanwhile.
                            assertTrue(
                                    during - before <= limit + 24,
                                    "live threads went from " + before + " to " + during);
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        } finally {
                            release.countDown();
                        }
                        JsonNode result = attack.get().result();
                        assertEquals(limit + queue, result.get(0).asInt(), result.toString());
                        assertEquals(
                                calls - limit - queue, result.get(1).asInt(), result.toString());
                        assertTrue(
                                result.get(2).asText().contains("maxQueuedCallbacks"),
                                result.toString());
                    });
        }
    }

    @Test
    void timeWaitingForAPlaceCountsTowardTheCallbackTimeout() {
        AtomicInteger ran = new AtomicInteger();
        Callback stubborn =
                Callback.of(
                        "stubborn",
                        "ignores interrupts for 1.5 s",
                        args -> {
                            ran.incrementAndGet();
                            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
                            for (long left; (left = end - System.nanoTime()) > 0; ) {
                                try {
                                    TimeUnit.NANOSECONDS.sleep(left);
                                } catch (InterruptedException ignored) {
                                    // keeps its thread, and so its place, until it is done
                                }
                            }
                            return 1;
                        });
        ResourceLimits limits =
                LIMITS.toBuilder()
                        .maxConcurrentCallbacks(1)
                        .callbackTimeout(Duration.ofMillis(400))
                        .build();
        try (Sandbox own = Sandbox.builder().callback(stubborn).resourceLimits(limits).build()) {
            bystander.alongside(
                    () -> {
                        JsonNode result =
                                own.execute(
                                                "import asyncio\n"
                                                        + "rs = await asyncio.gather(stubborn(), stubborn(),"
                                                        + " return_exceptions=True)\n"
                                                        + "result = [type(r).__name__ for r in rs]")
                                        .result();
                        assertEquals("[\"TimeoutError\",\"TimeoutError\"]", result.toString());
                        assertEquals(1, ran.get(), "the call that timed out waiting ran");
                    });
        }
    }

    @Test
    void anUnboundedInjectedExecutorGetsAtMostMaxConcurrentCallsAtOnce() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        Callback slow =
                Callback.of(
                        "slow",
                        "sleeps 50 ms",
                        args -> {
                            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } finally {
                                running.decrementAndGet();
                            }
                            return 1;
                        });
        ExecutorService unbounded = Executors.newCachedThreadPool();
        ResourceLimits limits = LIMITS.toBuilder().maxConcurrentCallbacks(4).build();
        try (Sandbox own =
                Sandbox.builder()
                        .callback(slow)
                        .callbackExecutor(unbounded)
                        .resourceLimits(limits)
                        .build()) {
            bystander.alongside(
                    () -> {
                        int sum =
                                own.execute(
                                                "import asyncio\n"
                                                        + "result = sum(await asyncio.gather(*[slow() for _ in range(60)]))")
                                        .result()
                                        .asInt();
                        assertEquals(60, sum);
                        assertTrue(mostAtOnce.get() <= 4, "at once: " + mostAtOnce.get());
                        assertTrue(mostAtOnce.get() > 1, "one at a time: " + mostAtOnce.get());
                    });
        } finally {
            unbounded.shutdownNow();
        }
    }

    @Test
    void aRejectingExecutorGivesCallbackErrorsAndGivesThePlacesBack() {
        Executor refusing =
                task -> {
                    throw new RejectedExecutionException("no threads left");
                };
        ResourceLimits limits =
                LIMITS.toBuilder()
                        .maxConcurrentCallbacks(2)
                        .callbackTimeout(Duration.ofSeconds(10))
                        .build();
        try (Sandbox own =
                Sandbox.builder()
                        .callback(Callback.of("f", "never runs", args -> 1))
                        .callbackExecutor(refusing)
                        .resourceLimits(limits)
                        .build()) {
            bystander.alongside(
                    () -> {
                        for (int round = 0; round < 2; round++) {
                            long start = System.nanoTime();
                            JsonNode result =
                                    own.execute(
                                                    "import asyncio\n"
                                                            + "rs = await asyncio.gather(*[f() for _ in range(20)],"
                                                            + " return_exceptions=True)\n"
                                                            + "result = sorted({type(r).__name__ + ': ' + str(r) for r in rs})")
                                            .result();
                            assertEquals(1, result.size(), result.toString());
                            String only = result.get(0).asText();
                            assertTrue(only.startsWith("CallbackError"), only);
                            assertTrue(only.contains("no threads left"), only);
                            // A place not given back would make later calls wait for the timeout.
                            assertTrue(
                                    System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8),
                                    "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
                        }
                    });
        }
    }

    // Items 8 and 9: what a callback returns.

    @Test
    void resultsThatFailToSerialiseSettleAtOnce() {
        bystander.alongside(
                () -> {
                    long start = System.nanoTime();
                    String deep =
                            outcomeOf(
                                    "deep",
                                    () -> {
                                        List<Object> list = new ArrayList<>();
                                        for (int i = 0; i < 20_000; i++) {
                                            list = new ArrayList<>(List.of(list));
                                        }
                                        return list;
                                    });
                    assertTrue(deep.startsWith("CallbackError: "), deep);
                    assertTrue(deep.contains("nested deeper than 1000 levels"), deep);

                    String exploding = outcomeOf("exploding", () -> new Exploding(1));
                    assertTrue(exploding.startsWith("CallbackError: "), exploding);
                    assertTrue(exploding.contains("component accessor failed"), exploding);

                    String cycle =
                            outcomeOf(
                                    "cycle",
                                    () -> {
                                        List<Object> list = new ArrayList<>();
                                        list.add(list);
                                        return list;
                                    });
                    assertTrue(cycle.startsWith("CallbackError: "), cycle);

                    // (A graph sharing its parts is stopped by the size bound: ResultEncoderTest.)

                    assertTrue(
                            System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20),
                            "not at once: " + (System.nanoTime() - start) / 1_000_000 + " ms");
                });
    }

    @Test
    void hostObjectsAreRefusedByTypeWithoutRunningTheirMethods() {
        bystander.alongside(
                () -> {
                    Thread thread = new Thread(() -> {}, "host-thread-name");
                    String t = outcomeOf("thread", () -> thread);
                    assertTrue(t.startsWith("CallbackError: "), t);
                    assertTrue(t.contains("java.lang.Thread"), t);
                    assertFalse(t.contains("host-thread-name"), t);
                    assertFalse(t.contains("at java."), t);
                    assertFalse(t.contains(System.getProperty("java.version")), t);

                    String p = outcomeOf("path", () -> Path.of("/etc/passwd"));
                    assertTrue(p.startsWith("CallbackError: "), p);
                    assertFalse(p.contains("passwd"), p);

                    Bean.GETTER_RAN.set(false);
                    String b = outcomeOf("bean", () -> Map.of("inner", List.of(new Bean())));
                    assertTrue(b.startsWith("CallbackError: "), b);
                    assertTrue(b.contains(Bean.class.getName()), b);
                    assertTrue(b.contains("result['inner'][0]"), b);
                    assertFalse(Bean.GETTER_RAN.get(), "a getter of a host object ran");
                    String pojo = outcomeOf("pojo", () -> new POJONode(new Bean()));
                    assertTrue(pojo.startsWith("CallbackError: "), pojo);
                    assertFalse(Bean.GETTER_RAN.get(), "a getter of a host object ran");
                });
    }

    @Test
    void jsonLikeValuesAndRegisteredTypesComeThrough() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("point", new Point(1, 2, List.of("a")));
        map.put("colour", Colour.RED);
        map.put("none", Optional.empty());
        map.put("some", Optional.of(3));
        map.put("decimal", new BigDecimal("1.5"));
        map.put("ints", new int[] {1, 2});
        map.put("char", 'c');
        map.put("when", Instant.ofEpochSecond(0));
        map.put("money", new Money(250));
        map.put("node", JsonNodeFactory.instance.objectNode().put("k", "v"));
        map.put("set", Set.of(7));
        map.put("intKeys", Map.of(1, "one"));
        map.put("null", null);
        assertEquals(
                "{\"char\": \"c\", \"colour\": \"RED\", \"decimal\": 1.5, \"intKeys\": {\"1\": \"one\"},"
                        + " \"ints\": [1, 2], \"money\": {\"cents\": 250}, \"node\": {\"k\": \"v\"},"
                        + " \"none\": null, \"null\": null, \"point\": {\"tags\": [\"a\"], \"x\": 1,"
                        + " \"y\": 2}, \"set\": [7], \"some\": 3, \"when\": \"1970-01-01T00:00:00Z\"}",
                outcomeOf("mixed", () -> map));
        String nan = outcomeOf("nan", () -> List.of(Double.NaN));
        assertTrue(nan.startsWith("CallbackError: ") && nan.contains("result[0]"), nan);
        String key = outcomeOf("objectKey", () -> Map.of(List.of(1), 1));
        assertTrue(key.startsWith("CallbackError: ") && key.contains("keys must be strings"), key);
    }

    // Items 10 and 4: limits, at the await.

    @Test
    void resultsOverTheLimitsFailAtTheAwaitWhereTheGuestCanCatchThem() {
        bystander.alongside(
                () -> {
                    BigInteger big = BigInteger.TEN.pow(5_000);
                    String tooManyDigits = outcomeOf("big", () -> big);
                    assertTrue(tooManyDigits.startsWith("CallbackError: "), tooManyDigits);
                    assertTrue(tooManyDigits.contains("4300 digits"), tooManyDigits);

                    String tooLong = outcomeOf("long", () -> "x".repeat((int) MAX_OUTPUT + 1));
                    assertTrue(tooLong.startsWith("CallbackError: "), tooLong);
                    assertTrue(tooLong.contains("maxOutputBytes"), tooLong);

                    // The guest lowered its own limit: its decoder refuses, still at the await.
                    values.put("digits", () -> BigInteger.TEN.pow(1_000));
                    String lowered =
                            sandbox.execute(
                                            "import sys\n"
                                                    + "sys.set_int_max_str_digits(640)\n"
                                                    + "try:\n"
                                                    + "    await value(kind='digits')\n"
                                                    + "    result = 'ok'\n"
                                                    + "except ValueError as e:\n"
                                                    + "    result = 'ValueError: ' + str(e)\n"
                                                    + "finally:\n"
                                                    + "    sys.set_int_max_str_digits(4300)\n")
                                    .result()
                                    .asText();
                    assertTrue(lowered.startsWith("ValueError: "), lowered);
                });
    }

    @Test
    void valuesWithinTheLimitsComeThroughBothWays() {
        bystander.alongside(
                () -> {
                    BigInteger max = BigInteger.TEN.pow(4_300).subtract(BigInteger.ONE).negate();
                    assertEquals(
                            "4301",
                            outcomeOf("maxInt", () -> max).length() + "",
                            "a 4,300-digit integer (and its sign)");
                    ExecutionResult r =
                            sandbox.execute(
                                    "depth = 990\n"
                                            + "deep = []\n"
                                            + "for _ in range(depth):\n"
                                            + "    deep = [deep]\n"
                                            + "n = -(10 ** 4300 - 1)\n"
                                            + "s = 'é' * (300 * 1024)\n"
                                            + "back = await echo(deep=deep, n=n, s=s)\n"
                                            + "d, x = 0, back['deep']\n"
                                            + "while x:\n"
                                            + "    d, x = d + 1, x[0]\n"
                                            + "result = [d, back['n'] == n, back['s'] == s]\n");
                    assertEquals("[990,true,true]", r.result().toString());

                    String over =
                            sandbox.execute(
                                            "import eryx\n"
                                                    + "try:\n"
                                                    + "    await echo(s='x' * ("
                                                    + MAX_OUTPUT
                                                    + " + 1))\n"
                                                    + "    result = 'ok'\n"
                                                    + "except eryx.CallbackError as e:\n"
                                                    + "    result = str(e)\n")
                                    .result()
                                    .asText();
                    assertTrue(over.contains("maxOutputBytes"), over);
                });
    }

    // Item 11: re-entrance.

    @Test
    void aCallbackCallingItsOwnSandboxFailsAtOnceInsteadOfDeadlocking() {
        bystander.alongside(
                () -> {
                    long start = System.nanoTime();
                    JsonNode result =
                            sandbox.execute(
                                            "result = [await reenter(op=op) for op in"
                                                    + " ('execute', 'executeAsync', 'saveState', 'reset')]")
                                    .result();
                    for (JsonNode outcome : result) {
                        assertTrue(outcome.asText().startsWith("ISE: "), result.toString());
                        assertTrue(
                                outcome.asText().contains("would wait for itself"),
                                result.toString());
                    }
                    assertTrue(
                            System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20),
                            "took " + (System.nanoTime() - start) / 1_000_000 + " ms");

                    // From any other thread a call queues as before, and runs afterwards.
                    fromOtherThread.set(null);
                    assertEquals(
                            "queued",
                            sandbox.execute("result = await reenter(op='otherThread')")
                                    .result()
                                    .asText());
                    assertEquals("queued", fromOtherThread.get().get().result().asText());
                });
    }

    @Test
    void aTracerCallingItsOwnSandboxFailsAtOnce() {
        AtomicReference<Sandbox> traced = new AtomicReference<>();
        AtomicReference<String> outcome = new AtomicReference<>();
        try (Sandbox own =
                Sandbox.builder()
                        .tracer(
                                event -> {
                                    if (outcome.get() == null) {
                                        try {
                                            traced.get().execute("result = 1");
                                            outcome.set("returned");
                                        } catch (IllegalStateException e) {
                                            outcome.set("ISE: " + e.getMessage());
                                        }
                                    }
                                })
                        .build()) {
            traced.set(own);
            bystander.alongside(
                    () -> {
                        assertEquals(2, own.execute("x = 1\nresult = x + 1").result().asInt());
                        assertTrue(outcome.get().startsWith("ISE: "), outcome.get());
                    });
        }
    }
}
