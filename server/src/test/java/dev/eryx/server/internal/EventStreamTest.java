package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventStreamTest {
    @Test
    void anAcceptListingEventStreamAsksForOne() {
        assertTrue(EventStream.wanted("text/event-stream"));
        assertTrue(EventStream.wanted("application/json, Text/Event-Stream;q=0.9"));
        assertFalse(EventStream.wanted(null));
        assertFalse(EventStream.wanted("application/json"));
        assertFalse(EventStream.wanted("*/*"));
        assertFalse(EventStream.wanted("text/event-streams"));
    }

    @Test
    void anEventIsOneDataLineWhateverTheTextHolds() {
        byte[] frame = EventStream.frame("stdout", Json.object().put("text", "a\nb\r\nc\u2028é"));
        assertEquals(
                "event: stdout\ndata: {\"text\":\"a\\nb\\r\\nc\u2028é\"}\n\n",
                new String(frame, StandardCharsets.UTF_8));
    }
}
