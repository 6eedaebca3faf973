package dev.eryx.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * IP literals in the forms a guest's C library accepts, parsed over the string: never a DNS query.
 * IPv4 in every {@code inet_aton} form (1-4 parts, each decimal, octal with a leading {@code 0} or
 * hex with {@code 0x}: {@code 0177.0.0.1}, {@code 0x7f.1}, {@code 2130706433}); IPv6 with {@code
 * ::}, an embedded dotted quad, optional brackets and a zone id (dropped: a zone only picks the
 * interface of a link-local address, which the policy refuses unless admitted by CIDR). Use it to
 * turn the guest's {@code connect} address text into an {@link InetAddress}: {@code
 * InetAddress.getByName} would send a non-literal to DNS. Stateless.
 */
public final class IpLiteral {
    private IpLiteral() {}

    /** The address, or empty when the text is not an IP literal (then it is a name). */
    public static Optional<InetAddress> parse(String text) {
        byte[] bytes = parseBytes(text);
        return bytes == null ? Optional.empty() : Optional.of(address(bytes));
    }

    /** Raw bytes (4 or 16), or null when not a literal. */
    static byte[] parseBytes(String text) {
        if (text == null || text.isEmpty() || text.length() > 100) {
            return null;
        }
        String s = text;
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
            return s.indexOf(':') >= 0 ? parseV6(s) : null;
        }
        if (s.indexOf(':') >= 0) {
            return parseV6(s);
        }
        return parseV4(s.endsWith(".") ? s.substring(0, s.length() - 1) : s);
    }

    /** An address object over these bytes; no lookup (the JDK makes mapped IPv6 an IPv4 one). */
    static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address length " + bytes.length, e);
        }
    }

    /** inet_aton: 1-4 parts; the last part fills the remaining bytes. */
    static byte[] parseV4(String s) {
        if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
            return null;
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long v = number(parts[i]);
            if (v < 0) {
                return null;
            }
            values[i] = v;
        }
        long last = values[parts.length - 1];
        int lastBytes = 5 - parts.length;
        if (last >= (1L << (8 * lastBytes))) {
            return null;
        }
        long value = 0;
        for (int i = 0; i < parts.length - 1; i++) {
            if (values[i] > 255) {
                return null;
            }
            value = (value << 8) | values[i];
        }
        value = (value << (8 * lastBytes)) | last;
        return new byte[] {
            (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
        };
    }

    /** One inet_aton part: decimal, 0-octal or 0x-hex; -1 when not a number or above 2^32-1. */
    private static long number(String part) {
        int radix = 10;
        int start = 0;
        if (part.length() > 2 && (part.startsWith("0x") || part.startsWith("0X"))) {
            radix = 16;
            start = 2;
        } else if (part.length() > 1 && part.charAt(0) == '0') {
            radix = 8;
            start = 1;
        }
        if (part.length() - start > 12) {
            return -1;
        }
        long v = 0;
        for (int i = start; i < part.length(); i++) {
            char c = part.charAt(i);
            int d = c < 0x80 ? Character.digit(c, radix) : -1; // no Unicode digits
            if (d < 0) {
                return -1;
            }
            v = v * radix + d;
            if (v > 0xFFFFFFFFL) {
                return -1;
            }
        }
        return part.length() == start ? -1 : v;
    }

    /** RFC 4291 text: groups, one {@code ::}, an optional trailing dotted quad, a zone id. */
    static byte[] parseV6(String text) {
        String s = text;
        int zone = s.indexOf('%');
        if (zone >= 0) {
            String id = s.substring(zone + 1);
            if (id.isEmpty() || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ']')) {
                return null;
            }
            s = s.substring(0, zone);
        }
        byte[] out = new byte[16];
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String head = gap >= 0 ? s.substring(0, gap) : s;
        String tail = gap >= 0 ? s.substring(gap + 2) : "";
        byte[] h = groups(head, gap < 0, gap >= 0 ? 14 : 16);
        if (h == null) {
            return null;
        }
        if (gap < 0) {
            return h.length == 16 ? h : null;
        }
        byte[] t = groups(tail, true, 14 - h.length);
        if (t == null || h.length + t.length > 14) {
            return null;
        }
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(t, 0, out, 16 - t.length, t.length);
        return out;
    }

    /** Colon-separated groups; the dotted quad allowed in the last one when {@code last}. */
    private static byte[] groups(String s, boolean last, int max) {
        if (s.isEmpty()) {
            return new byte[0];
        }
        String[] parts = s.split(":", -1);
        byte[] out = new byte[parts.length * 2 + 2];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && last && p.indexOf('.') >= 0) {
                byte[] v4 = strictV4(p);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, n, 4);
                n += 4;
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                int d = c < 0x80 ? Character.digit(c, 16) : -1;
                if (d < 0) {
                    return null;
                }
                v = v * 16 + d;
            }
            out[n++] = (byte) (v >>> 8);
            out[n++] = (byte) v;
        }
        if (n > max) {
            return null;
        }
        byte[] result = new byte[n];
        System.arraycopy(out, 0, result, 0, n);
        return result;
    }

    /** Four decimal parts 0-255, as inside IPv6 text. */
    static byte[] strictV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** Canonical text: dotted quad, or RFC 5952 IPv6 (longest zero run as {@code ::}). */
    static String format(byte[] b) {
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (group(b, i) != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && group(b, j) == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(group(b, i)));
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    /** Canonical text of an address (IPv6 without brackets or zone). */
    public static String format(InetAddress address) {
        return format(address.getAddress());
    }

    private static int group(byte[] b, int i) {
        return ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
}
