package dev.eryx.internal.packages;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@code .dist-info/RECORD}: CSV rows of path, {@code algorithm=digest} and size. Digests are
 * urlsafe base64 without padding, as the wheel specification says; installed trees written by some
 * older tools use hex (Debian's charset_normalizer does), which {@link #parse} accepts when asked
 * to.
 */
final class Record {
    /** The algorithms accepted: sha256 or stronger, as the wheel specification requires. */
    private static final Set<String> ALGORITHMS = Set.of("sha256", "sha384", "sha512");

    /** One row; {@code digest} null when the row has no hash, {@code size} -1 when none. */
    record Entry(String path, String algorithm, byte[] digest, long size) {
        /** Whether {@code content} has this entry's digest and size. */
        boolean matches(byte[] content) {
            if (size >= 0 && size != content.length) {
                return false;
            }
            return digest == null
                    || MessageDigest.isEqual(digest, Record.digest(algorithm, content));
        }
    }

    private Record() {}

    /**
     * @param where the RECORD file, for messages
     * @param lenient installed trees: hex digests accepted, unusable digests (weak algorithms,
     *     malformed) dropped instead of refused
     * @throws IllegalArgumentException a row cannot be read
     */
    static List<Entry> parse(byte[] content, String where, boolean lenient) {
        List<Entry> entries = new ArrayList<>();
        int lineNumber = 0;
        for (String line : new String(content, StandardCharsets.UTF_8).split("\r\n|\n|\r")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            List<String> fields = csv(line, where, lineNumber);
            String path = fields.get(0);
            String hash = fields.size() > 1 ? fields.get(1).strip() : "";
            String size = fields.size() > 2 ? fields.get(2).strip() : "";
            String algorithm = null;
            byte[] digest = null;
            if (!hash.isEmpty()) {
                int eq = hash.indexOf('=');
                algorithm = eq < 0 ? "" : hash.substring(0, eq).toLowerCase(Locale.ROOT);
                if (ALGORITHMS.contains(algorithm)) {
                    digest = decode(hash.substring(eq + 1), algorithm, lenient);
                }
                if (digest == null && !lenient) {
                    throw bad(
                            where,
                            lineNumber,
                            ALGORITHMS.contains(algorithm)
                                    ? "cannot read the digest " + hash
                                    : "hash " + hash + " is not sha256 or stronger");
                }
                if (digest == null) {
                    algorithm = null;
                }
            }
            long bytes = -1;
            if (!size.isEmpty()) {
                try {
                    bytes = Long.parseLong(size);
                } catch (NumberFormatException e) {
                    throw bad(where, lineNumber, "size " + size + " is not a number");
                }
            }
            entries.add(new Entry(path, algorithm, digest, bytes));
        }
        return entries;
    }

    /** Whether {@code path} is a RECORD or its signature, which RECORD cannot hash. */
    static boolean isRecordFile(String path, String distInfo) {
        return path.equals(distInfo + "/RECORD")
                || path.equals(distInfo + "/RECORD.jws")
                || path.equals(distInfo + "/RECORD.p7s");
    }

    static byte[] digest(String algorithm, byte[] content) {
        try {
            String name =
                    switch (algorithm) {
                        case "sha384" -> "SHA-384";
                        case "sha512" -> "SHA-512";
                        default -> "SHA-256";
                    };
            return MessageDigest.getInstance(name).digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
    }

    private static byte[] decode(String text, String algorithm, boolean allowHex) {
        int length = digest(algorithm, new byte[0]).length;
        if (allowHex && text.length() == 2 * length && text.matches("[0-9a-fA-F]+")) {
            return HexFormat.of().parseHex(text);
        }
        if (text.endsWith("=")) {
            return null; // the specification says: no padding
        }
        try {
            byte[] digest = Base64.getUrlDecoder().decode(text);
            return digest.length == length ? digest : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** One CSV line: fields separated by commas, optionally quoted with doubled quotes inside. */
    private static List<String> csv(String line, String where, int lineNumber) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (true) {
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= line.length()) {
                        throw bad(where, lineNumber, "an unterminated quote");
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < line.length() && line.charAt(i) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        field.append(c);
                    }
                }
            }
            while (i < line.length() && line.charAt(i) != ',') {
                field.append(line.charAt(i++));
            }
            fields.add(field.toString());
            field.setLength(0);
            if (i >= line.length()) {
                return fields;
            }
            i++; // the comma
        }
    }

    private static IllegalArgumentException bad(String where, int line, String what) {
        return new IllegalArgumentException(where + " line " + line + ": " + what);
    }
}
