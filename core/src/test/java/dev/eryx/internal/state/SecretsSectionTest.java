package dev.eryx.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SECRETS section: names and placeholders only, every malformed body refused. */
class SecretsSectionTest {
    private static Map<String, String> read(byte[] body, long length) throws IOException {
        return SecretsSection.read(new DataInputStream(new ByteArrayInputStream(body)), length);
    }

    @Test
    void roundTripKeepsOrder() throws IOException {
        Map<String, String> placeholders = new LinkedHashMap<>();
        placeholders.put("B_KEY", "ERYX_abcdefgh123");
        placeholders.put("A", "Zz0Zz0Zz");
        byte[] body = SecretsSection.body(placeholders);
        assertEquals(placeholders, read(body, body.length));
        assertEquals(
                java.util.List.of("B_KEY", "A"),
                java.util.List.copyOf(read(body, body.length).keySet()));
        assertNull(SecretsSection.body(Map.of()));
    }

    @Test
    void malformedBodiesAreRefused() throws IOException {
        byte[] good = SecretsSection.body(Map.of("K", "ERYX_abcdefgh"));
        String[] messages = {
            message(good, good.length + 1), // length mismatch
            message(good, good.length - 3), // shorter than its fields
            message(new byte[] {0, 0}, 2), // no secrets
            message(new byte[] {0, 1, 0, 0}, 4), // empty name
            message(new byte[] {0, 1, 0, 1, 'K', 0, 2, '-', '\n'}, 9), // bad placeholder
            message(new byte[] {0, 2, 0, 1, 'K', 0, 1, 'a', 0, 1, 'K', 0, 1, 'b'}, 14), // twice
        };
        for (String m : messages) {
            assertTrue(m.startsWith("saved state is corrupt"), m);
        }
    }

    private static String message(byte[] body, long length) {
        return assertThrows(Exception.class, () -> read(body, length)).getMessage();
    }
}
