package dev.eryx.internal.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The conversion of callback results and the parsing of arguments, without a sandbox. */
class ResultEncoderTest {
    private static final ResultEncoder PLAIN = new ResultEncoder(List.of(), 1 << 20);

    private static String json(ResultEncoder encoder, Object value) {
        return new String(encoder.encode(value), StandardCharsets.UTF_8);
    }

    private static String refusal(ResultEncoder encoder, Object value) {
        return assertThrows(ResultEncoder.NotJson.class, () -> encoder.encode(value)).describe();
    }

    record Pair(String a, Object b) {}

    @Test
    void integersUpToPythonsDefaultDigitLimit() {
        BigInteger max = BigInteger.TEN.pow(4_300).subtract(BigInteger.ONE);
        assertEquals(4_300, json(PLAIN, max).length());
        assertEquals(4_301, json(PLAIN, max.negate()).length());
        String refused = refusal(PLAIN, List.of(max.add(BigInteger.ONE)));
        assertTrue(
                refused.startsWith("at result[0]: an integer has more than 4300 digits"), refused);
        // A huge one is refused by its bit length, without printing it.
        assertTrue(refusal(PLAIN, BigInteger.ONE.shiftLeft(50_000_000)).contains("4300 digits"));
    }

    @Test
    void nestingUpToAThousandLevels() {
        Object deep = List.of();
        for (int i = 0; i < CallbackJson.MAX_DEPTH; i++) {
            deep = List.of(deep);
        }
        assertEquals(2 * (CallbackJson.MAX_DEPTH + 1), json(PLAIN, deep).length());
        String refused = refusal(PLAIN, List.of(deep));
        assertTrue(refused.contains("nested deeper than 1000 levels"), refused);
    }

    @Test
    void stringsAndKeysUpToMaxOutputBytes() {
        ResultEncoder small = new ResultEncoder(List.of(), 10);
        assertEquals("\"0123456789\"", json(small, "0123456789"));
        assertTrue(refusal(small, "é".repeat(6)).contains("12 bytes long"));
        assertTrue(refusal(small, Map.of("k".repeat(11), 1)).contains("a key"));
    }

    @Test
    void theWholeResultIsBounded() {
        ResultEncoder small = new ResultEncoder(List.of(), 10, 1 << 20);
        Object shared = "0123456789"; // shared parts: 2^30 strings if expanded
        for (int i = 0; i < 30; i++) {
            shared = List.of(shared, shared);
        }
        assertTrue(refusal(small, shared).contains("larger than " + (1 << 20) + " bytes"));
    }

    @Test
    void mappersAndRecords() {
        Function<Object, ?> toUpper = value -> value.toString().toUpperCase();
        ResultEncoder mapped =
                new ResultEncoder(List.of(Map.entry(StringBuilder.class, toUpper)), 1 << 20);
        assertEquals(
                "{\"a\":\"x\",\"b\":\"Y\"}", json(mapped, new Pair("x", new StringBuilder("y"))));
        Function<Object, ?> itself = value -> value;
        ResultEncoder looping =
                new ResultEncoder(List.of(Map.entry(StringBuilder.class, itself)), 1 << 20);
        assertTrue(refusal(looping, new StringBuilder()).contains("keeps returning"));
        assertTrue(
                refusal(PLAIN, new Pair("x", new Object()))
                        .contains("at result.b: a java.lang.Object"));
    }

    @Test
    void argumentsOverTheLimitsAreRefusedInTheGuestsTerms() {
        String digits = "9".repeat(4_300);
        JsonNode ok =
                CallbackJson.parseRequest(
                        ("{\"name\":\"f\",\"args\":{\"n\":-" + digits + "}}")
                                .getBytes(StandardCharsets.UTF_8));
        assertEquals(4_301, ok.get("args").get("n").toString().length());
        IllegalArgumentException tooLong =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CallbackJson.parseRequest(
                                        ("{\"args\":{\"n\":" + digits + "9}}")
                                                .getBytes(StandardCharsets.UTF_8)));
        assertTrue(tooLong.getMessage().contains("more than 4300 digits"), tooLong.getMessage());
        String deep = "[".repeat(1_001) + "]".repeat(1_001);
        IllegalArgumentException tooDeep =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                CallbackJson.parseRequest(
                                        ("{\"args\":{\"d\":" + deep + "}}")
                                                .getBytes(StandardCharsets.UTF_8)));
        assertTrue(tooDeep.getMessage().contains("deeper than 1000"), tooDeep.getMessage());
    }
}
