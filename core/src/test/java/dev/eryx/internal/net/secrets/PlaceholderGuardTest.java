package dev.eryx.internal.net.secrets;

import static dev.eryx.internal.net.secrets.SecretFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.net.NetException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Placeholders never leave on a connection no secret is bound to. */
class PlaceholderGuardTest {
    private final SecretSet set = SecretFixtures.set();
    private final String token = set.placeholders().get("API_TOKEN");

    @Test
    void aPlaceholderSplitAtAnyPositionAcrossTwoWritesIsRefusedInTheSecondWrite()
            throws NetException {
        byte[] data = bytes("GET /x?t=" + token + " HTTP/1.1\r\n\r\n");
        int start = 9;
        for (int cut = start + 1; cut < start + token.length(); cut++) {
            ConnectionFilter filter = set.forConnection("evil.test", true);
            assertFalse(filter.secretBound());
            byte[] first = filter.outbound(data, 0, cut);
            assertEquals(cut, first.length, "the first part goes");
            int from = cut;
            NetException e =
                    assertThrows(
                            NetException.class,
                            () -> filter.outbound(data, from, data.length - from));
            assertEquals(NetException.Kind.SECRET, e.kind());
            assertTrue(e.getMessage().contains("API_TOKEN"), e.getMessage());
            assertTrue(e.getMessage().contains("evil.test"), e.getMessage());
        }
    }

    @Test
    void ordinaryBytesPassUnchangedAndAnythingGoesWithoutSecrets() throws NetException {
        ConnectionFilter filter = set.forConnection("evil.test", true);
        byte[] data = bytes("GET / HTTP/1.1\r\nX: ERYX_notaplaceholder\r\n\r\n");
        assertEquals(
                SecretFixtures.text(data),
                SecretFixtures.text(filter.outbound(data, 0, data.length)));
        ConnectionFilter none = SecretSet.none().forConnection("evil.test", false);
        byte[] raw = bytes("\0\r\nanything " + token);
        assertEquals(
                SecretFixtures.text(raw), SecretFixtures.text(none.outbound(raw, 0, raw.length)));
        assertEquals(
                SecretFixtures.text(raw), SecretFixtures.text(none.inbound(raw, 0, raw.length)));
    }

    @Test
    void aRestoredPlaceholderWithoutItsSecretIsInert() throws NetException {
        SecretSet restored =
                SecretSet.bind(List.of(), new SplittableRandom(1), Map.of("OLD", token));
        assertEquals(Map.of("OLD", token), restored.placeholders());
        ConnectionFilter filter = restored.forConnection("evil.test", true);
        byte[] data = bytes("X: " + token);
        assertEquals(
                SecretFixtures.text(data),
                SecretFixtures.text(filter.outbound(data, 0, data.length)));
    }
}
