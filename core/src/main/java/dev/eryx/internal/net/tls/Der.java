package dev.eryx.internal.net.tls;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The little of DER the peer certificate dict needs (names, access descriptions, distribution
 * points) that the JDK's X509Certificate does not decode. Bounds-checked: malformed input throws
 * {@link IllegalArgumentException}, never reads outside the array.
 */
final class Der {
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;
    static final int OID = 0x06;
    static final int OCTET_STRING = 0x04;

    /** One element: its tag and the bounds of its content in {@code bytes}. */
    record Element(byte[] bytes, int tag, int start, int end) {
        /** The elements inside a constructed element. */
        List<Element> children() {
            return parse(bytes, start, end);
        }

        byte[] content() {
            byte[] out = new byte[end - start];
            System.arraycopy(bytes, start, out, 0, out.length);
            return out;
        }

        /** An OBJECT IDENTIFIER in dotted form. */
        String oid() {
            if (tag != OID || end == start) {
                throw new IllegalArgumentException("not an OID");
            }
            StringBuilder sb = new StringBuilder();
            long value = 0;
            boolean first = true;
            for (int i = start; i < end; i++) {
                int b = bytes[i] & 0xff;
                if (value > (Long.MAX_VALUE >> 7)) {
                    throw new IllegalArgumentException("OID arc too large");
                }
                value = (value << 7) | (b & 0x7f);
                if ((b & 0x80) == 0) {
                    if (first) {
                        long top = Math.min(value / 40, 2);
                        sb.append(top).append('.').append(value - 40 * top);
                        first = false;
                    } else {
                        sb.append('.').append(value);
                    }
                    value = 0;
                }
            }
            return sb.toString();
        }

        /** A string of any of X.509's string types, as text. */
        String text() {
            Charset charset =
                    switch (tag) {
                        case 0x0C -> StandardCharsets.UTF_8; // UTF8String
                        case 0x1E -> StandardCharsets.UTF_16BE; // BMPString
                        case 0x1C -> Charset.forName("UTF-32BE"); // UniversalString
                        case 0x14 -> StandardCharsets.ISO_8859_1; // T61String, as OpenSSL does
                        default -> StandardCharsets.ISO_8859_1; // Printable, IA5, Numeric, ...
                    };
            return new String(bytes, start, end - start, charset);
        }
    }

    private Der() {}

    /** The elements one after the other in {@code bytes[from, to)}. */
    static List<Element> parse(byte[] bytes, int from, int to) {
        List<Element> out = new ArrayList<>();
        int pos = from;
        while (pos < to) {
            int tag = bytes[pos++] & 0xff;
            if ((tag & 0x1f) == 0x1f) {
                throw new IllegalArgumentException("multi-byte DER tags are not supported");
            }
            if (pos >= to) {
                throw new IllegalArgumentException("truncated DER length");
            }
            int first = bytes[pos++] & 0xff;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                int n = first & 0x7f;
                if (n == 0 || n > 4 || pos + n > to) {
                    throw new IllegalArgumentException("bad DER length");
                }
                length = 0;
                for (int i = 0; i < n; i++) {
                    length = (length << 8) | (bytes[pos++] & 0xff);
                }
            }
            if (length > to - pos) {
                throw new IllegalArgumentException("DER element longer than its container");
            }
            out.add(new Element(bytes, tag, pos, pos + (int) length));
            pos += (int) length;
        }
        return out;
    }

    /** The single element of {@code bytes}. */
    static Element single(byte[] bytes) {
        List<Element> list = parse(bytes, 0, bytes.length);
        if (list.size() != 1) {
            throw new IllegalArgumentException("expected one DER element, found " + list.size());
        }
        return list.get(0);
    }
}
