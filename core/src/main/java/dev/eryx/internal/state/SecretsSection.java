package dev.eryx.internal.state;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SECRETS section of a saved state (docs/saved-state.md): secret name → placeholder, never a
 * value. {@code u16 count}, then per secret {@code u16 length, name (UTF-8)} and {@code u16 length,
 * placeholder (ASCII letters, digits, '_')}.
 */
final class SecretsSection {
    /** Most secrets a state records, and the longest name and placeholder. */
    static final int MAX_SECRETS = 64;

    static final int MAX_NAME_BYTES = 1024;
    static final int MAX_PLACEHOLDER_BYTES = 4096;

    private SecretsSection() {}

    /** The body, or null when there is nothing to record. */
    static byte[] body(Map<String, String> placeholders) {
        if (placeholders.isEmpty()) {
            return null;
        }
        if (placeholders.size() > MAX_SECRETS) {
            throw new IllegalStateException(
                    "a saved state records at most " + MAX_SECRETS + " secrets");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        try {
            out.writeShort(placeholders.size());
            for (Map.Entry<String, String> e : placeholders.entrySet()) {
                write(out, e.getKey().getBytes(StandardCharsets.UTF_8), MAX_NAME_BYTES, "name");
                write(
                        out,
                        e.getValue().getBytes(StandardCharsets.US_ASCII),
                        MAX_PLACEHOLDER_BYTES,
                        "placeholder");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
        return body.toByteArray();
    }

    private static void write(DataOutputStream out, byte[] bytes, int max, String what)
            throws IOException {
        if (bytes.length == 0 || bytes.length > max) {
            throw new IllegalStateException(
                    "a secret's "
                            + what
                            + " of "
                            + bytes.length
                            + " bytes cannot be saved (1 to "
                            + max
                            + ")");
        }
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    static Map<String, String> read(DataInputStream in, long length) throws IOException {
        int count = in.readUnsignedShort();
        if (count == 0 || count > MAX_SECRETS) {
            throw corrupt("a secrets section of " + count + " secrets");
        }
        long read = 2;
        Map<String, String> placeholders = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String[] fields = new String[2];
            for (int f = 0; f < 2; f++) {
                int max = f == 0 ? MAX_NAME_BYTES : MAX_PLACEHOLDER_BYTES;
                int size = in.readUnsignedShort();
                if (size == 0 || size > max) {
                    throw corrupt("secret " + (i + 1) + " has a field of " + size + " bytes");
                }
                read += 2 + size;
                if (read > length) {
                    throw corrupt("secrets section longer than its " + length + " bytes");
                }
                byte[] bytes = in.readNBytes(size);
                if (bytes.length != size) {
                    throw corrupt("truncated secrets section");
                }
                fields[f] = new String(bytes, StandardCharsets.UTF_8);
            }
            if (!fields[1]
                    .chars()
                    .allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_'))) {
                throw corrupt("secret " + fields[0] + " has a malformed placeholder");
            }
            if (placeholders.put(fields[0], fields[1]) != null) {
                throw corrupt("secret " + fields[0] + " listed twice");
            }
        }
        if (read != length) {
            throw corrupt("secrets section of " + length + " bytes, expected " + read);
        }
        return Collections.unmodifiableMap(placeholders);
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("saved state is corrupt: " + what);
    }
}
