package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Verdict}: every branch of the mapping from outcomes, and the wire names. */
class VerdictTest {
    private static ExecutionResult result(int exitCode, boolean exited) {
        return new ExecutionResult(
                new byte[0],
                new byte[0],
                null,
                Duration.ZERO,
                ExecutionStats.none(),
                exitCode,
                exited,
                List.of());
    }

    private static PythonException python(String type) {
        return new PythonException(type, "m", "Traceback ...\n" + type + ": m", null);
    }

    @Test
    void aReturnedResultIsOkUnlessItExitedNonZero() {
        assertEquals(Verdict.OK, Verdict.of(result(0, false)));
        assertEquals(Verdict.OK, Verdict.of(result(0, true)));
        assertEquals(Verdict.PYTHON_ERROR, Verdict.of(result(3, true)));
        // An exit code without sys.exit() is not an exit.
        assertEquals(Verdict.OK, Verdict.of(result(3, false)));
        assertThrows(IllegalArgumentException.class, () -> Verdict.of((ExecutionResult) null));
    }

    @Test
    void everyFailureHasItsVerdict() {
        assertEquals(Verdict.OK, Verdict.of((Throwable) null));
        assertEquals(Verdict.CANCELLED, Verdict.of(python("KeyboardInterrupt")));
        assertEquals(Verdict.MEMORY, Verdict.of(python("MemoryError")));
        assertEquals(Verdict.PYTHON_ERROR, Verdict.of(python("ValueError")));
        assertEquals(Verdict.PYTHON_ERROR, Verdict.of(python("SyntaxError")));
        assertEquals(Verdict.CRASHED, Verdict.of(new SandboxCrashedException("trap", null, null)));
        assertEquals(Verdict.CRASHED, Verdict.of(new InterpreterExitException(1, null, null)));
        assertEquals(Verdict.FUEL, Verdict.of(new FuelExhaustedException(10, 10, null)));
        assertEquals(Verdict.MEMORY, Verdict.of(new MemoryLimitException("oom", null)));
        assertEquals(Verdict.OUTPUT, Verdict.of(new OutputLimitException("too much", null)));
        assertEquals(Verdict.TIMEOUT, Verdict.of(new ExecutionTimeoutException("slow", null)));
        assertEquals(
                Verdict.CANCELLED, Verdict.of(new ExecutionCancelledException("stopped", null)));
        assertEquals(Verdict.CANCELLED, Verdict.of(new InterruptedException()));
        // A failure that is not one of eryx's own: a host bug, or a sandbox closed under it.
        assertEquals(Verdict.CRASHED, Verdict.of(new IllegalStateException("closed")));
        assertEquals(Verdict.CRASHED, Verdict.of(new EryxException("other", null)));
    }

    @Test
    void wireNamesRoundTrip() {
        for (Verdict verdict : Verdict.values()) {
            assertEquals(verdict, Verdict.fromWireName(verdict.wireName()));
            assertEquals(verdict, Verdict.fromWireName(verdict.name()));
        }
        assertEquals("python_error", Verdict.PYTHON_ERROR.wireName());
        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> Verdict.fromWireName("nope"));
        assertEquals("unknown verdict: nope", unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Verdict.fromWireName(null));
    }
}
