package dev.eryx.internal.packages;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The core metadata of a distribution ({@code .dist-info/METADATA}, {@code .egg-info/PKG-INFO}, a
 * wheel's {@code WHEEL}): RFC 822 style headers up to the first blank line, a header's continuation
 * lines starting with whitespace; the body (the long description) is ignored. A small parser of our
 * own: the format is simple, and a mail library would accept more than it should.
 *
 * @param name the {@code Name} header as written
 * @param version the {@code Version} header
 * @param requiresDist the {@code Requires-Dist} headers, in order
 */
record DistributionMetadata(String name, String version, List<String> requiresDist) {
    DistributionMetadata {
        requiresDist = List.copyOf(requiresDist);
    }

    /**
     * @param where the file, for messages
     * @throws IllegalArgumentException no {@code Name} or {@code Version}
     */
    static DistributionMetadata parse(byte[] content, String where) {
        Map<String, List<String>> headers = headers(content);
        String name = single(headers, "name");
        String version = single(headers, "version");
        if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
            throw new IllegalArgumentException(where + " has no Name or no Version header");
        }
        return new DistributionMetadata(
                name, version, headers.getOrDefault("requires-dist", List.of()));
    }

    /** Header values by lower-cased name, in order; continuation lines joined with newlines. */
    static Map<String, List<String>> headers(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String key = null;
        StringBuilder value = null;
        for (String line : text.split("\r\n|\n|\r", -1)) {
            if (line.isEmpty()) {
                break; // the body starts
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && key != null) {
                value.append('\n').append(line.strip());
                continue;
            }
            if (key != null) {
                add(headers, key, value);
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                key = null; // not a header: ignored, as readers of this format do
                continue;
            }
            key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            value = new StringBuilder(line.substring(colon + 1).strip());
        }
        if (key != null) {
            add(headers, key, value);
        }
        return headers;
    }

    private static void add(Map<String, List<String>> headers, String key, StringBuilder value) {
        headers.computeIfAbsent(key, k -> new ArrayList<>()).add(value.toString());
    }

    private static String single(Map<String, List<String>> headers, String key) {
        List<String> values = headers.get(key);
        return values == null ? null : values.get(0);
    }
}
