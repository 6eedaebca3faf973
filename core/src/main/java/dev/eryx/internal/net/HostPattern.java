package dev.eryx.internal.net;

/**
 * One {@code allowHost} entry: an exact name, {@code *.suffix}, or an IP literal, with an optional
 * port. Contract stub of issue 17 (owner: policy); parse validates nothing yet.
 */
public final class HostPattern {
    private final String text;

    private HostPattern(String text) {
        this.text = text;
    }

    public static HostPattern parse(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("empty host pattern");
        }
        return new HostPattern(pattern.trim().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return text;
    }
}
