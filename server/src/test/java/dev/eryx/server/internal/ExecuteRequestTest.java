package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.eryx.ResourceLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExecuteRequestTest {
    private static final ResourceLimits DEFAULTS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(5))
                    .maxOutputBytes(1000)
                    .build();
    private static final ResourceLimits MAX =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(20))
                    .maxFuel(1_000_000)
                    .maxOutputBytes(4000)
                    .build();

    private static ExecuteRequest parse(String json) {
        return ExecuteRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void missingLimitsAreTheDefaultsCutToTheMaxima() {
        ResourceLimits limits = parse("{\"code\": \"1\"}").limits(DEFAULTS, MAX);
        assertEquals(Duration.ofSeconds(5), limits.executionTimeout());
        assertEquals(1_000_000, limits.maxFuel()); // the default is unlimited: cut to the max
        assertEquals(1000, limits.maxOutputBytes());
    }

    @Test
    void askedLimitsAreKeptBelowTheMaximaAndCutAbove() {
        ResourceLimits below =
                parse(
                                "{\"code\": \"1\", \"timeout_ms\": 700, \"fuel\": 5, \"max_output_bytes\": 10}")
                        .limits(DEFAULTS, MAX);
        assertEquals(Duration.ofMillis(700), below.executionTimeout());
        assertEquals(5, below.maxFuel());
        assertEquals(10, below.maxOutputBytes());
        ResourceLimits above =
                parse(
                                "{\"code\": \"1\", \"timeout_ms\": 99000000, \"fuel\": 9000000000, \"max_output_bytes\": 99999}")
                        .limits(DEFAULTS, MAX);
        assertEquals(Duration.ofSeconds(20), above.executionTimeout());
        assertEquals(1_000_000, above.maxFuel());
        assertEquals(4000, above.maxOutputBytes());
        // Memory and filesystem stay the sandbox's.
        assertEquals(DEFAULTS.maxMemoryBytes(), above.maxMemoryBytes());
    }

    @Test
    void noMaximumTimeoutKeepsWhatIsAsked() {
        ResourceLimits unlimited = ResourceLimits.builder().executionTimeout(null).build();
        assertEquals(
                Duration.ofMinutes(5),
                parse("{\"code\": \"1\", \"timeout_ms\": 300000}").timeout(DEFAULTS, unlimited));
        assertNull(parse("{\"code\": \"1\"}").timeout(unlimited, unlimited));
    }
}
