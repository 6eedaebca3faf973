package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** REPL semantics, the {@code result} variable, the asyncio integration and exit codes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxExecutionTest {
    private final Sandbox sandbox = Sandbox.builder().build();

    @AfterAll
    void close() {
        sandbox.close();
    }

    @Test
    void globalsPersistAcrossExecutions() {
        sandbox.execute(
                "counter = 41\ndef bump():\n    global counter\n    counter += 1\n    return counter");
        assertEquals(42, sandbox.execute("result = bump()").result().asInt());
        assertEquals(43, sandbox.execute("result = bump()").result().asInt());
    }

    @Test
    void aLoopLeftMarkedAsRunningDoesNotBreakTheNextAwait() {
        // What a host stop landing inside run_forever()'s clean-up leaves behind.
        sandbox.execute(
                "import asyncio\nasyncio.events._set_running_loop(asyncio.new_event_loop())");
        assertEquals(
                3,
                sandbox.execute("import asyncio\nawait asyncio.sleep(0)\nresult = 3")
                        .result()
                        .asInt());
    }

    @Test
    void resultIsMappedToJson() {
        JsonNode dict = sandbox.execute("result = {'a': [1, 2.5, None, True], 'b': 'x'}").result();
        assertEquals("{\"a\":[1,2.5,null,true],\"b\":\"x\"}", dict.toString());
        assertEquals("[1,\"two\"]", sandbox.execute("result = [1, 'two']").result().toString());
        assertEquals("héllo", sandbox.execute("result = 'héllo'").result().asText());
        assertEquals(1L << 40, sandbox.execute("result = 2**40").result().asLong());
    }

    @Test
    void resultIsNullWhenNoneUnsetOrNotJson() {
        assertNull(sandbox.execute("result = None").result());
        assertNull(sandbox.execute("result = object()").result());
        assertNull(sandbox.execute("result = float('nan')").result());
        assertNull(sandbox.execute("result = {1, 2}").result());
        assertNull(sandbox.execute("x = 1").result());
    }

    @Test
    void resultIsClearedBeforeEachExecution() {
        assertEquals(7, sandbox.execute("result = 7").result().asInt());
        assertNull(sandbox.execute("pass").result());
        assertFalse(sandbox.execute("result = 'result' in globals()").result().asBoolean());
    }

    @Test
    void topLevelAwaitRunsOnTheSandboxLoop() {
        ExecutionResult r =
                sandbox.execute(
                        "import asyncio\nawait asyncio.sleep(0.01)\n"
                                + "result = [type(asyncio.get_running_loop()).__name__, type(asyncio.get_event_loop()).__name__]");
        assertEquals("[\"SandboxEventLoop\",\"SandboxEventLoop\"]", r.result().toString());
    }

    @Test
    void everyWayToGetALoopGivesTheSandboxLoop() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio",
                                "async def main():",
                                "    await asyncio.sleep(0.01)",
                                "    return type(asyncio.get_running_loop()).__name__",
                                "names = [asyncio.run(main())]",
                                "loop = asyncio.new_event_loop()",
                                "names.append(type(loop).__name__)",
                                "names.append(loop.run_until_complete(main()))",
                                "loop.close()",
                                "names.append(asyncio.run(main(), loop_factory=asyncio.EventLoop))",
                                "result = names"));
        assertEquals(
                "[\"SandboxEventLoop\",\"SandboxEventLoop\",\"SandboxEventLoop\",\"SandboxEventLoop\"]",
                r.result().toString());
        // asyncio.run() unsets the current loop when it ends; the next execution has ours again.
        assertEquals(
                "SandboxEventLoop",
                sandbox.execute("import asyncio\nresult = type(asyncio.get_event_loop()).__name__")
                        .result()
                        .asText());
    }

    @Test
    void gatherRunsSleepsConcurrently() {
        // All five sleeps start before any ends, whatever the machine's load; and they end
        // together:
        // slept one after the other they would take at least 1.5 s, so that bound holds only for
        // overlapping sleeps, with 1.2 s of slack for a loaded machine.
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio, time",
                                "order = []",
                                "async def nap(i):",
                                "    order.append('start')",
                                "    await asyncio.sleep(0.3)",
                                "    order.append('end')",
                                "    return i",
                                "start = time.monotonic()",
                                "values = await asyncio.gather(*[nap(i) for i in range(5)])",
                                "result = [values, time.monotonic() - start, order]"));
        assertEquals("[0,1,2,3,4]", r.result().get(0).toString());
        double elapsed = r.result().get(1).asDouble();
        assertTrue(elapsed >= 0.3 && elapsed < 1.5, "five 0.3 s sleeps took " + elapsed + " s");
        assertEquals(
                "[\"start\",\"start\",\"start\",\"start\",\"start\",\"end\",\"end\",\"end\",\"end\",\"end\"]",
                r.result().get(2).toString());
    }

    @Test
    void waitForTimesOut() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio",
                                "try:",
                                "    await asyncio.wait_for(asyncio.sleep(10), 0.05)",
                                "    result = 'finished'",
                                "except TimeoutError:",
                                "    result = 'timed out'"));
        assertEquals("timed out", r.result().asText());
    }

    @Test
    void tasksOutliveTheExecutionThatCreatedThem() {
        sandbox.execute(
                "import asyncio\nasync def later():\n    await asyncio.sleep(0.01)\n    return 'done'\n"
                        + "task = asyncio.get_event_loop().create_task(later())");
        assertEquals("done", sandbox.execute("result = await task").result().asText());
    }

    @Test
    void sysExitSetsTheExitCode() {
        ExecutionResult r =
                sandbox.execute("import sys\nprint('before')\nsys.exit(3)\nprint('after')");
        assertEquals(3, r.exitCode());
        assertEquals("before\n", r.stdout());
        ExecutionResult message = sandbox.execute("import sys\nsys.exit('bad input')");
        assertEquals(1, message.exitCode());
        assertEquals("bad input\n", message.stderr());
        assertEquals(0, sandbox.execute("import sys\nsys.exit()").exitCode());
        assertEquals(0, sandbox.execute("x = 1").exitCode());
        assertTrue(sandbox.isUsable());
    }

    @Test
    void reportsDurationAndMemory() {
        ExecutionResult r = sandbox.execute("import time\ntime.sleep(0.02)");
        assertTrue(r.duration().toMillis() >= 20, r.duration().toString());
        assertTrue(r.stats().peakMemoryBytes() > 0);
        // Fuel is clamped at 0, so only a positive count shows it was measured; more work, more
        // fuel.
        long small = sandbox.execute("s = sum(range(10))").stats().fuelConsumed();
        long large =
                sandbox.execute("s = sum(i * i for i in range(100_000))").stats().fuelConsumed();
        assertTrue(small > 0, "fuel of a small statement: " + small);
        assertTrue(
                large > 10 * small, "fuel: " + large + " for 100,000 steps, " + small + " for 10");
    }

    @Test
    void runsHugePrograms() {
        StringBuilder code = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            code.append("v").append(i).append(" = ").append(i).append('\n');
        }
        code.append("result = sum(globals()[f'v{i}'] for i in range(20000))\n");
        assertEquals(199_990_000L, sandbox.execute(code.toString()).result().asLong());
    }
}
