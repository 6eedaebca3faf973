package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SandboxFuelTest {
    private static final String WORK = "import json\n"
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

    @Test
    void exhaustedFuelStopsBytecodeLoops() {
        ResourceLimits limits = ResourceLimits.builder().maxFuel(5_000_000).build();
        try (Sandbox sandbox = deterministicSandbox(limits)) {
            FuelExhaustedException e = assertThrows(FuelExhaustedException.class,
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
            assertTrue(System.nanoTime() - started < 20_000_000_000L, "stopped well before the timeout");
        }
    }
}
