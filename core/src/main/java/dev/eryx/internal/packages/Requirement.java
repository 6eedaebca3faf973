package dev.eryx.internal.packages;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One PEP 508 dependency as {@code Requires-Dist} writes it: {@code name[extra,...] specifier ;
 * marker}, the specifier bare or in parentheses ({@code foo (>=1.0)}, as older metadata writes it),
 * or {@code name @ url ; marker} (accepted; the URL is kept and the specifier is empty).
 */
public final class Requirement {
    private static final Pattern SEPARATORS = Pattern.compile("[-_.]+");

    private final String name;
    private final Set<String> extras;
    private final VersionSpecifier specifier;
    private final String url;
    private final Marker marker;

    private Requirement(
            String name,
            Set<String> extras,
            VersionSpecifier specifier,
            String url,
            Marker marker) {
        this.name = name;
        this.extras = Collections.unmodifiableSet(new LinkedHashSet<>(extras));
        this.specifier = specifier;
        this.url = url;
        this.marker = marker;
    }

    /** PEP 503: runs of {@code -}, {@code _} and {@code .} become one {@code -}, lower case. */
    public static String normalizeName(String name) {
        Objects.requireNonNull(name, "name");
        return SEPARATORS.matcher(name).replaceAll("-").toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a PEP 508 requirement.
     *
     * @throws IllegalArgumentException the text is malformed; the message quotes it and gives the
     *     position
     */
    public static Requirement parse(String text) {
        Objects.requireNonNull(text, "text");
        return new Parser(text).requirement();
    }

    /** The name as written. */
    public String name() {
        return name;
    }

    /** The name normalized as PEP 503 says, for lookups. */
    public String normalizedName() {
        return normalizeName(name);
    }

    /** The extras as written, in order. */
    public Set<String> extras() {
        return extras;
    }

    /** The version specifier; {@link VersionSpecifier#any()} when none (or a URL) is given. */
    public VersionSpecifier specifier() {
        return specifier;
    }

    public Optional<String> url() {
        return Optional.ofNullable(url);
    }

    public Optional<Marker> marker() {
        return Optional.ofNullable(marker);
    }

    /**
     * Whether this dependency applies to an interpreter in {@code env}: no marker, or the marker
     * holds with {@code extra} empty (eryx installs no extras).
     */
    public boolean appliesTo(MarkerEnvironment env) {
        Objects.requireNonNull(env, "env");
        return marker == null || marker.evaluate(env.withExtra(""));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Requirement r && toString().equals(r.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** A normalized rendering, e.g. {@code foo[bar]>=1.0; python_version < "3.8"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name);
        if (!extras.isEmpty()) {
            sb.append('[').append(String.join(",", extras)).append(']');
        }
        if (url != null) {
            sb.append(" @ ").append(url);
            if (marker != null) {
                sb.append(' '); // PEP 508: a space must separate the URL from the ";"
            }
        } else {
            sb.append(specifier);
        }
        if (marker != null) {
            sb.append("; ").append(marker);
        }
        return sb.toString();
    }

    /** Hand-written over PEP 508's grammar so that errors can say where the text goes wrong. */
    private static final class Parser {
        private final String source;
        private int pos;

        Parser(String source) {
            this.source = source;
        }

        Requirement requirement() {
            skipSpace();
            String name = name();
            skipSpace();
            Set<String> extras = new LinkedHashSet<>();
            if (peek() == '[') {
                pos++;
                extras(extras);
            }
            skipSpace();
            VersionSpecifier specifier = VersionSpecifier.any();
            String url = null;
            if (peek() == '@') {
                pos++;
                skipSpace();
                int start = pos;
                while (pos < source.length() && !Character.isWhitespace(source.charAt(pos))) {
                    pos++;
                }
                url = source.substring(start, pos);
                if (url.isEmpty()) {
                    throw error("expected a URL after \"@\"");
                }
                if (pos < source.length()) {
                    skipSpace();
                    if (pos < source.length() && peek() != ';') {
                        throw error("expected \";\" or the end after the URL");
                    }
                }
            } else if (peek() == '(') {
                int close = source.indexOf(')', pos);
                if (close < 0) {
                    throw error("expected \")\" to close the version specifier");
                }
                pos++;
                specifier = specifier(pos, close);
                pos = close + 1;
            } else if (pos < source.length() && peek() != ';') {
                int end = source.indexOf(';', pos);
                specifier = specifier(pos, end < 0 ? source.length() : end);
                pos = end < 0 ? source.length() : end;
            }
            skipSpace();
            Marker marker = null;
            if (peek() == ';') {
                pos++;
                skipSpace();
                if (pos == source.length()) {
                    throw error("expected a marker after \";\"");
                }
                marker = Marker.parse(source, pos, "requirement");
                pos = source.length();
            }
            if (pos < source.length()) {
                throw error("expected \";\" or the end");
            }
            return new Requirement(name, extras, specifier, url, marker);
        }

        private String name() {
            int start = pos;
            while (pos < source.length() && isNameChar(source.charAt(pos))) {
                pos++;
            }
            String name = source.substring(start, pos);
            if (name.isEmpty()) {
                throw error("expected a package name");
            }
            if (!isLetterOrDigit(name.charAt(0))
                    || !isLetterOrDigit(name.charAt(name.length() - 1))) {
                pos = start;
                throw error("a package name starts and ends with a letter or digit");
            }
            return name;
        }

        private void extras(Set<String> extras) {
            skipSpace();
            if (peek() == ']') {
                pos++;
                return;
            }
            while (true) {
                skipSpace();
                extras.add(name());
                skipSpace();
                char c = peek();
                pos++;
                if (c == ']') {
                    return;
                }
                if (c != ',') {
                    pos--;
                    throw error("expected \",\" or \"]\" in the extras");
                }
            }
        }

        private VersionSpecifier specifier(int start, int end) {
            String text = source.substring(start, end);
            try {
                return VersionSpecifier.parse(text);
            } catch (IllegalArgumentException e) {
                pos = start;
                throw error(e.getMessage());
            }
        }

        private static boolean isNameChar(char c) {
            return isLetterOrDigit(c) || c == '-' || c == '_' || c == '.';
        }

        private static boolean isLetterOrDigit(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }

        private void skipSpace() {
            while (pos < source.length() && Character.isWhitespace(source.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            return pos < source.length() ? source.charAt(pos) : '\0';
        }

        private IllegalArgumentException error(String reason) {
            return new IllegalArgumentException(
                    "Invalid requirement \"" + source + "\" at position " + pos + ": " + reason);
        }
    }
}
