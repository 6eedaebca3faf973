package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Asserts that reading packages is refused with a message saying enough. */
final class Refusals {
    private Refusals() {}

    /** Asserts an IllegalArgumentException whose message holds every fragment; returns it. */
    static String assertRefused(Executable read, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, read);
        String message = e.getMessage();
        for (String fragment : fragments) {
            assertTrue(
                    message.contains(fragment),
                    () -> "message lacks \"" + fragment + "\": " + message);
        }
        return message;
    }

    static void assertContainsAll(String text, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(text.contains(fragment), () -> "lacks \"" + fragment + "\": " + text);
        }
    }
}
