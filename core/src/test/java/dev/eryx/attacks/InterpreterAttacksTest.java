package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxCrashedException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The guest turning the interpreter against itself: recursion in Python and in C, quadratic
 * conversions, catastrophic regexes, hash collisions. Each must end in a Python exception or a
 * limit, with the sandbox usable and the bystander correct. One attacked sandbox serves the class;
 * every attack is followed by a check that its session state survived.
 */
class InterpreterAttacksTest extends SharedVictimAttacks {
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(30))
                    .maxMemoryBytes(128L << 20)
                    .build();

    /**
     * Pure CPU burners: a fuel budget stops them deterministically, whatever the machine's load.
     */
    private static final ResourceLimits SMALL_FUEL = LIMITS.toBuilder().maxFuel(30_000_000).build();

    @Override
    Sandbox newVictim() {
        return Sandbox.builder().resourceLimits(LIMITS).build();
    }

    @Test
    void deepPythonRecursion() {
        bystander.alongside(
                () -> {
                    assertEquals("RecursionError", attempt("def f(n):\n    return f(n + 1)\nf(0)"));
                    assertEquals(
                            "RecursionError",
                            attempt(
                                    "class A:\n    def __getattr__(self, name):\n        return self.x\nA().y"));
                });
        // With the limit lifted, Python frames (which use no C stack in 3.14) grow until the
        // memory cap: MemoryError. A small cap keeps that quick.
        try (Sandbox small =
                Sandbox.builder()
                        .resourceLimits(LIMITS.toBuilder().maxMemoryBytes(40L << 20).build())
                        .build()) {
            assertEquals(
                    "MemoryError",
                    Attempt.outcome(
                            small,
                            "import sys\nsys.setrecursionlimit(10**8)\n"
                                    + "def f(n):\n    return f(n + 1)\nf(0)"));
            assertEquals(2, small.execute("result = 1 + 1").result().asInt());
        }
    }

    /**
     * C recursion runs on the guest's linear-memory stack (8 MiB, placed first so an overflow traps
     * below address 0 instead of running into the heap) and on the guest thread's JVM stack.
     * CPython's guard measures the linear stack and raises RecursionError (or the parser's
     * MemoryError) long before either overflows; GuestStackOverflowTest covers the JVM overflow.
     */
    @Test
    void deepCRecursion() {
        // Deep enough for the C-stack guard: 100,000 levels of json.dumps still fit the 8 MiB
        // stack.
        sandbox.execute("nested = []\nfor _ in range(150_000):\n    nested = [nested]");
        bystander.alongside(
                () -> {
                    assertEquals("RecursionError", attempt("import json\njson.dumps(nested)"));
                    assertEquals("RecursionError", attempt("import pickle\npickle.dumps(nested)"));
                    assertEquals("RecursionError", attempt("import copy\ncopy.deepcopy(nested)"));
                    // The parser has its own guard.
                    assertEquals("MemoryError", attempt("eval('(' * 200_000 + ')' * 200_000)"));
                    assertEquals("MemoryError", attempt("eval('-' * 200_000 + '1')"));
                    assertEquals(
                            "MemoryError",
                            attempt("compile('[' * 200_000 + ']' * 200_000, 's', 'eval')"));
                    assertEquals(
                            "RecursionError",
                            attempt(
                                    "class R:\n    def __repr__(self):\n        return repr(self)\nrepr(R())"));
                });
        sandbox.execute("del nested");
    }

    @Test
    void hugeIntToStrConversion() {
        bystander.alongside(
                () -> {
                    // CPython's own guard against quadratic conversions is on.
                    assertEquals("ValueError", attempt("str(10 ** 100_000)"));
                    assertEquals("ValueError", attempt("int('9' * 100_000)"));
                    // Switching it off leaves only fuel and the timeout, which stop the C loop.
                    FuelExhaustedException e =
                            assertThrows(
                                    FuelExhaustedException.class,
                                    () ->
                                            sandbox.execute(
                                                    "import sys\nsys.set_int_max_str_digits(0)\ncanary = 'changed'\nstr(10 ** 5_000_000)",
                                                    SMALL_FUEL));
                    assertTrue(e.consumed() >= e.limit());
                    assertThrows(
                            FuelExhaustedException.class,
                            () -> sandbox.execute("x = 10 ** 10 ** 10", SMALL_FUEL));
                });
        assertEquals(
                "ValueError",
                attempt("str(10 ** 100_000)"),
                "the guard is back after the rollback");
    }

    @Test
    void regexBomb() {
        bystander.alongside(
                () -> {
                    assertThrows(
                            FuelExhaustedException.class,
                            () ->
                                    sandbox.execute(
                                            "import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')",
                                            SMALL_FUEL));
                    ExecutionTimeoutException e =
                            assertThrows(
                                    ExecutionTimeoutException.class,
                                    () ->
                                            sandbox.execute(
                                                    "import re\nprint('matching', flush=True)\nre.match(r'(x+x+)+y', 'x' * 64)",
                                                    LIMITS.toBuilder()
                                                            .executionTimeout(Duration.ofSeconds(1))
                                                            .build()));
                    assertEquals("matching\n", e.partialResult().stdout());
                });
    }

    @Test
    void hashFlood() {
        bystander.alongside(
                () -> {
                    // Every multiple of 2**61 - 1 hashes to 0: each insertion probes past all
                    // earlier ones.
                    assertThrows(
                            FuelExhaustedException.class,
                            () ->
                                    sandbox.execute(
                                            "m = (1 << 61) - 1\nflood = {i * m for i in range(1, 200_000)}",
                                            SMALL_FUEL));
                    assertEquals(
                            "False",
                            sandbox.execute("print('flood' in globals())").stdout().strip());
                });
    }

    /**
     * User code can call the bridge's COMPLETE itself. The host must not take that as the end of
     * the execution: the timeout and cancellation still stop the code that keeps running.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // before the fix, the execution never ended
    void forgesTheOutcomeAndKeepsRunning() {
        String forge =
                "from eryx import _bridge\n"
                        + "_bridge.invoke_json(_bridge.COMPLETE, {'ok': True, 'result': 'forged'})\n"
                        + "canary = 'changed'\nwhile True:\n    pass";
        bystander.alongside(
                () -> {
                    long start = System.nanoTime();
                    assertThrows(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.execute(
                                            forge,
                                            LIMITS.toBuilder()
                                                    .executionTimeout(Duration.ofSeconds(1))
                                                    .build()));
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    // Timeout, then the runtime's 1 s to return after its report, then the hard
                    // stop.
                    assertTrue(millis < 2_000 + 3_000, "stopped after " + millis + " ms");
                    ExecutionHandle cancelled = sandbox.executeAsync(forge);
                    sleepMillis(300);
                    cancelled.cancel();
                    assertThrows(ExecutionCancelledException.class, cancelled::get);
                });
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Breaking what the guest runtime needs to report its outcome ends that sandbox, and only it:
     * the host notices the missing report and retires the sandbox. Sabotage the runtime survives
     * leaves the sandbox working.
     */
    @Test
    void sabotagesTheGuestRuntime() {
        bystander.alongside(
                () -> {
                    for (String fatal :
                            new String[] {
                                "from eryx import _bridge\n_bridge.encode = None",
                                "from eryx import _bridge\n_bridge.invoke_json = None"
                            }) {
                        try (Sandbox sabotaged = Sandbox.builder().resourceLimits(LIMITS).build()) {
                            // The execution that does it still reports, unless the report
                            // itself needs what it broke; the next one cannot start.
                            SandboxCrashedException e =
                                    assertThrows(
                                            SandboxCrashedException.class,
                                            () -> {
                                                sabotaged.execute(fatal);
                                                sabotaged.execute("result = 1");
                                            });
                            assertTrue(
                                    e.getMessage().contains("without reporting an outcome"),
                                    e.getMessage());
                            assertFalse(sabotaged.isUsable());
                            assertThrows(
                                    IllegalStateException.class,
                                    () -> sabotaged.execute("result = 1"));
                        }
                    }
                    for (String survivable :
                            new String[] {
                                "import json\njson.dumps = json.loads = None",
                                "import sys\nsys.modules.clear()",
                                "import builtins\nbuiltins.__import__ = None",
                                "import eryx._runtime as r\nr.execute = None",
                                "import sys\nsys.stdout = sys.stderr = None",
                                "import asyncio\nasyncio.set_event_loop_policy(None)\nasyncio.set_event_loop(None)"
                            }) {
                        try (Sandbox sabotaged = Sandbox.builder().resourceLimits(LIMITS).build()) {
                            sabotaged.execute(survivable);
                            assertEquals(
                                    42,
                                    sabotaged.execute("result = 6 * 7").result().asInt(),
                                    survivable);
                        }
                    }
                });
    }

    @Test
    void osExit() {
        // A deliberate exit ends the interpreter like a process: the sandbox says so and refuses
        // work.
        try (Sandbox exiting = Sandbox.builder().resourceLimits(LIMITS).build()) {
            bystander.alongside(
                    () -> {
                        SandboxCrashedException e =
                                assertThrows(
                                        SandboxCrashedException.class,
                                        () ->
                                                exiting.execute(
                                                        "import os\nprint('bye', flush=True)\nos._exit(3)"));
                        assertEquals("bye\n", e.partialResult().stdout());
                    });
            assertFalse(exiting.isUsable());
            assertThrows(IllegalStateException.class, () -> exiting.execute("result = 1"));
        }
    }
}
