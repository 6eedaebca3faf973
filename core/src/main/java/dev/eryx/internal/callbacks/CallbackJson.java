package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * The JSON limits of callback arguments and results, set from what the guest accepts rather than
 * from Jackson's defaults (1,000-digit numbers, 20 M-character strings, 50 k-character keys): a
 * value the guest can build must reach the host, and what the host sends back must be a value the
 * guest can decode.
 *
 * <ul>
 *   <li>Integers up to {@value #MAX_INT_DIGITS} digits, CPython's default {@code
 *       sys.get_int_max_str_digits()}, above which the guest's own JSON decoder refuses them.
 *   <li>Nesting up to {@value #MAX_DEPTH} levels, the guest's default recursion limit.
 *   <li>Strings and keys up to the execution's {@code maxOutputBytes} (UTF-8 bytes), checked per
 *       execution ({@link #checkArguments}).
 * </ul>
 */
final class CallbackJson {
    static final int MAX_INT_DIGITS = 4_300;
    static final int MAX_DEPTH = 1_000;

    /**
     * The request's own object and its {@code args} object come before the arguments' values, and
     * the response's object before the result.
     */
    private static final int ENVELOPE_DEPTH = 2;

    /** A parser for the guest's requests, with the limits above; thread-safe once configured. */
    static final ObjectMapper REQUESTS = new ObjectMapper(factory());

    private CallbackJson() {}

    static JsonFactory factory() {
        JsonFactory factory = new JsonFactory();
        factory.setStreamReadConstraints(
                StreamReadConstraints.builder()
                        .maxNumberLength(MAX_INT_DIGITS) // digits, without the sign
                        .maxNestingDepth(MAX_DEPTH + ENVELOPE_DEPTH)
                        // Bounded by the request, which the bridge bounds; checked per execution.
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNameLength(Integer.MAX_VALUE)
                        .build());
        factory.setStreamWriteConstraints(
                StreamWriteConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH + ENVELOPE_DEPTH)
                        .build());
        return factory;
    }

    /**
     * Parses a START request.
     *
     * @throws IllegalArgumentException with a message for the guest: malformed, or over a limit
     */
    static JsonNode parseRequest(byte[] request) {
        try {
            return REQUESTS.readTree(request);
        } catch (StreamConstraintsException e) {
            throw new IllegalArgumentException(
                    "callback arguments exceed a limit: " + withoutJacksonDetails(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed callback request");
        }
    }

    /**
     * Throws {@link IllegalArgumentException} if a string or key of the arguments is longer than
     * {@code maxStringBytes} UTF-8 bytes.
     */
    static void checkArguments(JsonNode arguments, long maxStringBytes) {
        check(arguments, maxStringBytes, "arguments");
    }

    private static void check(JsonNode node, long maxStringBytes, String where) {
        if (node.isTextual()) {
            requireShort(node.textValue(), maxStringBytes, "a string", where);
        } else if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                requireShort(field.getKey(), maxStringBytes, "a key", where);
                check(field.getValue(), maxStringBytes, where);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                check(element, maxStringBytes, where);
            }
        }
    }

    /** Throws if {@code text} is longer than {@code maxBytes} in UTF-8. */
    static void requireShort(String text, long maxBytes, String what, String where) {
        long length = text.length();
        if (length * 3 <= maxBytes) {
            return; // the common case, without counting
        }
        long bytes = utf8Length(text);
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(
                    what
                            + " of the callback "
                            + where
                            + " is "
                            + bytes
                            + " bytes long; the limit is maxOutputBytes, "
                            + maxBytes);
        }
    }

    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Says which limit in the guest's terms; Jackson's setting names mean nothing there. */
    static String withoutJacksonDetails(StreamConstraintsException e) {
        String message = e.getOriginalMessage();
        if (message.startsWith("Document nesting depth")) {
            return "nested deeper than " + MAX_DEPTH + " levels";
        }
        if (message.startsWith("Number value length")) {
            return "a number has more than " + MAX_INT_DIGITS + " digits";
        }
        return message.replaceAll(", from `[^`]*`\\)", ")");
    }
}
