package dev.eryx.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses byte sizes as the JVM's {@code -Xmx} does: a number with an optional binary unit, {@code
 * k}, {@code m}, {@code g} or {@code t} (1024-based; {@code kb}/{@code kib} etc. are accepted as
 * synonyms), case-insensitive. A bare number is bytes. {@code unlimited} means no cap.
 */
public final class Sizes {
    /** What {@link #parse(String)} returns for {@code unlimited}. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private static final Pattern SIZE =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgt])(?:i?b)?|b)?");

    private Sizes() {}

    /**
     * @return the number of bytes, at least 1
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static long parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("unlimited")) {
            return UNLIMITED;
        }
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'"
                            + text
                            + "' is not a size; use a number with an optional unit: 512k, 256m, 1g (or 'unlimited')");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("kmgt".indexOf(m.group(2).charAt(0)) + 1);
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        long value = bytes.longValue(); // fractions of a byte are dropped
        if (value < 1) {
            throw new IllegalArgumentException("'" + text + "' must be at least 1 byte");
        }
        return value;
    }
}
