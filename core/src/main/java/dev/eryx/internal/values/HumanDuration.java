package dev.eryx.internal.values;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations in messages as people write them, not ISO 8601: shared by every message that shows one.
 */
public final class HumanDuration {
    private HumanDuration() {}

    /** {@code 2s}, {@code 1.5s}, {@code 250ms}, {@code 2m}, {@code 1h30m} rather than ISO 8601. */
    public static String of(Duration d) {
        if (d == null) {
            return "no limit";
        }
        long millis = d.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            // Up to millisecond precision, without trailing zeros: 1.5s, 2s, 1.25s.
            return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s";
        }
        StringBuilder sb = new StringBuilder();
        long hours = d.toHours();
        long minutes = d.toMinutesPart();
        long seconds = d.toSecondsPart();
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (minutes > 0) {
            sb.append(minutes).append('m');
        }
        if (seconds > 0 || d.toMillisPart() > 0) {
            long ms = d.toMillisPart();
            sb.append(
                            ms == 0
                                    ? Long.toString(seconds)
                                    : BigDecimal.valueOf(seconds * 1000 + ms, 3)
                                            .stripTrailingZeros()
                                            .toPlainString())
                    .append('s');
        }
        return sb.toString();
    }
}
