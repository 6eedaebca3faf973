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

    @Test
    void theConsoleStatsAndCancelRoutes() {
        assertEquals(Route.CONSOLE, Route.of("/"));
        assertEquals(Route.CONSOLE, Route.of("/console/console.js"));
        assertEquals(Route.CONSOLE, Route.of("/console/vendor/prism.js"));
        assertEquals(Route.OTHER, Route.of("/consoles"));
        assertEquals(Route.STATS, Route.of("/v1/stats"));
        assertEquals(Route.SESSION_CANCEL, Route.of("/v1/sessions/abc/cancel"));
        assertEquals("abc", Route.sessionId("/v1/sessions/abc/cancel"));
        assertEquals(Route.OTHER, Route.of("/v1/sessions/abc/cancel/x"));

        // Cancelling must get through when the token's places are taken by the runs it stops.
        assertFalse(Route.of("/v1/sessions/abc/cancel").isLimited("POST"));
        assertFalse(Route.of("/v1/sessions").isLimited("GET"));
        assertFalse(Route.of("/v1/stats").isLimited("GET"));
        assertFalse(Route.of("/").isLimited("GET"));
    }
}
