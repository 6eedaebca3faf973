package dev.eryx.internal.packages;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEP 440 version: {@code [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]}, parsed with PEP 440's
 * normalization rules ({@code 1.0RC1}, {@code v1.0}, {@code 1.0-post1}, {@code 1.0-1}, {@code
 * 1.0alpha}, ...) and ordered as PEP 440 says. Two versions are equal when they order equal: {@code
 * 1.0 == 1.0.0} (trailing zeros of the release do not count) while {@link #toString()} keeps the
 * release as written.
 */
public final class Version implements Comparable<Version> {
    // PEP 440's permissive form (appendix B), written out here: optional "v", epoch, release, then
    // pre, post (also the implicit "-N") and dev with optional separators, and a local label.
    private static final Pattern PATTERN =
            Pattern.compile(
                    "v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)"
                            + "(?:[-_.]?(?<prel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pren>[0-9]+)?)?"
                            + "(?:-(?<postn1>[0-9]+)|[-_.]?(?<postl>post|rev|r)[-_.]?(?<postn2>[0-9]+)?)?"
                            + "(?:[-_.]?(?<devl>dev)[-_.]?(?<devn>[0-9]+)?)?"
                            + "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?",
                    Pattern.CASE_INSENSITIVE);

    /** The longest version text accepted. */
    public static final int MAX_LENGTH = 512;

    private final String text; // null for a derived version
    private final BigInteger epoch;
    private final List<BigInteger> release;
    private final String preLabel; // "a", "b", "rc" or null
    private final BigInteger preNumber;
    private final BigInteger post; // null: not a post-release
    private final BigInteger dev; // null: not a development release
    private final List<String> local; // empty: no local label; lower case
    private final int hash;

    private Version(
            String text,
            BigInteger epoch,
            List<BigInteger> release,
            String preLabel,
            BigInteger preNumber,
            BigInteger post,
            BigInteger dev,
            List<String> local) {
        this.text = text;
        this.epoch = epoch;
        this.release = List.copyOf(release);
        this.preLabel = preLabel;
        this.preNumber = preNumber;
        this.post = post;
        this.dev = dev;
        this.local = List.copyOf(local);
        this.hash =
                Objects.hash(
                        epoch, stripTrailingZeros(release), preLabel, preNumber, post, dev, local);
    }

    /**
     * Parses {@code text} (surrounding white space ignored, case-insensitive).
     *
     * @throws IllegalArgumentException {@code text} is not a PEP 440 version; the message quotes it
     */
    public static Version parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.length() > MAX_LENGTH) {
            // java.util.regex recurses once per repeated group: bound it (real versions are short).
            throw new IllegalArgumentException(
                    "Invalid version \""
                            + trimmed.substring(0, 40)
                            + "...\" (longer than "
                            + MAX_LENGTH
                            + " characters)");
        }
        Matcher m = PATTERN.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("Invalid version \"" + text + "\" (not PEP 440)");
        }
        BigInteger epoch = m.group("epoch") == null ? BigInteger.ZERO : number(m.group("epoch"));
        List<BigInteger> release = new ArrayList<>();
        for (String part : m.group("release").split("\\.")) {
            release.add(number(part));
        }
        String preLabel = null;
        BigInteger preNumber = null;
        if (m.group("prel") != null) {
            preLabel =
                    switch (m.group("prel").toLowerCase(Locale.ROOT)) {
                        case "a", "alpha" -> "a";
                        case "b", "beta" -> "b";
                        default -> "rc"; // c, pre, preview, rc
                    };
            preNumber = m.group("pren") == null ? BigInteger.ZERO : number(m.group("pren"));
        }
        BigInteger post = null;
        if (m.group("postn1") != null) {
            post = number(m.group("postn1"));
        } else if (m.group("postl") != null) {
            post = m.group("postn2") == null ? BigInteger.ZERO : number(m.group("postn2"));
        }
        BigInteger dev = null;
        if (m.group("devl") != null) {
            dev = m.group("devn") == null ? BigInteger.ZERO : number(m.group("devn"));
        }
        List<String> local = new ArrayList<>();
        if (m.group("local") != null) {
            for (String part : m.group("local").toLowerCase(Locale.ROOT).split("[-_.]")) {
                local.add(isNumber(part) ? number(part).toString() : part);
            }
        }
        return new Version(trimmed, epoch, release, preLabel, preNumber, post, dev, local);
    }

    /** Whether {@code text} is a PEP 440 version (of at most {@value #MAX_LENGTH} characters). */
    public static boolean isValid(String text) {
        if (text == null) {
            return false;
        }
        String trimmed = text.strip();
        return trimmed.length() <= MAX_LENGTH && PATTERN.matcher(trimmed).matches();
    }

    /**
     * The text this version was parsed from (stripped of surrounding white space); the normalized
     * form for a version derived from another.
     */
    public String text() {
        return text != null ? text : toString();
    }

    public BigInteger epoch() {
        return epoch;
    }

    /** The release segments as written ({@code 1.0.0} has three). */
    public List<BigInteger> release() {
        return release;
    }

    /** A pre-release ({@code a}, {@code b}, {@code rc}) or a development release. */
    public boolean isPrerelease() {
        return preLabel != null || dev != null;
    }

    public boolean isPostrelease() {
        return post != null;
    }

    public boolean isDevrelease() {
        return dev != null;
    }

    public boolean hasLocal() {
        return !local.isEmpty();
    }

    /** This version without its local label. */
    public Version publicVersion() {
        return local.isEmpty()
                ? this
                : new Version(null, epoch, release, preLabel, preNumber, post, dev, List.of());
    }

    /** Epoch and release only ({@code 1!2.0rc1.post3+x} gives {@code 1!2.0}). */
    public Version baseVersion() {
        return new Version(null, epoch, release, null, null, null, null, List.of());
    }

    /** The version this is a post-release of: {@code 1.0a1.post2.dev3+x} gives {@code 1.0a1}. */
    Version postBase() {
        return new Version(null, epoch, release, preLabel, preNumber, null, null, List.of());
    }

    /** The earliest pre-release of this version: {@code 1.2.post1} gives {@code 1.2.post1.dev0}. */
    Version earliestPrerelease() {
        return new Version(
                null, epoch, release, preLabel, preNumber, post, BigInteger.ZERO, List.of());
    }

    /**
     * The parts that a prefix match ({@code ==1.0.*}) compares: epoch, release segments, then the
     * pre, post and dev parts as normalized text; no local label.
     */
    List<String> prefixParts() {
        List<String> parts = new ArrayList<>();
        parts.add(epoch.toString());
        for (BigInteger r : release) {
            parts.add(r.toString());
        }
        if (preLabel != null) {
            parts.add(preLabel + preNumber);
        }
        if (post != null) {
            parts.add("post" + post);
        }
        if (dev != null) {
            parts.add("dev" + dev);
        }
        return parts;
    }

    @Override
    public int compareTo(Version o) {
        int c = epoch.compareTo(o.epoch);
        if (c != 0) {
            return c;
        }
        int n = Math.max(release.size(), o.release.size());
        for (int i = 0; i < n; i++) {
            c = segment(release, i).compareTo(segment(o.release, i));
            if (c != 0) {
                return c;
            }
        }
        c = Integer.compare(preRank(), o.preRank());
        if (c != 0) {
            return c;
        }
        if (preLabel != null) {
            c = preNumber.compareTo(o.preNumber);
            if (c != 0) {
                return c;
            }
        }
        // No post-release sorts before any post-release; no dev part sorts after any dev part.
        c = compareMissingFirst(post, o.post);
        if (c != 0) {
            return c;
        }
        if (dev == null || o.dev == null) {
            c = dev == null ? (o.dev == null ? 0 : 1) : -1;
        } else {
            c = dev.compareTo(o.dev);
        }
        if (c != 0) {
            return c;
        }
        return compareLocal(local, o.local);
    }

    /**
     * Orders the pre-release part: a development release of a final (1.0.dev0) before every
     * pre-release of it, then a, b, rc, then no pre-release at all.
     */
    private int preRank() {
        if (preLabel == null) {
            return (post == null && dev != null) ? 0 : 4;
        }
        return switch (preLabel) {
            case "a" -> 1;
            case "b" -> 2;
            default -> 3;
        };
    }

    private static int compareMissingFirst(BigInteger a, BigInteger b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return a.compareTo(b);
    }

    // PEP 440: numeric local segments compare as numbers and sort after alphanumeric ones; a
    // label that is a prefix of another sorts first.
    private static int compareLocal(List<String> a, List<String> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            String x = a.get(i);
            String y = b.get(i);
            boolean xn = isNumber(x);
            boolean yn = isNumber(y);
            int c;
            if (xn && yn) {
                c = new BigInteger(x).compareTo(new BigInteger(y));
            } else if (xn != yn) {
                c = xn ? 1 : -1;
            } else {
                c = x.compareTo(y);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static BigInteger segment(List<BigInteger> release, int i) {
        return i < release.size() ? release.get(i) : BigInteger.ZERO;
    }

    private static List<BigInteger> stripTrailingZeros(List<BigInteger> release) {
        int end = release.size();
        while (end > 0 && release.get(end - 1).signum() == 0) {
            end--;
        }
        return release.subList(0, end);
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    }

    private static BigInteger number(String digits) {
        return new BigInteger(digits);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && hash == v.hash && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The normalized form, e.g. {@code 1!2.0rc1.post2.dev3+ubuntu.1}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (epoch.signum() != 0) {
            sb.append(epoch).append('!');
        }
        for (int i = 0; i < release.size(); i++) {
            sb.append(i == 0 ? "" : ".").append(release.get(i));
        }
        if (preLabel != null) {
            sb.append(preLabel).append(preNumber);
        }
        if (post != null) {
            sb.append(".post").append(post);
        }
        if (dev != null) {
            sb.append(".dev").append(dev);
        }
        if (!local.isEmpty()) {
            sb.append('+').append(String.join(".", local));
        }
        return sb.toString();
    }
}
