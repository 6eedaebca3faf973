package dev.eryx.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations such as {@code 500ms}, {@code 1s}, {@code 1.5s}, {@code 2m}, {@code 1h}
 * (case-insensitive; a bare number is seconds, as for coreutils {@code timeout}). {@code none}
 * means no timeout.
 */
public final class Durations {
    /** What {@link #parse(String)} returns for {@code none}: no timeout. */
    public static final Duration NONE = Duration.ZERO;

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    private Durations() {}

    /**
     * @return a positive duration, or {@link #NONE}
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("none")) {
            return NONE;
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'"
                            + text
                            + "' is not a duration; use a number with a unit: 500ms, 1s, 2m, 1h (or 'none')");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        long nanosPerUnit;
        switch (unit) {
            case "ms":
                nanosPerUnit = 1_000_000L;
                break;
            case "s":
                nanosPerUnit = 1_000_000_000L;
                break;
            case "m":
                nanosPerUnit = 60_000_000_000L;
                break;
            default:
                nanosPerUnit = 3_600_000_000_000L;
                break;
        }
        BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit));
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long");
        }
        Duration d = Duration.ofNanos(nanos.longValue());
        if (d.isZero()) {
            throw new IllegalArgumentException(
                    "'" + text + "' must be positive (use 'none' for no timeout)");
        }
        return d;
    }
}
