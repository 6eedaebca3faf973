package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RouteTest {
    @Test
    void codeRunsAndSavesCountAgainstTheConcurrencyLimitReadsDoNot() {
        assertTrue(Route.of("/v1/execute").isLimited("POST"));
        assertTrue(Route.of("/v1/sessions").isLimited("POST"));
        assertTrue(Route.of("/v1/sessions/abc_-1/execute").isLimited("POST"));
        assertTrue(Route.of("/mcp").isLimited("POST"));
        assertEquals(Route.SESSION_STATE, Route.of("/v1/sessions/abc/state"));
        assertTrue(Route.of("/v1/sessions/abc/state").isLimited("GET"));

        assertFalse(Route.of("/v1/sessions/abc").isLimited("DELETE"));
        assertFalse(Route.of("/healthz").isLimited("GET"));
        assertFalse(Route.of("/metrics").isLimited("GET"));
        assertFalse(Route.of("/mcp").isLimited("GET"));
        assertFalse(Route.of("/v1/execute").isLimited("GET"));
    }
}
