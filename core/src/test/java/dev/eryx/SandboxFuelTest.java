package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SandboxFuelTest {
    private static final String WORK =
            "import json\n"
                    + "data = [{'i': i, 's': str(i) * 3} for i in range(2000)]\n"
                    + "result = len(json.dumps(sorted(data, key=lambda d: d['s'])))";

    private static Sandbox deterministicSandbox(ResourceLimits limits) {
        return Sandbox.builder()
                .resourceLimits(limits)
                .randomSeed(7)
                .clock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
                .build();
    }

    @Test
    void theSameCodeFromTheSameStateConsumesExactlyTheSameFuel() {
        long first;
        long second;
        try (Sandbox sandbox = deterministicSandbox(ResourceLimits.defaults())) {
            first = sandbox.execute(WORK).stats().fuelConsumed();
        }
        try (Sandbox sandbox = deterministicSandbox(ResourceLimits.defaults())) {
            second = sandbox.execute(WORK).stats().fuelConsumed();
        }
        assertTrue(first > 100_000, "fuel is measured: " + first);
        assertEquals(first, second);
    }

    /**
     * Code that does not read the clock must not depend on it: with the default (real) clock, two
     * fresh sandboxes with the same seed burn the same fuel for loops, json, regex, a class
     * hierarchy, first imports of a few stdlib modules and tasks on the sandbox's event loop.
     */
    @Test
    void fuelIsDeterministicWithTheDefaultClock() {
        String work =
                "import json, re, collections, fractions, textwrap, dataclasses\n"
                        + "class Shape:\n    def area(self):\n        return 0\n"
                        + "class Square(Shape):\n    def __init__(self, s):\n        self.s = s\n"
                        + "    def area(self):\n        return self.s * self.s\n"
                        + "@dataclasses.dataclass\nclass Point:\n    x: int\n    y: int\n"
                        + "total = sum(Square(i).area() for i in range(3000))\n"
                        + "words = re.findall(r'[a-z]+\\d?', 'alpha beta2 gamma delta7 ' * 200)\n"
                        + "counts = collections.Counter(words)\n"
                        + "doc = json.loads(json.dumps({'w': sorted(counts.items()), 'p': [Point(i, i).x for i in range(500)]}))\n"
                        + "import asyncio\nasync def square(i):\n    await asyncio.sleep(0)\n    return i * i\n"
                        + "squares = await asyncio.gather(*(square(i) for i in range(200)))\n"
                        + "result = [total, sum(squares), len(doc['w']), str(sum(fractions.Fraction(1, i) for i in range(1, 60)))[:12],\n"
                        + "          textwrap.shorten(' '.join(words), 40)]";
        long[] fuel = new long[3];
        String first = null;
        for (int run = 0; run < fuel.length; run++) {
            try (Sandbox sandbox = Sandbox.builder().randomSeed(11).build()) {
                ExecutionResult r = sandbox.execute(work);
                fuel[run] = r.stats().fuelConsumed();
                if (first == null) {
                    first = r.result().toString();
                }
                assertEquals(first, r.result().toString());
            }
        }
        assertTrue(fuel[0] > 1_000_000, "fuel is measured: " + fuel[0]);
        assertEquals(fuel[0], fuel[1], java.util.Arrays.toString(fuel));
        assertEquals(fuel[0], fuel[2], java.util.Arrays.toString(fuel));
    }

    @Test
    void exhaustedFuelStopsBytecodeLoops() {
        ResourceLimits limits = ResourceLimits.builder().maxFuel(5_000_000).build();
        try (Sandbox sandbox = deterministicSandbox(limits)) {
            FuelExhaustedException e =
                    assertThrows(
                            FuelExhaustedException.class,
                            () -> sandbox.execute("print('before')\nwhile True: pass"));
            assertEquals(5_000_000, e.limit());
            assertTrue(e.consumed() >= e.limit(), "consumed " + e.consumed());
            assertEquals("before\n", e.partialResult().stdout());
        }
    }

    @Test
    void exhaustedFuelStopsLoopsInsideC() {
        ResourceLimits limits = ResourceLimits.builder().maxFuel(20_000_000).build();
        try (Sandbox sandbox = deterministicSandbox(limits)) {
            long started = System.nanoTime();
            assertThrows(FuelExhaustedException.class, () -> sandbox.execute("sum(range(10**13))"));
            assertTrue(
                    System.nanoTime() - started < 20_000_000_000L,
                    "stopped well before the timeout");
        }
    }
}
