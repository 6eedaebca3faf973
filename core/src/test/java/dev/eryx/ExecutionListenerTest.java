package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Sandbox.Builder#executionListener}: order, verdicts, stats, the thread it runs on, and
 * that a throwing listener changes nothing. One sandbox serves the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutionListenerTest {
    /** One call of a listener. */
    record Event(
            String listener,
            Verdict verdict,
            Duration duration,
            ExecutionStats stats,
            String thread) {}

    private static final List<Event> EVENTS = new ArrayList<>();
    private static volatile CountDownLatch started = new CountDownLatch(1);
    private static Sandbox sandbox;

    private static ExecutionListener recording(String name) {
        return (verdict, duration, stats) -> {
            synchronized (EVENTS) {
                EVENTS.add(
                        new Event(
                                name, verdict, duration, stats, Thread.currentThread().getName()));
            }
        };
    }

    @BeforeAll
    static void build() {
        sandbox =
                Sandbox.builder()
                        .stdout(
                                text -> {
                                    if (text.contains("started")) {
                                        started.countDown();
                                    }
                                })
                        .executionListener(recording("first"))
                        .executionListener(
                                (verdict, duration, stats) -> {
                                    throw new IllegalStateException("a broken listener");
                                })
                        .executionListener(recording("second"))
                        .build();
    }

    @AfterAll
    static void close() {
        sandbox.close();
    }

    @BeforeEach
    void forget() {
        synchronized (EVENTS) {
            EVENTS.clear();
        }
    }

    private static List<Event> events() {
        synchronized (EVENTS) {
            return List.copyOf(EVENTS);
        }
    }

    /** The one execution since the last check, as both recording listeners saw it. */
    private static Event single(Verdict expected) {
        List<Event> events = events();
        assertEquals(2, events.size(), events.toString());
        assertEquals("first", events.get(0).listener());
        assertEquals("second", events.get(1).listener());
        assertSame(events.get(0).stats(), events.get(1).stats());
        assertEquals(expected, events.get(0).verdict(), events.toString());
        forgetNow();
        return events.get(0);
    }

    private static void forgetNow() {
        synchronized (EVENTS) {
            EVENTS.clear();
        }
    }

    @Test
    void anOkExecutionIsReportedInOrderBeforeExecuteReturnsDespiteAThrowingListener() {
        ExecutionResult result = sandbox.execute("result = sum(range(1000))");
        // The listener in the middle throws on every call: the outcome is untouched.
        assertEquals(499500, result.result().asInt());
        Event event = single(Verdict.OK);
        assertEquals(result.duration(), event.duration());
        assertSame(result.stats(), event.stats());
        assertTrue(event.stats().fuelConsumed() > 0, event.toString());
        assertTrue(event.thread().startsWith("eryx-guest-"), event.thread());
    }

    @Test
    void pythonErrorsAndExitsAreReported() {
        PythonException error = assertThrows(PythonException.class, () -> sandbox.execute("1 / 0"));
        Event event = single(Verdict.PYTHON_ERROR);
        assertSame(error.partialResult().stats(), event.stats());

        assertThrows(PythonException.class, () -> sandbox.execute("def broken(:"));
        single(Verdict.PYTHON_ERROR);

        assertEquals(3, sandbox.execute("import sys\nsys.exit(3)").exitCode());
        single(Verdict.PYTHON_ERROR);
        assertEquals(0, sandbox.execute("import sys\nsys.exit(0)").exitCode());
        single(Verdict.OK);

        PythonException memory =
                assertThrows(
                        PythonException.class, () -> sandbox.execute("raise MemoryError('x')"));
        assertEquals("MemoryError", memory.pythonType());
        single(Verdict.MEMORY);
    }

    @Test
    void limitsAreReportedWithThePartialStats() {
        ResourceLimits timeout =
                ResourceLimits.builder().executionTimeout(Duration.ofMillis(200)).build();
        ExecutionTimeoutException late =
                assertThrows(
                        ExecutionTimeoutException.class,
                        () -> sandbox.execute("while True:\n    pass", timeout));
        Event event = single(Verdict.TIMEOUT);
        assertEquals(late.partialResult().duration(), event.duration());
        assertTrue(event.duration().toMillis() >= 200, event.toString());
        assertTrue(event.stats().fuelConsumed() > 0, event.toString());

        ResourceLimits fuel = ResourceLimits.builder().maxFuel(200_000).build();
        assertThrows(
                FuelExhaustedException.class, () -> sandbox.execute("while True:\n    pass", fuel));
        assertEquals(200_000, single(Verdict.FUEL).stats().fuelConsumed());

        ResourceLimits output = ResourceLimits.builder().maxOutputBytes(1_000).build();
        assertThrows(
                OutputLimitException.class,
                () -> sandbox.execute("while True:\n    print('x' * 100)", output));
        single(Verdict.OUTPUT);

        assertTrue(sandbox.isUsable());
    }

    @Test
    void cancellationIsReportedOnceWhetherRunningOrQueued() throws InterruptedException {
        started = new CountDownLatch(1);
        ExecutionHandle running =
                sandbox.executeAsync("print('started', flush=True)\nimport time\ntime.sleep(60)");
        ExecutionHandle queued = sandbox.executeAsync("result = 1");
        assertTrue(started.await(30, TimeUnit.SECONDS), "the first execution never started");

        // Still queued behind the sleeper: reported by the thread that cancels it, at once.
        queued.cancel();
        Event refused = single(Verdict.CANCELLED);
        assertEquals(Thread.currentThread().getName(), refused.thread());
        assertEquals(Duration.ZERO, refused.duration());
        assertThrows(ExecutionCancelledException.class, queued::get);

        running.cancel();
        assertThrows(ExecutionCancelledException.class, running::get);
        Event stopped = single(Verdict.CANCELLED);
        assertTrue(stopped.thread().startsWith("eryx-guest-"), stopped.thread());

        // Cancelling again, after the end, reports nothing more.
        queued.cancel();
        running.cancel();
        assertEquals(1, sandbox.execute("result = 1").result().asInt());
        single(Verdict.OK);
    }

    @Test
    void asynchronousExecutionsAreReportedOnceBeforeTheirOutcomeIsHandedOut() {
        ResourceLimits limits = ResourceLimits.builder().maxFuel(50_000_000).build();
        ExecutionHandle handle = sandbox.executeAsync("result = 6 * 7", limits);
        // get() returning means the listeners ran: they run before the outcome is handed out.
        assertEquals(42, handle.get().result().asInt());
        single(Verdict.OK);
        assertEquals(42, handle.toCompletableFuture().join().result().asInt());
        assertEquals(42, handle.get().result().asInt());
        assertTrue(events().isEmpty(), events().toString());

        ExecutionHandle failing = sandbox.executeAsync("raise KeyError('k')");
        assertThrows(PythonException.class, failing::get);
        single(Verdict.PYTHON_ERROR);
    }

    @Test
    void aCrashIsReportedAndARestoredSandboxHasItsBuildersListeners() {
        List<Verdict> seen = new ArrayList<>();
        byte[] state;
        try (Sandbox first =
                Sandbox.builder().executionListener((v, d, s) -> seen.add(v)).build()) {
            first.execute("kept = 'across the restore'");
            state = first.saveState();
            assertThrows(
                    InterpreterExitException.class, () -> first.execute("import os\nos._exit(4)"));
            assertEquals(List.of(Verdict.OK, Verdict.CRASHED), seen);
        }
        List<Verdict> restoredSeen = new ArrayList<>();
        try (Sandbox restored =
                Sandbox.builder()
                        .executionListener((v, d, s) -> restoredSeen.add(v))
                        .restoreFrom(state)
                        .build()) {
            assertEquals("across the restore", restored.execute("result = kept").result().asText());
        }
        assertEquals(List.of(Verdict.OK), restoredSeen);
        assertEquals(List.of(Verdict.OK, Verdict.CRASHED), seen);
    }
}
