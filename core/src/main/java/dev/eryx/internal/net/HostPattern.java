package dev.eryx.internal.net;

import java.net.IDN;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Locale;

/**
 * One {@code allowHost} entry: an exact name ({@code api.example.com}), every subdomain of a name
 * ({@code *.example.com}: not the name itself), or an IP literal ({@code 10.0.0.5}, {@code
 * [fd00::1]}), with an optional port ({@code host:443}, {@code [v6]:443}). Names are lower-cased, a
 * trailing dot is dropped and internationalized names are converted to their ASCII form with {@link
 * IDN#toASCII(String)} ({@code bücher.example} → {@code xn--bcher-kva.example}), the form the
 * guest's {@code getaddrinfo} sends. Immutable; {@link #toString()} parses back to an equal
 * pattern.
 */
public final class HostPattern {
    private static final int MAX_NAME = 253;

    /** The name, or the suffix after {@code *.} for a wildcard; null for a literal. */
    private final String name;

    private final boolean wildcard;

    /** The literal's bytes, or null for a name. */
    private final byte[] literal;

    /** 0: any port. */
    private final int port;

    private HostPattern(String name, boolean wildcard, byte[] literal, int port) {
        this.name = name;
        this.wildcard = wildcard;
        this.literal = literal;
        this.port = port;
    }

    /**
     * Parses and normalizes a pattern.
     *
     * @throws IllegalArgumentException with a message saying what is wrong (a URL, an empty label,
     *     a misplaced {@code *}, a port outside 1-65535, a space, ...)
     */
    public static HostPattern parse(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            throw new IllegalArgumentException("empty host pattern");
        }
        String p = pattern;
        if (p.chars().anyMatch(Character::isWhitespace)) {
            throw bad(pattern, "it contains a space");
        }
        if (p.contains("://") || p.contains("/") || p.contains("@") || p.contains("?")) {
            throw bad(pattern, "give a host name such as api.example.com, not a URL");
        }
        int port = 0;
        String host = p;
        if (p.startsWith("[")) {
            int close = p.indexOf(']');
            if (close < 0) {
                throw bad(pattern, "the '[' of an IPv6 literal is not closed");
            }
            host = p.substring(1, close);
            String rest = p.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw bad(pattern, "only \":port\" may follow \"]\"");
                }
                port = port(pattern, rest.substring(1));
            }
            byte[] v6 = IpLiteral.parseV6(host);
            if (v6 == null || host.indexOf('%') >= 0) {
                throw bad(pattern, "not an IPv6 address inside the brackets");
            }
            return literal(v6, port);
        }
        int colons = (int) p.chars().filter(c -> c == ':').count();
        if (colons > 1) {
            byte[] v6 = p.indexOf('%') >= 0 ? null : IpLiteral.parseV6(p);
            if (v6 == null) {
                throw bad(pattern, "not an IPv6 address (write [addr]:port to give a port)");
            }
            return literal(v6, 0);
        }
        if (colons == 1) {
            int colon = p.indexOf(':');
            host = p.substring(0, colon);
            port = port(pattern, p.substring(colon + 1));
        }
        if (host.isEmpty()) {
            throw bad(pattern, "the host is missing");
        }
        byte[] v4 = IpLiteral.parseBytes(host);
        if (v4 != null) {
            return literal(v4, port);
        }
        boolean wildcard = false;
        if (host.startsWith("*.")) {
            wildcard = true;
            host = host.substring(2);
        }
        if (host.indexOf('*') >= 0) {
            throw bad(
                    pattern,
                    "'*' may only stand alone as the first label, as in *.example.com"
                            + " (which matches the subdomains of example.com)");
        }
        String ascii = normalizeName(host);
        if (ascii == null) {
            throw bad(pattern, "not a valid host name (labels of letters, digits, '-' and '_')");
        }
        return new HostPattern(ascii, wildcard, null, port);
    }

    private static HostPattern literal(byte[] bytes, int port) {
        byte[] b = bytes;
        if (AddressRanges.isMapped(b)) {
            b = Arrays.copyOfRange(b, 12, 16);
        }
        return new HostPattern(null, false, b, port);
    }

    private static int port(String pattern, String text) {
        if (text.isEmpty()
                || text.length() > 5
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(pattern, "the port must be a number from 1 to 65535");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw bad(pattern, "the port must be a number from 1 to 65535");
        }
        return port;
    }

    private static IllegalArgumentException bad(String pattern, String why) {
        String shown = pattern.length() > 100 ? pattern.substring(0, 100) + "..." : pattern;
        return new IllegalArgumentException("bad host pattern \"" + shown + "\": " + why);
    }

    /**
     * A host name as the policy compares it: IDN to ASCII, lower case, no trailing dot; null when
     * it is not a valid name (empty label, label over 63 characters, a character other than a
     * letter, digit, '-' or '_', a label starting or ending with '-', longer than 253).
     */
    static String normalizeName(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.length() > 4 * MAX_NAME) {
            return null;
        }
        String ascii;
        try {
            ascii = IDN.toASCII(h, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            return null;
        }
        ascii = ascii.toLowerCase(Locale.ROOT);
        if (ascii.isEmpty() || ascii.length() > MAX_NAME) {
            return null;
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return null;
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                return null;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok =
                        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) {
                    return null;
                }
            }
        }
        return ascii;
    }

    /** True for an IP-literal pattern. */
    public boolean isLiteral() {
        return literal != null;
    }

    /** The port this pattern is limited to, or 0 for any. */
    public int port() {
        return port;
    }

    /**
     * True if a connection to this name (already normalized: see {@link #normalizeName}) and port
     * is allowed by this pattern. A wildcard matches subdomains only, never the apex. A literal
     * pattern matches the literal's text in any form {@link IpLiteral} accepts.
     */
    public boolean matches(String name, int port) {
        if (!portMatches(port) || name == null) {
            return false;
        }
        if (literal != null) {
            byte[] b = IpLiteral.parseBytes(name);
            return b != null && sameAddress(b);
        }
        if (wildcard) {
            return name.length() > this.name.length() + 1
                    && name.endsWith(this.name)
                    && name.charAt(name.length() - this.name.length() - 1) == '.';
        }
        return name.equals(this.name);
    }

    /** True if this is a literal pattern for this address and the port matches. */
    public boolean matches(InetAddress address, int port) {
        return literal != null && portMatches(port) && sameAddress(address.getAddress());
    }

    /** True if the name matches, whatever the port (the check made before resolving). */
    boolean matchesName(String name) {
        return matches(name, port == 0 ? 1 : port);
    }

    private boolean portMatches(int port) {
        return this.port == 0 || this.port == port;
    }

    private boolean sameAddress(byte[] b) {
        byte[] a = AddressRanges.isMapped(b) ? Arrays.copyOfRange(b, 12, 16) : b;
        return Arrays.equals(a, literal);
    }

    /** Canonical text: {@code *.example.com:443}, {@code 10.0.0.5}, {@code [fd00::1]:8443}. */
    @Override
    public String toString() {
        String host;
        if (literal != null) {
            host =
                    literal.length == 16
                            ? "[" + IpLiteral.format(literal) + "]"
                            : IpLiteral.format(literal);
        } else {
            host = wildcard ? "*." + name : name;
        }
        return port == 0 ? host : host + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostPattern h && h.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
