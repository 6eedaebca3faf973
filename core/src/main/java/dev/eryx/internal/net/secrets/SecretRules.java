package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.IpLiteral;
import dev.eryx.internal.wasi.WasiConfig;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Validation of {@code Secret}s: names, values and the hosts they may go to. */
public final class SecretRules {
    /**
     * Shortest value the host accepts. The scrubber and the redactor replace every occurrence of
     * the value; a very short one (a PIN, "true") occurs by chance in ordinary output, and its
     * placeholder would be guessable.
     */
    public static final int MIN_VALUE_BYTES = 8;

    /** Longest value: a saved state records its placeholder, of the same length, in 16 bits. */
    public static final int MAX_VALUE_BYTES = 4096;

    private static final int MAX_HOST_LENGTH = 253;

    private SecretRules() {}

    /**
     * @throws IllegalArgumentException the name is not a valid environment variable name, or the
     *     value is empty, shorter than {@value #MIN_VALUE_BYTES} bytes, or contains CR, LF or NUL
     */
    public static void checkNameAndValue(String name, String value) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a secret needs a name");
        }
        // The name becomes an environment variable of the guest: the same rules.
        WasiConfig.checkEnvironmentVariable(name, "");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("the value of secret " + name + " is empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                throw new IllegalArgumentException(
                        "the value of secret "
                                + name
                                + " contains CR, LF or NUL: put into an HTTP header it could end"
                                + " the header and inject others");
            }
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(
                    "the value of secret "
                            + name
                            + " has "
                            + bytes
                            + " bytes; at most "
                            + MAX_VALUE_BYTES
                            + " are allowed");
        }
        if (bytes < MIN_VALUE_BYTES) {
            throw new IllegalArgumentException(
                    "the value of secret "
                            + name
                            + " has "
                            + bytes
                            + " bytes; at least "
                            + MIN_VALUE_BYTES
                            + " are needed: a shorter value occurs by chance in ordinary output"
                            + " and cannot be hidden reliably");
        }
    }

    /**
     * An exact DNS name or IP literal (IPv6 with or without brackets), without wildcard or port.
     *
     * @return the host in lower case, without brackets or a trailing dot
     */
    public static String checkHost(String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.indexOf('*') >= 0) {
            throw new IllegalArgumentException(
                    "a secret's host must be an exact name, not a wildcard: \"" + host + "\"");
        }
        if (h.startsWith("[")) {
            if (!h.endsWith("]")) {
                throw new IllegalArgumentException(
                        "a secret's host has no port (it goes to every port of the host): \""
                                + host
                                + "\"");
            }
            return ipv6(h.substring(1, h.length() - 1), host);
        }
        int colons = h.length() - h.replace(":", "").length();
        if (colons == 1) {
            throw new IllegalArgumentException(
                    "a secret's host has no port (it goes to every port of the host): \""
                            + host
                            + "\"");
        }
        if (colons > 1) {
            return ipv6(h, host);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.isEmpty() || h.length() > MAX_HOST_LENGTH) {
            throw new IllegalArgumentException("not a host name: \"" + host + "\"");
        }
        for (String label : h.split("\\.", -1)) {
            if (!isLabel(label)) {
                throw new IllegalArgumentException(
                        "not a host name (letters, digits, '-' and '_' in dot-separated labels): \""
                                + host
                                + "\"");
            }
        }
        return h;
    }

    private static boolean isLabel(String label) {
        if (label.isEmpty() || label.length() > 63) {
            return false;
        }
        if (label.startsWith("-") || label.endsWith("-")) {
            return false;
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** An IPv6 literal in the form connections name it ({@link IpLiteral#format}). */
    private static String ipv6(String literal, String host) {
        return IpLiteral.parse(literal)
                .filter(address -> address instanceof java.net.Inet6Address)
                .map(IpLiteral::format)
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "not an IPv6 literal: \"" + host + "\""));
    }
}
