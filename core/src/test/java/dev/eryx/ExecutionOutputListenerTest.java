package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Sandbox#executeAsync(String, ResourceLimits, OutputListener)}: one execution's output
 * streamed to its own listener by the delivery the builder's listeners use.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutionOutputListenerTest {
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder().executionTimeout(Duration.ofSeconds(30)).build();

    /** Generous: the timeout below is 1 s, and the stop contract is ~100 ms after it. */
    private static final long BOUND_MILLIS = 10_000;

    @Test
    void outputStreamsInOrderWhileTheExecutionRuns() {
        CountDownLatch firstSeen = new CountDownLatch(1);
        Recorder own = new Recorder(text -> firstSeen.countDown());
        StringBuilder builderOut = new StringBuilder();
        StringBuilder builderErr = new StringBuilder();
        // The guest waits in a host call until the listener has its first line: the execution
        // cannot end before that unless the line never arrives (then the call says false).
        Callback firstLineSeen =
                Callback.of(
                        "first_line_seen",
                        "Whether the listener received the first line.",
                        args -> await(firstSeen));
        try (Sandbox sandbox =
                Sandbox.builder()
                        .callback(firstLineSeen)
                        .stdout(builderOut::append)
                        .stderr(builderErr::append)
                        .build()) {
            ExecutionResult r =
                    sandbox.executeAsync(
                                    "import sys\n"
                                            + "print('first', flush=True)\n"
                                            + "seen = await first_line_seen()\n"
                                            + "print('oops', file=sys.stderr, flush=True)\n"
                                            + "print('second', flush=True)\n"
                                            + "result = seen",
                                    LIMITS,
                                    own)
                            .get();
            assertTrue(r.result().asBoolean(), "the first line arrived while the code ran");
            // Everything arrived before get() returned, stdout and stderr interleaved as written.
            assertEquals(List.of("out:first\n", "err:oops\n", "out:second\n"), own.merged());
            assertEquals("first\nsecond\n", r.stdout());
            assertEquals("oops\n", r.stderr());
            // The builder's listeners still get everything.
            assertEquals("first\nsecond\n", builderOut.toString());
            assertEquals("oops\n", builderErr.toString());

            // The listener is this execution's: the next one's output does not reach it.
            sandbox.executeAsync("print('later')", LIMITS).get();
            assertEquals(3, own.merged().size());
            assertEquals("first\nsecond\nlater\n", builderOut.toString());
        }
    }

    @Test
    void eachListenerGetsTheTextWhenTheOtherThrows() {
        AtomicInteger thrown = new AtomicInteger();
        Consumer<String> throwing =
                text -> {
                    thrown.incrementAndGet();
                    throw new IllegalStateException("listener failed");
                };
        String code =
                "import sys\n"
                        + "for i in range(5):\n"
                        + "    print(i, flush=True)\n"
                        + "    print(i, file=sys.stderr, flush=True)\n"
                        + "result = 42";
        String expected = "0\n1\n2\n3\n4\n";

        // This execution's listener throws: it keeps being called, the builder's is unharmed.
        StringBuilder builderOut = new StringBuilder();
        try (Sandbox sandbox = Sandbox.builder().stdout(builderOut::append).build()) {
            OutputListener failing =
                    new OutputListener() {
                        @Override
                        public void stdout(String text) {
                            throwing.accept(text);
                        }

                        @Override
                        public void stderr(String text) {
                            throwing.accept(text);
                        }
                    };
            ExecutionResult r = sandbox.executeAsync(code, LIMITS, failing).get();
            assertEquals(42, r.result().asInt());
            assertEquals(expected, r.stdout());
            assertTrue(thrown.get() >= 10, thrown.get() + " listener calls");
            assertEquals(expected, builderOut.toString());
            assertTrue(sandbox.isUsable());
        }

        // The builder's listener throws: this execution's still gets everything.
        thrown.set(0);
        try (Sandbox sandbox = Sandbox.builder().stdout(throwing).stderr(throwing).build()) {
            Recorder own = new Recorder(text -> {});
            ExecutionResult r = sandbox.executeAsync(code, LIMITS, own).get();
            assertEquals(42, r.result().asInt());
            assertTrue(thrown.get() >= 10, thrown.get() + " listener calls");
            assertEquals(expected, own.text("out:"));
            assertEquals(expected, own.text("err:"));
        }
    }

    @Test
    void aListenerBlockedPastTheTimeoutIsAbandonedOnTime() {
        CountDownLatch release = new CountDownLatch(1);
        Recorder blocking =
                new Recorder(
                        text -> {
                            if (text.contains("block")) {
                                awaitQuietly(release);
                            }
                        });
        ResourceLimits oneSecond =
                ResourceLimits.builder().executionTimeout(Duration.ofSeconds(1)).build();
        try (Sandbox sandbox = Sandbox.builder().build()) {
            // The guest is done at once; its output is not: the end waits for the listener until
            // the timeout, then abandons it.
            long start = System.nanoTime();
            ExecutionTimeoutException e =
                    assertThrows(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.executeAsync(
                                                    "print('block', flush=True)",
                                                    oneSecond,
                                                    blocking)
                                            .get());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < BOUND_MILLIS, "timed out after " + millis + " ms");
            assertEquals("block\n", e.partialResult().stdout());
            assertTrue(sandbox.isUsable());

            // Unblocked, the delivery goes on: the next execution's listener gets its output.
            release.countDown();
            Recorder next = new Recorder(text -> {});
            ExecutionResult r = sandbox.executeAsync("print('after')", LIMITS, next).get();
            assertEquals("after\n", r.stdout());
            assertEquals(List.of("out:after\n"), next.merged());
        } finally {
            release.countDown();
        }
    }

    @Test
    void aNullListenerIsRefused() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            NullPointerException e =
                    assertThrows(
                            NullPointerException.class,
                            () -> sandbox.executeAsync("x = 1", LIMITS, null));
            assertTrue(e.getMessage().startsWith("output"), e.getMessage());
            assertThrows(
                    NullPointerException.class,
                    () -> sandbox.executeAsync("x = 1", null, new Recorder(text -> {})));
            assertTrue(sandbox.isUsable());
        }
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records what it receives as "out:" / "err:" events; {@code onStdout} sees stdout first. */
    private static final class Recorder implements OutputListener {
        private final List<String> events = Collections.synchronizedList(new ArrayList<>());
        private final Consumer<String> onStdout;

        Recorder(Consumer<String> onStdout) {
            this.onStdout = onStdout;
        }

        @Override
        public void stdout(String text) {
            events.add("out:" + text);
            onStdout.accept(text);
        }

        @Override
        public void stderr(String text) {
            events.add("err:" + text);
        }

        /** The events with consecutive pieces of one stream joined (writes may be split). */
        List<String> merged() {
            List<String> merged = new ArrayList<>();
            synchronized (events) {
                for (String event : events) {
                    int last = merged.size() - 1;
                    if (last >= 0 && merged.get(last).startsWith(event.substring(0, 4))) {
                        merged.set(last, merged.get(last) + event.substring(4));
                    } else {
                        merged.add(event);
                    }
                }
            }
            return merged;
        }

        /** Everything received on one stream ("out:" or "err:"). */
        String text(String stream) {
            StringBuilder text = new StringBuilder();
            synchronized (events) {
                for (String event : events) {
                    if (event.startsWith(stream)) {
                        text.append(event.substring(4));
                    }
                }
            }
            return text.toString();
        }
    }
}
