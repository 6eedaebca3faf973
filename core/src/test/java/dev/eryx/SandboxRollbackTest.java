package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Sessions survive hard stops: an execution killed below Python (stuck in C past the timeout,
 * cancelled there, out of fuel, a trap) is undone, so the interpreter is exactly as before it and
 * the sandbox keeps working.
 */
class SandboxRollbackTest {
    /** Runs in C with no bytecode boundary, so only a hard stop ends it. */
    private static final String STUCK_IN_C = "sum(range(10**13))";

    /** For the execution to kill only: the session's own executions keep the default timeout. */
    private static final ResourceLimits KILL_FAST =
            ResourceLimits.builder().executionTimeout(Duration.ofSeconds(1)).build();

    private static Sandbox sandbox(ResourceLimits limits) {
        return Sandbox.builder().resourceLimits(limits).build();
    }

    private static void assertSessionIntact(Sandbox sandbox) {
        assertTrue(sandbox.isUsable());
        assertEquals(
                "[1, 2, 3] 42 hello",
                sandbox.execute("print(before, answer, Greeter().greet())").stdout().strip());
        assertEquals(
                "False",
                sandbox.execute("print('partial' in globals())").stdout().strip(),
                "assignments of the killed execution are gone");
        assertEquals(7, sandbox.execute("result = 3 + 4").result().asInt());
    }

    private static void defineSession(Sandbox sandbox) {
        sandbox.execute(
                "before = [1, 2, 3]\nanswer = 42\n"
                        + "class Greeter:\n    def greet(self):\n        return 'hello'\n");
    }

    @Test
    void aTimeoutHardStopInCIsRolledBack() {
        try (Sandbox sandbox = sandbox(ResourceLimits.defaults())) {
            defineSession(sandbox);
            ExecutionTimeoutException e =
                    assertThrows(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.execute(
                                            "partial = 'yes'\nbefore.append(4)\nanswer = 0\nprint('summing', flush=True)\n"
                                                    + STUCK_IN_C,
                                            KILL_FAST));
            assertEquals(
                    "summing\n",
                    e.partialResult().stdout(),
                    "output of the killed execution is still reported");
            assertSessionIntact(sandbox);
            // And again: the rolled-back sandbox can be stopped and rolled back once more.
            assertThrows(
                    ExecutionTimeoutException.class,
                    () -> sandbox.execute("partial = 1\n" + STUCK_IN_C, KILL_FAST));
            assertSessionIntact(sandbox);
        }
    }

    @Test
    void fuelExhaustionInCIsRolledBack() {
        ResourceLimits fuel = ResourceLimits.builder().maxFuel(20_000_000).build();
        try (Sandbox sandbox = sandbox(ResourceLimits.defaults())) {
            defineSession(sandbox);
            assertThrows(
                    FuelExhaustedException.class,
                    () -> sandbox.execute("partial = 1\nbefore.clear()\n" + STUCK_IN_C, fuel));
            assertSessionIntact(sandbox);
        }
    }

    @Test
    void cancellingAnExecutionStuckInCRollsItBack() throws Exception {
        try (Sandbox sandbox = sandbox(ResourceLimits.defaults())) {
            defineSession(sandbox);
            ExecutionHandle handle =
                    sandbox.executeAsync("partial = 1\nanswer = -1\n" + STUCK_IN_C);
            Thread.sleep(300);
            handle.cancel();
            assertThrows(ExecutionCancelledException.class, handle::get);
            assertSessionIntact(sandbox);
        }
    }

    @Test
    void codeThatSwallowsTheInterruptIsRolledBack() {
        try (Sandbox sandbox = sandbox(ResourceLimits.defaults())) {
            defineSession(sandbox);
            assertThrows(
                    ExecutionTimeoutException.class,
                    () ->
                            sandbox.execute(
                                    "partial = 1\n"
                                            + "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
                                    KILL_FAST));
            assertSessionIntact(sandbox);
        }
    }

    @Test
    void memoryGrownByAKilledExecutionIsGivenBack() {
        // Fuel, not a timeout, kills these: a timeout could also land cooperatively between the two
        // statements (KeyboardInterrupt, nothing to roll back), a fuel trap never does.
        ResourceLimits fuel = ResourceLimits.builder().maxFuel(50_000_000).build();
        try (Sandbox sandbox =
                sandbox(ResourceLimits.builder().maxMemoryBytes(256L << 20).build())) {
            defineSession(sandbox);
            long before = sandbox.execute("x = 1").stats().peakMemoryBytes();
            assertThrows(
                    FuelExhaustedException.class,
                    () ->
                            sandbox.execute(
                                    "partial = bytearray(64 * 1024 * 1024)\n" + STUCK_IN_C, fuel));
            assertSessionIntact(sandbox);
            // The 64 MiB are given back each time: five times 64 MiB more would pass the 256 MiB
            // cap.
            for (int i = 0; i < 5; i++) {
                assertThrows(
                        FuelExhaustedException.class,
                        () ->
                                sandbox.execute(
                                        "partial = bytearray(64 * 1024 * 1024)\n" + STUCK_IN_C,
                                        fuel));
            }
            assertSessionIntact(sandbox);
            assertTrue(before <= (128L << 20), "baseline " + before);
        }
    }

    @Test
    void filesOpenedByAKilledExecutionAreClosedAndWrittenFilesStay() {
        try (Sandbox sandbox = sandbox(ResourceLimits.defaults())) {
            defineSession(sandbox);
            sandbox.execute("kept = open('/tmp/kept.txt', 'w')\nkept.write('k')\nkept.flush()");
            assertThrows(
                    ExecutionTimeoutException.class,
                    () ->
                            sandbox.execute(
                                    "handles = [open('/tmp/f%d.txt' % i, 'w') for i in range(50)]\n"
                                            + "handles[0].write('written'); handles[0].flush()\n"
                                            + STUCK_IN_C,
                                    KILL_FAST));
            assertSessionIntact(sandbox);
            // The killed execution's 50 descriptors were closed on rollback, so (with WASI's cap
            // on open files) as many as before can be opened again, and the numbers are reused.
            String lowestFree =
                    "import os\nfd = os.open('/tmp/probe', os.O_CREAT | os.O_WRONLY)\nos.close(fd)\nresult = fd";
            int fdAfter = sandbox.execute(lowestFree).result().asInt();
            assertTrue(fdAfter < 10, "descriptor " + fdAfter + " suggests leaked descriptors");
            assertEquals(
                    "written",
                    new String(sandbox.files().read("/tmp/f0.txt"), StandardCharsets.UTF_8),
                    "VFS writes of a killed execution are kept, like a crashed process's");
            // A file object from before the killed execution still works.
            sandbox.execute("kept.write('ept'); kept.close()");
            assertEquals(
                    "kept",
                    new String(sandbox.files().read("/tmp/kept.txt"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theFirstExecutionKilledStillLetsTheGuestAdoptItsEnvironment() {
        try (Sandbox sandbox = Sandbox.builder().env("TENANT", "t1").build()) {
            assertThrows(
                    ExecutionTimeoutException.class, () -> sandbox.execute(STUCK_IN_C, KILL_FAST));
            assertEquals(
                    "t1",
                    sandbox.execute("import os\nprint(os.environ.get('TENANT'))").stdout().strip());
        }
    }
}
