package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Callbacks registered by the pool's template work in every pooled sandbox (restored from the
 * pool's image).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolCallbacksTest {

    @Test
    void templateCallbacksWorkInEveryPooledSandboxAndRunInParallel() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        // Calls in flight per run (the guest passes its run id), and the most seen at once.
        Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        Map<String, Integer> mostAtOnce = new ConcurrentHashMap<>();
        Callback slow =
                Callback.of(
                        "lookup",
                        "sleeps 300 ms, returns its key",
                        args -> {
                            calls.incrementAndGet();
                            String run = args.path("run").asText();
                            int now =
                                    inFlight.computeIfAbsent(run, r -> new AtomicInteger())
                                            .incrementAndGet();
                            mostAtOnce.merge(run, now, Math::max);
                            try {
                                Thread.sleep(300);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } finally {
                                inFlight.get(run).decrementAndGet();
                            }
                            return args.get("key").asText();
                        });
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(2)
                        .preload("asyncio", "json")
                        .acquireTimeout(Duration.ofSeconds(60))
                        .template(b -> b.callback(slow))
                        .build()) {
            String code =
                    String.join(
                            "\n",
                            "import asyncio, eryx",
                            "values = await asyncio.gather(*(lookup(key=k, run=RUN) for k in 'abc'))",
                            "result = {'values': values, 'listed': [c['name'] for c in eryx.list_callbacks()]}");
            // Several leases, from two threads, so more than one pooled sandbox serves them.
            ExecutorService clients = Executors.newFixedThreadPool(2);
            try {
                List<Future<ExecutionResult>> futures = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String run = "RUN = 'run-" + i + "'\n";
                    futures.add(clients.submit(() -> pool.execute(run + code)));
                }
                for (Future<ExecutionResult> future : futures) {
                    ExecutionResult r = future.get(60, TimeUnit.SECONDS);
                    assertEquals("[\"a\",\"b\",\"c\"]", r.result().get("values").toString());
                    assertEquals("[\"lookup\"]", r.result().get("listed").toString());
                    List<Effect> effects = r.effects();
                    assertEquals(
                            List.of("lookup", "lookup", "lookup"),
                            effects.stream().map(Effect::target).collect(Collectors.toList()));
                }
            } finally {
                clients.shutdownNow();
            }
            assertEquals(12, calls.get());
            // Each gather had its three calls running together on the host (one at a time: 1).
            assertEquals(4, mostAtOnce.size(), mostAtOnce.toString());
            assertTrue(
                    mostAtOnce.values().stream().allMatch(most -> most >= 2),
                    mostAtOnce.toString());
            assertTrue(pool.stats().creations() >= 2, pool.stats().toString());
            // A session keeps its callbacks across executions of one lease.
            try (PooledSandbox session = pool.acquire()) {
                session.execute("first = await lookup(key='x', run='session')");
                assertEquals(
                        "\"xy\"",
                        session.execute("result = first + await lookup(key='y', run='session')")
                                .result()
                                .toString());
            }
        }
    }

    @Test
    void theCallbacksOfEveryPooledSandboxRunOnTheInjectedExecutor() throws Exception {
        ExecutorService host = Executors.newFixedThreadPool(2, r -> new Thread(r, "host-pool-cb"));
        try {
            Callback name =
                    Callback.of("thread_name", "", args -> Thread.currentThread().getName());
            try (SandboxPool pool =
                    SandboxPool.builder()
                            .minIdle(1)
                            .maxSize(1)
                            .template(b -> b.callback(name))
                            .callbackExecutor(host)
                            .build()) {
                assertEquals(
                        "host-pool-cb",
                        pool.execute("result = await thread_name()").result().asText());
            }
            assertTrue(!host.isShutdown(), "closing the pool shut down the host's executor");
        } finally {
            host.shutdownNow();
        }
    }
}
