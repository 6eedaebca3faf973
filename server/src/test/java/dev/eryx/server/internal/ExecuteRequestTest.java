package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    private static ExecuteRequest parse(String json) {
        return ExecuteRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void missingLimitsAreTheDefaults() {
        assertEquals(DEFAULTS, parse("{\"code\": \"1\"}").limits(DEFAULTS));
    }

    @Test
    void askedLimitsReplaceTheDefaults() {
        // Cutting them to the maxima is the tool's (PythonToolTest, EryxServerTest).
        ResourceLimits asked =
                parse(
                                "{\"code\": \"1\", \"timeout_ms\": 99000000, \"fuel\": 5, \"max_output_bytes\": 10}")
                        .limits(DEFAULTS);
        assertEquals(Duration.ofMillis(99_000_000), asked.executionTimeout());
        assertEquals(5, asked.maxFuel());
        assertEquals(10, asked.maxOutputBytes());
        assertEquals(DEFAULTS.maxMemoryBytes(), asked.maxMemoryBytes());
    }
}
