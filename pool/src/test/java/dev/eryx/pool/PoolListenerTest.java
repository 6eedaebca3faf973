package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionStats;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.InterpreterExitException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SandboxPool.Builder#listener}: what a pool tells its listeners, and that one that throws
 * changes nothing. One pool of one sandbox serves the class, so exhaustion is one acquire away.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolListenerTest {
    private static final Duration ACQUIRE_TIMEOUT = Duration.ofMillis(100);

    /** Records every call as a short line. */
    static final class Recorder implements PoolListener {
        final List<String> events = new ArrayList<>();
        final List<SandboxPool> created = new ArrayList<>();
        final List<Duration> waits = new ArrayList<>();

        synchronized List<String> take() {
            List<String> taken = List.copyOf(events);
            events.clear();
            return taken;
        }

        @Override
        public synchronized void poolCreated(SandboxPool pool) {
            created.add(pool);
        }

        @Override
        public synchronized void acquired(Duration waited) {
            waits.add(waited);
            events.add("acquired");
        }

        @Override
        public synchronized void acquireFailed(Duration waited) {
            waits.add(waited);
            events.add("failed");
        }

        @Override
        public synchronized void released(boolean reused) {
            events.add("released:" + reused);
        }

        @Override
        public synchronized void executionFinished(
                Verdict verdict, Duration duration, ExecutionStats stats) {
            events.add(verdict.wireName());
        }
    }

    /** Throws from every method: the pool must behave as if it were not there. */
    static final class Broken implements PoolListener {
        @Override
        public void poolCreated(SandboxPool pool) {
            throw new IllegalStateException("broken");
        }

        @Override
        public void acquired(Duration waited) {
            throw new IllegalStateException("broken");
        }

        @Override
        public void acquireFailed(Duration waited) {
            throw new IllegalStateException("broken");
        }

        @Override
        public void released(boolean reused) {
            throw new IllegalStateException("broken");
        }

        @Override
        public void executionFinished(Verdict verdict, Duration duration, ExecutionStats stats) {
            throw new IllegalStateException("broken");
        }
    }

    private static final Recorder RECORDER = new Recorder();
    private static SandboxPool pool;

    @BeforeAll
    static void build() {
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .acquireTimeout(ACQUIRE_TIMEOUT)
                        .listener(new Broken())
                        .listener(RECORDER)
                        .build();
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @BeforeEach
    void forget() {
        RECORDER.take();
    }

    /** Waits (a generous bound, not a timing assertion) for the pool's sandbox to be idle. */
    private static void awaitIdle() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pool.stats().idle() < 1) {
            assertTrue(System.nanoTime() < deadline, "no replacement: " + pool.stats());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void theCreatedPoolIsAnnouncedOnceAndTheWarmUpIsNotAnExecution() {
        assertEquals(List.of(pool), RECORDER.created);
        // build() warmed one sandbox with an execution of its own: nobody's, so not reported.
        try (PooledSandbox sandbox = pool.acquire()) {
            assertEquals(List.of("acquired"), RECORDER.take());
        }
        assertEquals(List.of("released:true"), RECORDER.take());
    }

    @Test
    void acquisitionsExecutionsAndReleasesAreReportedInOrder() {
        try (PooledSandbox sandbox = pool.acquire()) {
            assertEquals(3, sandbox.execute("result = 1 + 2").result().asInt());
            ResourceLimits quick =
                    ResourceLimits.builder().executionTimeout(Duration.ofMillis(200)).build();
            assertThrows(
                    ExecutionTimeoutException.class,
                    () -> sandbox.execute("while True:\n    pass", quick));
        }
        assertEquals(List.of("acquired", "ok", "timeout", "released:true"), RECORDER.take());
        assertEquals(4, pool.execute("result = 2 * 2").result().asInt());
        assertEquals(List.of("acquired", "ok", "released:true"), RECORDER.take());
    }

    @Test
    void exhaustionIsAFailedAcquisitionWithItsWait() {
        try (PooledSandbox held = pool.acquire()) {
            RECORDER.take();
            synchronized (RECORDER) {
                RECORDER.waits.clear();
            }
            assertThrows(PoolExhaustedException.class, pool::acquire);
            assertEquals(List.of("failed"), RECORDER.take());
            synchronized (RECORDER) {
                assertTrue(
                        RECORDER.waits.get(0).compareTo(ACQUIRE_TIMEOUT) >= 0,
                        RECORDER.waits.toString());
            }
        }
        assertEquals(List.of("released:true"), RECORDER.take());
    }

    @Test
    void anUnusableSandboxIsReleasedWithoutReuse() {
        try (PooledSandbox sandbox = pool.acquire()) {
            assertThrows(
                    InterpreterExitException.class,
                    () -> sandbox.execute("import os\nos._exit(9)"));
            assertFalse(sandbox.isUsable());
        }
        assertEquals(List.of("acquired", "crashed", "released:false"), RECORDER.take());
        // The housekeeper restores a replacement in the background; its warm-up is not reported.
        awaitIdle();
        assertEquals(List.of(), RECORDER.take());
        assertEquals(1, pool.execute("result = 1").result().asInt());
        assertEquals(List.of("acquired", "ok", "released:true"), RECORDER.take());
    }

    @Test
    void asynchronousExecutionsAreReportedOnceAndCloseWaitsForThem() {
        ExecutionHandle handle;
        try (PooledSandbox sandbox = pool.acquire()) {
            handle =
                    sandbox.executeAsync(
                            "import time\ntime.sleep(0.3)\nresult = 'slept'",
                            ResourceLimits.builder()
                                    .executionTimeout(Duration.ofSeconds(30))
                                    .build());
        }
        // close() handed the sandbox back only after the execution it started had ended.
        assertTrue(handle.isDone());
        assertEquals("slept", handle.get().result().asText());
        assertEquals(List.of("acquired", "ok", "released:true"), RECORDER.take());
    }

    @Test
    void executionsOfTheCallersOwnSandboxesAreReportedToo() {
        try (Sandbox own = pool.newSandbox()) {
            assertEquals(List.of(), RECORDER.take()); // its warm-up is not an execution
            own.execute("x = 1");
            assertThrows(Exception.class, () -> own.execute("raise ValueError('v')"));
        }
        assertEquals(List.of("ok", "python_error"), RECORDER.take());
    }

    @Test
    void aReturnedSandboxRefusesWork() {
        PooledSandbox sandbox = pool.acquire();
        sandbox.close();
        sandbox.close(); // idempotent: released once
        assertEquals(List.of("acquired", "released:true"), RECORDER.take());
        assertThrows(
                IllegalStateException.class,
                () -> sandbox.executeAsync("pass", ResourceLimits.defaults()));
        assertThrows(IllegalStateException.class, () -> sandbox.execute("pass"));
        assertEquals(List.of(), RECORDER.take());
    }
}
