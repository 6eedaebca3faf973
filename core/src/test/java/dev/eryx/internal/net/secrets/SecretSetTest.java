package dev.eryx.internal.net.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Binding, placeholders and the validation rules. */
class SecretSetTest {
    private static SecretValue secret(String name, String value) {
        return new SecretValue(name, value, List.of("h.test"), false);
    }

    @Test
    void aSeededGeneratorGivesTheSamePlaceholdersAndDistinctOnes() {
        List<SecretValue> secrets =
                List.of(secret("A", "aaaaaaaaaaaaaaaa"), secret("B", "bbbbbbbb"));
        SecretSet one = SecretSet.bind(secrets, new SplittableRandom(3), Map.of());
        SecretSet two = SecretSet.bind(secrets, new SplittableRandom(3), Map.of());
        assertEquals(one.placeholders(), two.placeholders());
        assertNotEquals(one.placeholders().get("A"), one.placeholders().get("B"));
        assertEquals(16, one.placeholders().get("A").length());
        assertEquals(8, one.placeholders().get("B").length());
        assertEquals(List.of("A", "B"), List.copyOf(one.placeholders().keySet()));
    }

    @Test
    void aUtf8ValueGetsAPlaceholderOfItsByteLength() {
        SecretSet set =
                SecretSet.bind(
                        List.of(secret("U", "clé-€-secrète")), new SplittableRandom(1), Map.of());
        assertEquals(
                "clé-€-secrète".getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                set.placeholders().get("U").length());
    }

    @Test
    void restoredPlaceholdersAreKeptAndCheckedAgainstTheNewValue() {
        SecretSet set =
                SecretSet.bind(
                        List.of(secret("A", "aaaaaaaaaa")),
                        new SplittableRandom(1),
                        Map.of("A", "Zz0Zz0Zz0Z", "GONE", "ERYX_abcdefgh"));
        assertEquals(Map.of("A", "Zz0Zz0Zz0Z", "GONE", "ERYX_abcdefgh"), set.placeholders());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                SecretSet.bind(
                                        List.of(secret("A", "aaaaaaaaaaaa")),
                                        new SplittableRandom(1),
                                        Map.of("A", "Zz0Zz0Zz0Z")));
        assertTrue(e.getMessage().contains("10 bytes"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> SecretSet.bind(List.of(), new SplittableRandom(1), Map.of("A", "a\r\nb")));
    }

    @Test
    void rules() {
        SecretRules.checkNameAndValue("API_KEY", "12345678");
        assertTrue(
                message(() -> SecretRules.checkNameAndValue("K", "1234567"))
                        .contains("at least 8"));
        assertTrue(
                message(() -> SecretRules.checkNameAndValue("K", "12345678\r\n"))
                        .contains("CR, LF or NUL"));
        assertTrue(
                message(() -> SecretRules.checkNameAndValue("K", "1234\0" + "5678"))
                        .contains("CR, LF or NUL"));
        assertTrue(message(() -> SecretRules.checkNameAndValue("K", "")).contains("empty"));
        message(() -> SecretRules.checkNameAndValue("A=B", "12345678"));
        message(() -> SecretRules.checkNameAndValue("", "12345678"));
        assertEquals("api.example.com", SecretRules.checkHost("API.Example.com."));
        assertEquals("127.0.0.1", SecretRules.checkHost("127.0.0.1"));
        assertEquals("::1", SecretRules.checkHost("[::1]"));
        assertEquals("2001:db8::1", SecretRules.checkHost("2001:DB8::1"));
        assertTrue(message(() -> SecretRules.checkHost("*.example.com")).contains("wildcard"));
        assertTrue(message(() -> SecretRules.checkHost("example.com:443")).contains("port"));
        assertTrue(message(() -> SecretRules.checkHost("[::1]:443")).contains("port"));
        message(() -> SecretRules.checkHost("exa mple.com"));
        message(() -> SecretRules.checkHost("-a.com"));
        message(() -> SecretRules.checkHost("a..com"));
        message(() -> SecretRules.checkHost("1:2:3"));
        message(() -> SecretRules.checkHost(""));
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }
}
