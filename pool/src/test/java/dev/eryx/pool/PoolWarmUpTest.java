package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link SandboxPool.Builder#warmUp} and {@link SandboxPool#ready()}. */
class PoolWarmUpTest {
    private static Set<Thread> warmUpThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("eryx-pool-warmup") && t.isAlive())
                .collect(Collectors.toSet());
    }

    /** Builds the pool and returns its warm-up thread (those alive before are other pools'). */
    private static Thread warmUpThreadOf(Supplier<SandboxPool> build, SandboxPool[] pool) {
        Set<Thread> before = warmUpThreads();
        pool[0] = build.get();
        Set<Thread> mine = warmUpThreads();
        mine.removeAll(before);
        assertEquals(1, mine.size(), "the pool started one warm-up thread");
        return mine.iterator().next();
    }

    private static void awaitEnd(Thread warmUp) throws InterruptedException {
        warmUp.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(warmUp.isAlive(), "the warm-up thread ended");
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
    void buildDoesNotWaitForTheWarmUp() {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .warmUp(Duration.ofMinutes(10), "x = 1")
                        .build()) {
            assertFalse(pool.ready().isDone(), "a 10-minute warm-up is still running");
        }
    }

    @Test
    void theWarmUpRunsTheCorpusInTheBackgroundThenReadyCompletes() throws Exception {
        StringBuffer printed = new StringBuffer();
        List<String> corpus =
                new ArrayList<>(List.of("print('w')", "raise ValueError('part of the corpus')"));
        long started = System.nanoTime();
        SandboxPool[] built = new SandboxPool[1];
        Thread warmUp =
                warmUpThreadOf(
                        () ->
                                SandboxPool.builder()
                                        .minIdle(1)
                                        .maxSize(2)
                                        .template(b -> b.stdout(printed::append))
                                        .warmUp(Duration.ofSeconds(3), corpus)
                                        .build(),
                        built);
        try (SandboxPool pool = built[0]) {
            corpus.clear(); // copied
            assertEquals("1\n", pool.execute("print(1)").stdout(), "serves while warming up");
            pool.ready().get(60, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - started >= TimeUnit.SECONDS.toNanos(3));
            assertTrue(count(printed.toString(), "w\n") > 1, "the corpus ran: " + printed);
            assertEquals(0, pool.stats().inUse(), "the warm-up lends nothing");
            awaitEnd(warmUp);
            int after = printed.length();
            Thread.sleep(200);
            assertEquals(after, printed.length(), "nothing runs after ready()");
        }
    }

    private static boolean closeIsOnTheStack() {
        for (StackTraceElement frame : Thread.currentThread().getStackTrace()) {
            if (frame.getClassName().equals(SandboxPool.class.getName())
                    && frame.getMethodName().equals("close")) {
                return true;
            }
        }
        return false;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    @Test
    void closingThePoolEndsTheWarmUpAndFailsReadyOutsideClose() throws Exception {
        SandboxPool[] built = new SandboxPool[1];
        Thread warmUp =
                warmUpThreadOf(
                        () ->
                                SandboxPool.builder()
                                        .minIdle(0)
                                        .maxSize(1)
                                        .warmUp(Duration.ofMinutes(10), "while True: pass")
                                        .build(),
                        built);
        SandboxPool pool = built[0];
        CompletableFuture<Void> ready = pool.ready();
        // A waiting join() may run the dependents itself (CompletableFuture helps complete what it
        // waited for), so the caller's thread is allowed; close() on the stack is not.
        CompletableFuture<Boolean> insideClose = new CompletableFuture<>();
        ready.whenComplete((done, failure) -> insideClose.complete(closeIsOnTheStack()));
        assertFalse(ready.isDone());
        Thread.sleep(500); // the warm-up is inside its endless execution
        pool.close();
        CancellationException closed = assertThrows(CancellationException.class, ready::join);
        assertCancelledWith("the pool was closed", closed);
        assertFalse(insideClose.get(60, TimeUnit.SECONDS), "not run inside close()");
        awaitEnd(warmUp);
    }

    @Test
    void readyHandsOutCopies() throws Exception {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .warmUp(Duration.ofSeconds(2), "x = 1")
                        .build()) {
            CompletableFuture<Void> mine = pool.ready();
            assertNotSame(mine, pool.ready());
            mine.complete(null); // a caller's own business
            assertFalse(pool.ready().isDone(), "the pool's warm-up goes on");
            pool.ready().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void cancellingReadyEndsTheWarmUpAndThePoolCarriesOn() throws Exception {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .warmUp(Duration.ofMinutes(10), Arrays.asList("x = 1", "while True: pass"))
                        .build()) {
            CompletableFuture<Void> other = pool.ready();
            Thread.sleep(500);
            assertTrue(pool.ready().cancel(true));
            CancellationException cancelled =
                    assertThrows(
                            CancellationException.class, () -> other.get(30, TimeUnit.SECONDS));
            assertCancelledWith("the warm-up was cancelled", cancelled);
            assertEquals("ok\n", pool.execute("print('ok')").stdout());
        }
    }

    @Test
    void aCorpusThatBreaksItsSandboxGetsANewOne() throws Exception {
        StringBuffer printed = new StringBuffer();
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .template(b -> b.stdout(printed::append))
                        .warmUp(Duration.ofSeconds(3), "print('a')", "import os; os._exit(3)")
                        .build()) {
            pool.ready().get(60, TimeUnit.SECONDS);
            assertTrue(
                    count(printed.toString(), "a\n") >= 2,
                    "ran again in a new sandbox: " + printed);
        }
    }

    /**
     * The pool's reason is the message of the CancellationException it completed ready() with; JDK
     * 23+ throws a new one from get() and join() ("get", "join") with the original as its cause.
     */
    private static void assertCancelledWith(String reason, CancellationException thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof CancellationException && reason.equals(t.getMessage())) {
                return;
            }
        }
        throw new AssertionError(
                "no CancellationException(\"" + reason + "\") in " + thrown, thrown);
    }
}
