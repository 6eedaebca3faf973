package dev.eryx.internal.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The limits the host parses guest JSON under, at their edges, and the sentences that name them
 * (Jackson's messages are not API: an upgrade that changes them fails here).
 */
class GuestJsonTest {
    private static final long MAX_STRINGS = 2L << 20;
    private final JsonFactory factory = GuestJson.factory(MAX_STRINGS, 0);

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private String refusal(String json) {
        StreamConstraintsException e =
                assertThrows(
                        StreamConstraintsException.class,
                        () -> GuestJson.read(factory, bytes(json)));
        return GuestJson.explain(e, MAX_STRINGS, "maxOutputBytes");
    }

    @Test
    void stringsAndKeysUpToTheLimit() throws IOException {
        String longest = "x".repeat((int) MAX_STRINGS);
        assertEquals(
                longest.length(),
                GuestJson.read(factory, bytes('"' + longest + '"')).asText().length());
        assertEquals(
                1, GuestJson.read(factory, bytes("{\"" + longest + "\":1}")).get(longest).asInt());
        assertEquals(
                "a string is longer than 2097152 characters (maxOutputBytes)",
                refusal('"' + longest + "x\""));
        assertEquals(
                "a key is longer than 2097152 characters (maxOutputBytes)",
                refusal("{\"" + longest + "x\":1}"));
    }

    @Test
    void smallOutputAllowancesStillAcceptAMebibyte() throws IOException {
        JsonFactory tiny = GuestJson.factory(100, 0);
        String text = "y".repeat(GuestJson.MIN_STRING_CHARS);
        assertEquals(text, GuestJson.read(tiny, bytes('"' + text + '"')).asText());
    }

    @Test
    void numbersUpToTheHostBound() throws IOException {
        String digits = "7".repeat(GuestJson.MAX_NUMBER_DIGITS);
        assertEquals(
                new BigInteger(digits),
                GuestJson.read(factory, bytes("[" + digits + "]")).get(0).bigIntegerValue());
        assertEquals(
                "a number has more than 100000 digits (the host's limit)",
                refusal("[" + digits + "7]"));
    }

    @Test
    void nestingUpToTheHostBoundMeasuredWithoutRecursion() throws IOException {
        int depth = GuestJson.MAX_DEPTH;
        String deepest = "[".repeat(depth) + "]".repeat(depth);
        assertEquals(depth, GuestJson.depth(GuestJson.read(factory, bytes(deepest))));
        assertEquals(
                "it is nested more than 10000 levels deep (the host's limit)",
                refusal("[" + deepest + "]"));
        assertEquals(2, GuestJson.depth(GuestJson.read(factory, bytes("[1,{}]"))));
        assertEquals(4, GuestJson.depth(GuestJson.read(factory, bytes("{\"a\":[1,{\"b\":[]}]}"))));
        assertEquals(0, GuestJson.depth(GuestJson.read(factory, bytes("\"s\""))));
        // The outcome object around a result adds one level of its own.
        JsonFactory outcome = GuestJson.factory(MAX_STRINGS, 1);
        assertEquals(
                depth + 1,
                GuestJson.depth(GuestJson.read(outcome, bytes("{\"result\":" + deepest + "}"))));
    }

    @Test
    void trailingDataIsMalformed() {
        assertThrows(IOException.class, () -> GuestJson.read(factory, bytes("{} {}")));
    }

    /**
     * Found by BridgeMessagesFuzzer: an empty COMPLETE was a null node, then an NPE in the host.
     */
    @Test
    void noDocumentIsMalformedNotNull() {
        assertThrows(IOException.class, () -> GuestJson.read(factory, new byte[0]));
        assertThrows(IOException.class, () -> GuestJson.read(factory, bytes(" \n\t")));
    }
}
