package dev.eryx.internal.net.secrets;

import java.util.random.RandomGenerator;

/**
 * Makes placeholders: random letters and digits (safe in a header value, a URL and an environment
 * variable, unchanged by percent-encoding), with the recognizable prefix {@value #PREFIX} when the
 * value is long enough to keep {@value #MIN_RANDOM} random characters after it. A placeholder has
 * the value's UTF-8 length, so the scrubber can swap one for the other without changing a
 * Content-Length or chunk size.
 */
final class Placeholders {
    static final String PREFIX = "ERYX_";
    static final int MIN_RANDOM = 8;
    private static final String ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private Placeholders() {}

    static String generate(int length, RandomGenerator random) {
        StringBuilder sb = new StringBuilder(length);
        if (length >= PREFIX.length() + MIN_RANDOM) {
            sb.append(PREFIX);
        }
        while (sb.length() < length) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Whether a placeholder restored from a saved state could have been made here. */
    static boolean wellFormed(String placeholder) {
        if (placeholder.isEmpty()) {
            return false;
        }
        for (int i = 0; i < placeholder.length(); i++) {
            char c = placeholder.charAt(i);
            if (ALPHABET.indexOf(c) < 0 && c != '_') {
                return false;
            }
        }
        return true;
    }
}
