package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.MemoryLimitException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The body of POST /v1/sessions. */
class SessionsTest {
    private static Sessions.CreateRequest parse(String body) {
        return Sessions.parseCreate(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void emptyStateOrMemory() {
        for (String empty :
                List.of("", "{}", "{\"state\": null}", "{\"max_memory_bytes\": null}")) {
            Sessions.CreateRequest request = parse(empty);
            assertNull(request.state(), empty);
            assertNull(request.maxMemoryBytes(), empty);
        }
        assertArrayEquals(new byte[] {1, 2, 3}, parse("{\"state\": \"AQID\"}").state());
        assertEquals(64L << 20, parse("{\"max_memory_bytes\": 67108864}").maxMemoryBytes());
    }

    @Test
    void anythingElseIs400WithAReason() {
        for (String bad :
                List.of(
                        "[]",
                        "nope",
                        "{\"memory\": 5}",
                        "{\"max_memory_bytes\": 0}",
                        "{\"max_memory_bytes\": -1}",
                        "{\"max_memory_bytes\": 1.5}",
                        "{\"max_memory_bytes\": \"64\"}",
                        "{\"max_memory_bytes\": 99999999999999999999999}",
                        "{\"state\": 5}",
                        "{\"state\": \"%%%\"}",
                        "{\"state\": \"AQID\", \"max_memory_bytes\": 67108864}")) {
            HttpError error = assertThrows(HttpError.class, () -> parse(bad), bad);
            assertEquals(400, error.status, bad);
            assertTrue(error.getMessage().length() > 10, error.getMessage());
        }
        HttpError both =
                assertThrows(
                        HttpError.class,
                        () -> parse("{\"state\": \"AQID\", \"max_memory_bytes\": 67108864}"));
        assertTrue(both.getMessage().contains("together"), both.getMessage());
    }

    @Test
    void aSandboxThatCannotStartInTheMemoryAskedForIs400() {
        MemoryLimitException tooSmall = new MemoryLimitException("memory limit exceeded", null);
        HttpError small = Sessions.startFailure(tooSmall, 24L << 20, 512L << 20);
        assertEquals(400, small.status);
        assertTrue(
                small.getMessage().startsWith("max_memory_bytes is too small"), small.getMessage());
        // Not the request's doing: the server's own limit, or no limit asked for.
        assertEquals(500, Sessions.startFailure(tooSmall, 512L << 20, 512L << 20).status);
        assertEquals(500, Sessions.startFailure(tooSmall, null, 512L << 20).status);
    }

    @Test
    void mcpSessionsAreNamedByAHashOfTheirTransportId() {
        assertEquals("AbC_123", Sessions.publicId("AbC_123"));
        assertNull(Sessions.publicId(null));
        // "mcp-" + the first 12 hex digits of SHA-256("abc").
        assertEquals("mcp-ba7816bf8f01", Sessions.publicId("mcp-abc"));
        assertNotEquals(Sessions.publicId("mcp-abd"), Sessions.publicId("mcp-abc"));
    }
}
