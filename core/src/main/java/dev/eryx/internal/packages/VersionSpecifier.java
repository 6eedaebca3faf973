package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEP 440 version specifier: clauses separated by commas, all of which must hold ({@code
 * >=1.2,<2}, {@code ==1.*}, {@code !=1.3.*}, {@code ~=1.4.5}, {@code ===foo}, {@code ==1.0+local});
 * the empty specifier holds for every version.
 *
 * <p>{@link #contains} checks an <em>installed</em> version, so pre-releases are accepted (whoever
 * installed one chose it); the exclusive comparisons keep PEP 440's own rules ({@code <2} does not
 * hold for {@code 2.0rc1}, {@code >1} not for {@code 1.post1} or {@code 1+local}).
 */
public final class VersionSpecifier {
    private static final VersionSpecifier ANY = new VersionSpecifier(List.of());
    private static final Pattern CLAUSE =
            Pattern.compile("\\s*(===|==|!=|~=|<=|>=|<|>)\\s*(\\S(?:.*\\S)?)?\\s*", Pattern.DOTALL);

    private enum Op {
        ARBITRARY("==="),
        EQUAL("=="),
        NOT_EQUAL("!="),
        COMPATIBLE("~="),
        LESS_EQUAL("<="),
        GREATER_EQUAL(">="),
        LESS("<"),
        GREATER(">");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }

        static Op of(String symbol) {
            for (Op op : values()) {
                if (op.symbol.equals(symbol)) {
                    return op;
                }
            }
            throw new AssertionError(symbol);
        }
    }

    /**
     * One clause. {@code version} is null only for {@code ===}; {@code prefix} marks {@code ==V.*}
     * and {@code !=V.*}.
     */
    private record Clause(Op op, String text, Version version, boolean prefix) {
        boolean contains(Version v) {
            return switch (op) {
                case ARBITRARY ->
                        text.equalsIgnoreCase(v.text()) || text.equalsIgnoreCase(v.toString());
                case EQUAL -> equal(v);
                case NOT_EQUAL -> !equal(v);
                case COMPATIBLE ->
                        v.publicVersion().compareTo(version) >= 0
                                && prefixMatches(compatiblePrefix(version), v);
                case LESS_EQUAL -> v.publicVersion().compareTo(version) <= 0;
                case GREATER_EQUAL -> v.publicVersion().compareTo(version) >= 0;
                // PEP 440: <V excludes V's pre-releases (unless V is one), >V excludes
                // V's post-releases (unless V is one) and V's local versions.
                case LESS ->
                        v.compareTo(version) < 0
                                && (version.isPrerelease()
                                        || !v.isPrerelease()
                                        || v.compareTo(version.earliestPrerelease()) < 0);
                case GREATER ->
                        v.compareTo(version) > 0
                                && (version.isPostrelease()
                                        || !v.isPostrelease()
                                        || !v.postBase().equals(version))
                                && (!v.hasLocal() || !v.publicVersion().equals(version));
            };
        }

        private boolean equal(Version v) {
            if (prefix) {
                return prefixMatches(version.prefixParts(), v);
            }
            // A specifier without a local label ignores the candidate's.
            return version.hasLocal() ? v.equals(version) : v.publicVersion().equals(version);
        }

        @Override
        public String toString() {
            return op.symbol + text;
        }
    }

    private final List<Clause> clauses;

    private VersionSpecifier(List<Clause> clauses) {
        this.clauses = List.copyOf(clauses);
    }

    /** The specifier that holds for every version. */
    public static VersionSpecifier any() {
        return ANY;
    }

    /**
     * Parses a comma-separated set of clauses; blank text (and blank clauses, such as after a
     * trailing comma) adds nothing: {@code ""} is {@link #any()}.
     *
     * @throws IllegalArgumentException a clause is malformed; the message quotes the text and the
     *     clause
     */
    public static VersionSpecifier parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            return ANY;
        }
        List<Clause> clauses = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            // PEP 508's grammar allows a trailing comma; like pip, empty clauses are skipped.
            if (!part.isBlank()) {
                clauses.add(clause(text, part));
            }
        }
        return new VersionSpecifier(clauses);
    }

    private static Clause clause(String whole, String part) {
        Matcher m = CLAUSE.matcher(part);
        if (!m.matches()) {
            throw invalid(whole, part, "expected an operator (==, !=, <=, >=, <, >, ~=, ===)");
        }
        Op op = Op.of(m.group(1));
        String value = m.group(2);
        if (value == null) {
            throw invalid(whole, part, "expected a version after " + op.symbol);
        }
        if (op == Op.ARBITRARY) {
            if (value.chars().anyMatch(Character::isWhitespace)) {
                throw invalid(whole, part, "white space in an arbitrary-equality version");
            }
            return new Clause(op, value, null, false);
        }
        boolean prefix = value.endsWith(".*");
        String versionText = prefix ? value.substring(0, value.length() - 2) : value;
        if (!Version.isValid(versionText)
                || versionText.chars().anyMatch(Character::isWhitespace)) {
            throw invalid(whole, part, "\"" + value + "\" is not a PEP 440 version");
        }
        Version version = Version.parse(versionText);
        if (prefix && op != Op.EQUAL && op != Op.NOT_EQUAL) {
            throw invalid(whole, part, "a .* suffix is allowed only with == and !=");
        }
        if (prefix && !version.baseVersion().equals(version)) {
            throw invalid(whole, part, "a .* suffix may follow only the release segments");
        }
        if (version.hasLocal() && (prefix || (op != Op.EQUAL && op != Op.NOT_EQUAL))) {
            throw invalid(
                    whole, part, "a local version label is allowed only with == and != (no .*)");
        }
        if (op == Op.COMPATIBLE && version.release().size() < 2) {
            throw invalid(whole, part, "~= needs a version with at least two release segments");
        }
        return new Clause(op, value, version, prefix);
    }

    private static IllegalArgumentException invalid(String whole, String part, String reason) {
        return new IllegalArgumentException(
                "Invalid version specifier \""
                        + whole
                        + "\" at \""
                        + part.strip()
                        + "\": "
                        + reason);
    }

    /** {@code ~=1.4.5} is {@code >=1.4.5, ==1.4.*}: the release without its last segment. */
    private static List<String> compatiblePrefix(Version v) {
        List<String> parts = new ArrayList<>();
        parts.add(v.epoch().toString());
        for (int i = 0; i < v.release().size() - 1; i++) {
            parts.add(v.release().get(i).toString());
        }
        return parts;
    }

    /**
     * PEP 440 prefix matching: the candidate (local label ignored) starts with the prefix once its
     * release is padded with zeros to the prefix's length ({@code 1} matches {@code ==1.0.*}).
     */
    private static boolean prefixMatches(List<String> prefix, Version candidate) {
        int width = Math.max(releaseLength(prefix), candidate.release().size());
        List<String> c = padRelease(candidate.prefixParts(), candidate.release().size(), width);
        return c.size() >= prefix.size() && c.subList(0, prefix.size()).equals(prefix);
    }

    private static int releaseLength(List<String> parts) {
        int n = 0;
        for (int i = 1; i < parts.size() && isDigits(parts.get(i)); i++) {
            n++;
        }
        return n;
    }

    private static List<String> padRelease(List<String> parts, int releaseLength, int width) {
        List<String> out = new ArrayList<>(parts.subList(0, 1 + releaseLength));
        while (out.size() < 1 + width) {
            out.add("0");
        }
        out.addAll(parts.subList(1 + releaseLength, parts.size()));
        return out;
    }

    private static boolean isDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    }

    /** Whether every clause holds for {@code version} (pre-releases included). */
    public boolean contains(Version version) {
        Objects.requireNonNull(version, "version");
        for (Clause c : clauses) {
            if (!c.contains(version)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this is the empty specifier (any version). */
    public boolean isAny() {
        return clauses.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionSpecifier s && toString().equals(s.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** The clauses joined by commas, e.g. {@code >=1.2,<2}; empty for {@link #any()}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Clause c : clauses) {
            parts.add(c.toString());
        }
        return String.join(",", parts);
    }
}
