package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link SandboxPool.Builder#warmUp} and {@link SandboxPool#ready()}. */
class PoolWarmUpTest {
    private static boolean warmUpThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("eryx-pool-warmup") && t.isAlive());
    }

    private static void awaitNoWarmUpThread() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (warmUpThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(warmUpThreadAlive(), "the warm-up thread ended");
    }

    @Test
    void badArgumentsAreRefused() {
        SandboxPool.Builder b = SandboxPool.builder();
        assertThrows(NullPointerException.class, () -> b.warmUp(null, "pass"));
        assertThrows(
                NullPointerException.class,
                () -> b.warmUp(Duration.ofSeconds(1), (List<String>) null));
        assertThrows(
                NullPointerException.class, () -> b.warmUp(Duration.ofSeconds(1), (String[]) null));
        assertThrows(
                NullPointerException.class, () -> b.warmUp(Duration.ofSeconds(1), "pass", null));
        IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> b.warmUp(Duration.ofSeconds(1)));
        assertTrue(empty.getMessage().contains("corpus"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.warmUp(Duration.ZERO, "pass"));
        assertThrows(
                IllegalArgumentException.class, () -> b.warmUp(Duration.ofSeconds(-1), "pass"));
        IllegalArgumentException tooLong =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> b.warmUp(Duration.ofHours(2), "pass"));
        assertTrue(tooLong.getMessage().contains("1 hour"), tooLong.getMessage());
    }

    @Test
    void withoutAWarmUpThePoolIsReadyAtOnce() {
        try (SandboxPool pool = SandboxPool.builder().minIdle(0).maxSize(1).build()) {
            assertTrue(pool.ready().isDone());
            assertFalse(pool.ready().isCompletedExceptionally());
        }
    }

    @Test
    void theWarmUpRunsTheCorpusInTheBackgroundThenReadyCompletes() throws Exception {
        AtomicInteger printed = new AtomicInteger();
        List<String> corpus =
                new ArrayList<>(List.of("print('w')", "raise ValueError('part of the corpus')"));
        long started = System.nanoTime();
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(2)
                        .template(b -> b.stdout(text -> printed.incrementAndGet()))
                        .warmUp(Duration.ofSeconds(3), corpus)
                        .build()) {
            corpus.clear(); // copied
            assertTrue(
                    System.nanoTime() - started < TimeUnit.SECONDS.toNanos(3)
                            || pool.ready().isDone(),
                    "build() does not wait for the warm-up");
            assertEquals("1\n", pool.execute("print(1)").stdout(), "serves while warming up");
            pool.ready().get(60, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - started >= TimeUnit.SECONDS.toNanos(3));
            assertTrue(printed.get() > 1, "the corpus ran: " + printed.get());
            assertEquals(0, pool.stats().inUse(), "the warm-up lends nothing");
            awaitNoWarmUpThread();
            int after = printed.get();
            Thread.sleep(200);
            assertEquals(after, printed.get(), "nothing runs after ready()");
        }
    }

    @Test
    void closingThePoolEndsTheWarmUpAndFailsReady() throws Exception {
        SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .warmUp(Duration.ofMinutes(10), "while True: pass")
                        .build();
        assertFalse(pool.ready().isDone());
        Thread.sleep(500); // the warm-up is inside its endless execution
        pool.close();
        CancellationException closed =
                assertThrows(CancellationException.class, () -> pool.ready().join());
        assertEquals("the pool was closed", closed.getMessage());
        awaitNoWarmUpThread();
    }

    @Test
    void cancellingReadyEndsTheWarmUpAndThePoolCarriesOn() throws Exception {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .warmUp(Duration.ofMinutes(10), Arrays.asList("x = 1", "while True: pass"))
                        .build()) {
            Thread.sleep(500);
            assertTrue(pool.ready().cancel(true));
            awaitNoWarmUpThread();
            assertEquals("ok\n", pool.execute("print('ok')").stdout());
        }
    }

    @Test
    void aCorpusThatBreaksItsSandboxGetsANewOne() throws Exception {
        AtomicInteger printed = new AtomicInteger();
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .template(b -> b.stdout(text -> printed.incrementAndGet()))
                        .warmUp(Duration.ofSeconds(3), "print('a')", "import os; os._exit(3)")
                        .build()) {
            pool.ready().get(60, TimeUnit.SECONDS);
            assertTrue(printed.get() >= 2, "ran again in a new sandbox: " + printed.get());
        }
    }
}
