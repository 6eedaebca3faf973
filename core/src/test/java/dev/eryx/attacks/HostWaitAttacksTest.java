package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Limits that must hold while the guest waits on the host (issue 15, item 7), and listeners that
 * must not hurt the sandbox (item 5): a stdin that never delivers, a listener that blocks or
 * throws. The guest's wait ends with the execution's own timeout or cancellation, on time, and the
 * sandbox stays usable with its session intact; a bystander computes alongside.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostWaitAttacksTest {
    /** Generous: the timeouts here are 1 s, and the stop contract is ~100 ms after it. */
    private static final long BOUND_MILLIS = 10_000;

    private static final ResourceLimits ONE_SECOND =
            ResourceLimits.builder().executionTimeout(Duration.ofSeconds(1)).build();

    private Bystander bystander;

    @BeforeAll
    void start() {
        bystander = new Bystander();
    }

    @AfterAll
    void stop() {
        try {
            bystander.assertIntact();
        } finally {
            bystander.close();
        }
    }

    @Test
    void aStdinThatNeverDeliversEndsWithTheTimeout() {
        BlockingInput stdin = new BlockingInput();
        try (Victim victim = new Victim(Sandbox.builder().stdin(stdin).build())) {
            bystander.alongside(
                    () -> {
                        for (String read :
                                List.of(
                                        "import sys; sys.stdin.read()",
                                        "input()",
                                        "import os; os.read(0, 10)")) {
                            long start = System.nanoTime();
                            assertThrows(
                                    ExecutionTimeoutException.class,
                                    () -> victim.sandbox().execute(read, ONE_SECOND),
                                    read);
                            assertWithinBound(start, read);
                            victim.assertUsable();
                        }
                    });
        } finally {
            stdin.release();
        }
    }

    @Test
    void cancelEndsAWaitForStdin() throws Exception {
        BlockingInput stdin = new BlockingInput();
        try (Victim victim = new Victim(Sandbox.builder().stdin(stdin).build())) {
            ExecutionHandle handle =
                    victim.sandbox().executeAsync("import sys\ndata = sys.stdin.read()");
            assertTrue(stdin.reading.await(10, TimeUnit.SECONDS), "the pump never read");
            Thread.sleep(100); // the guest is waiting on the pump's buffer by now, or soon
            long start = System.nanoTime();
            handle.cancel();
            assertThrows(ExecutionCancelledException.class, handle::get);
            assertWithinBound(start, "cancel");
            victim.assertUsable();
        } finally {
            stdin.release();
        }
    }

    @Test
    void aBlockingListenerIsAbandonedAtTheTimeout() {
        CountDownLatch release = new CountDownLatch(1);
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Consumer<String> blocking =
                text -> {
                    received.add(text);
                    if (text.contains("block")) {
                        awaitQuietly(release);
                    }
                };
        try (Victim victim = new Victim(Sandbox.builder().stdout(blocking).build())) {
            bystander.alongside(
                    () -> {
                        // The guest is done at once; its output is not: the end waits for the
                        // listener until the timeout, then abandons it.
                        long start = System.nanoTime();
                        ExecutionTimeoutException atEnd =
                                assertThrows(
                                        ExecutionTimeoutException.class,
                                        () ->
                                                victim.sandbox()
                                                        .execute(
                                                                "print('block', flush=True)",
                                                                ONE_SECOND));
                        assertWithinBound(start, "blocked at the end");
                        assertEquals("block\n", atEnd.partialResult().stdout());
                        victim.assertUsable();

                        // Output beyond the listener's queue: the guest's writes wait for room,
                        // until the timeout stops it.
                        start = System.nanoTime();
                        ExecutionTimeoutException whileWriting =
                                assertThrows(
                                        ExecutionTimeoutException.class,
                                        () ->
                                                victim.sandbox()
                                                        .execute(
                                                                "for i in range(100_000):\n"
                                                                        + "    print('x' * 99,"
                                                                        + " flush=True)",
                                                                ONE_SECOND));
                        assertWithinBound(start, "blocked while writing");
                        assertTrue(whileWriting.partialResult().stdout().startsWith("x"));
                        victim.assertUsable();
                    });
            release.countDown();
            // Unblocked, the listener receives the output of later executions again.
            received.clear();
            ExecutionResult after = victim.sandbox().execute("print('after')");
            assertEquals("after\n", after.stdout());
            assertTrue(String.join("", received).endsWith("after\n"), "received " + received);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aThrowingListenerDoesNotRetireTheSandbox() {
        AtomicInteger calls = new AtomicInteger();
        Consumer<String> throwing =
                text -> {
                    if (calls.incrementAndGet() % 2 == 0) {
                        throw new IllegalStateException("listener failed");
                    }
                    throw new AssertionError("listener failed with an Error");
                };
        try (Victim victim =
                new Victim(Sandbox.builder().stdout(throwing).stderr(throwing).build())) {
            bystander.alongside(
                    () -> {
                        ExecutionResult r =
                                victim.sandbox()
                                        .execute(
                                                "import sys\n"
                                                        + "for i in range(5):\n"
                                                        + "    print(i, flush=True)\n"
                                                        + "    print(i, file=sys.stderr,"
                                                        + " flush=True)\n"
                                                        + "result = 42");
                        assertEquals(42, r.result().asInt());
                        assertEquals("0\n1\n2\n3\n4\n", r.stdout());
                        assertTrue(calls.get() >= 10, calls.get() + " listener calls");
                        victim.assertUsable();
                    });
        }
    }

    @Test
    void ordinaryStdinStillWorks() {
        byte[] input = "first line\nsecond\nthird\n".getBytes(StandardCharsets.UTF_8);
        try (Sandbox sandbox = Sandbox.builder().stdin(new ByteArrayInputStream(input)).build()) {
            assertEquals("first line", sandbox.execute("result = input()").result().asText());
            // What the pump read but no execution consumed stays for the next execution.
            assertEquals(
                    "second\nthird\n",
                    sandbox.execute("import sys\nresult = sys.stdin.read()").result().asText());
            assertEquals("", sandbox.execute("result = sys.stdin.read()").result().asText());
            assertEquals(
                    "EOFError",
                    sandbox.execute(
                                    "try:\n    input()\nexcept EOFError as e:\n"
                                            + "    result = type(e).__name__")
                            .result()
                            .asText());
        }
        // More than the pump's buffer, read in one go.
        String big = "0123456789".repeat(50_000);
        try (Sandbox sandbox =
                Sandbox.builder()
                        .stdin(new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))
                        .build()) {
            assertEquals(
                    big.length(),
                    sandbox.execute("import sys\nresult = len(sys.stdin.read())").result().asInt());
        }
    }

    @Test
    void listenersGetEverythingInOrderBeforeExecuteReturns() {
        // One entry per run of text on one stream (a print is several writes).
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        StringBuilder out = new StringBuilder();
        Consumer<String> slowOut =
                text -> {
                    sleepQuietly(1);
                    synchronized (out) {
                        out.append(text);
                    }
                    append(seen, "out:", text);
                };
        Consumer<String> slowErr =
                text -> {
                    sleepQuietly(1);
                    append(seen, "err:", text);
                };
        try (Sandbox sandbox = Sandbox.builder().stdout(slowOut).stderr(slowErr).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            "import sys\n"
                                    + "for i in range(50):\n"
                                    + "    print('o', i, flush=True)\n"
                                    + "    print('e', i, file=sys.stderr, flush=True)\n");
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                expected.add("out:o " + i + "\n");
                expected.add("err:e " + i + "\n");
            }
            assertEquals(expected, seen, "every piece, in the guest's order, before returning");
            synchronized (out) {
                assertEquals(r.stdout(), out.toString());
            }
        }
    }

    @Test
    void pumpAndDeliveryThreadsEndWithTheSandbox() throws Exception {
        int before = threads("eryx-stdin-") + threads("eryx-output-");
        for (int i = 0; i < 3; i++) {
            BlockingInput stdin = new BlockingInput();
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            try (Sandbox sandbox = Sandbox.builder().stdin(stdin).stdout(seen::add).build()) {
                sandbox.execute("print('hello')");
                assertThrows(
                        ExecutionTimeoutException.class,
                        () ->
                                sandbox.execute(
                                        "import sys; sys.stdin.read()",
                                        ResourceLimits.builder()
                                                .executionTimeout(Duration.ofMillis(200))
                                                .build()));
                assertEquals("hello\n", String.join("", seen));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int after = threads("eryx-stdin-") + threads("eryx-output-");
        while (after > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
            after = threads("eryx-stdin-") + threads("eryx-output-");
        }
        assertTrue(after <= before, "threads before: " + before + ", after close: " + after);
    }

    private static void append(List<String> runs, String stream, String text) {
        synchronized (runs) {
            int last = runs.size() - 1;
            if (last >= 0 && runs.get(last).startsWith(stream)) {
                runs.set(last, runs.get(last) + text);
            } else {
                runs.add(stream + text);
            }
        }
    }

    private static int threads(String prefix) {
        return (int)
                Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                        .count();
    }

    private static void assertWithinBound(long startNanos, String what) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        assertTrue(millis < BOUND_MILLIS, what + " took " + millis + " ms");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A stdin that delivers nothing until released, like a pipe whose writer stays silent; its read
     * ends early only when its thread is interrupted.
     */
    private static final class BlockingInput extends InputStream {
        final CountDownLatch reading = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public int read() throws InterruptedIOException {
            reading.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            return -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws InterruptedIOException {
            return len == 0 ? 0 : read();
        }

        void release() {
            released.countDown();
        }
    }
}
