package dev.eryx.internal.bridge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * How the host parses JSON values the guest sends (an execution's {@code result}): the parser's
 * limits follow the sandbox's limits instead of Jackson's defaults, which refuse ordinary Python
 * values (an int of 1,001 digits, nesting of 1,001 levels, a key of 50,001 characters).
 *
 * <ul>
 *   <li>strings and keys: up to the sandbox's output allowance ({@code maxOutputBytes}), but at
 *       least {@link #MIN_STRING_CHARS}, so an error message or traceback always fits;
 *   <li>numbers: up to {@link #MAX_NUMBER_DIGITS} digits. The guest's own {@code
 *       sys.get_int_max_str_digits()} (4,300 by default) usually refuses first; this bound holds
 *       when the guest lifts it, because Jackson's and the JDK's big-integer conversions are
 *       quadratic (measured: 1,000,000 digits took 56 s to parse on JDK 17 with the default
 *       parser);
 *   <li>nesting: up to {@link #MAX_DEPTH} levels, however high the guest sets its recursion limit:
 *       {@link JsonNode}'s own {@code equals}, {@code hashCode} and {@code toString} recurse, and a
 *       few thousand levels already overflow a default thread stack.
 * </ul>
 *
 * <p>A value past a limit fails with a {@link StreamConstraintsException}; {@link #explain} turns
 * it into a sentence for the guest. Stateless; the factory of one limit is cheap to build.
 */
public final class GuestJson {
    /** Strings and keys of at least this many characters are always accepted. */
    public static final int MIN_STRING_CHARS = 1 << 20;

    /** The most digits (or characters of a float) one JSON number may have. */
    public static final int MAX_NUMBER_DIGITS = 100_000;

    /** The deepest nesting of lists and objects the host accepts in a value. */
    public static final int MAX_DEPTH = 10_000;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private GuestJson() {}

    /**
     * A parser factory for documents that wrap values in up to {@code wrapping} levels of their own
     * (an outcome object around the result counts one).
     *
     * @param maxStringChars the longest string or key to accept (clamped to [{@link
     *     #MIN_STRING_CHARS}, {@link Integer#MAX_VALUE}])
     */
    public static JsonFactory factory(long maxStringChars, int wrapping) {
        int strings = (int) Math.max(MIN_STRING_CHARS, Math.min(maxStringChars, Integer.MAX_VALUE));
        StreamReadConstraints constraints =
                StreamReadConstraints.builder()
                        .maxStringLength(strings)
                        .maxNameLength(strings)
                        .maxNumberLength(MAX_NUMBER_DIGITS)
                        .maxNestingDepth(MAX_DEPTH + wrapping)
                        .build();
        return JsonFactory.builder()
                .streamReadConstraints(constraints)
                // Sub-quadratic big-integer parsing: 100,000 digits in ~0.15 s instead of ~0.6 s.
                .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
                .build();
    }

    /**
     * Parses one JSON document under {@code factory}'s limits.
     *
     * @throws IOException malformed, over a limit, empty, or followed by more data
     */
    public static JsonNode read(JsonFactory factory, byte[] json) throws IOException {
        try (JsonParser parser = factory.createParser(json)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node == null) {
                // readTree(JsonParser) returns null, not a node, when there is no content at all.
                throw new IOException("no JSON document");
            }
            if (parser.nextToken() != null) {
                throw new IOException("extra data after the JSON document");
            }
            return node;
        }
    }

    /**
     * How deeply {@code node} nests lists and objects: 0 for a scalar, 1 for {@code []}. Iterative,
     * so any depth Jackson accepted is measured without recursion.
     */
    public static int depth(JsonNode node) {
        if (node == null || !node.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        Deque<Iterator<JsonNode>> path = new ArrayDeque<>();
        path.push(node.elements());
        while (!path.isEmpty()) {
            deepest = Math.max(deepest, path.size());
            Iterator<JsonNode> children = path.peek();
            if (!children.hasNext()) {
                path.pop();
                continue;
            }
            JsonNode child = children.next();
            if (child.isContainerNode()) {
                path.push(child.elements());
            }
        }
        return deepest;
    }

    /**
     * A sentence for the guest saying which limit {@code e} hit, without Jackson's class names.
     *
     * @param maxStringChars what was passed to {@link #factory}
     * @param maxStringSource where that limit comes from, e.g. {@code "maxOutputBytes"}
     */
    public static String explain(
            StreamConstraintsException e, long maxStringChars, String maxStringSource) {
        String message = String.valueOf(e.getOriginalMessage());
        long strings = Math.max(MIN_STRING_CHARS, Math.min(maxStringChars, Integer.MAX_VALUE));
        // Jackson's messages are not API, but these prefixes are stable since 2.15; GuestJsonTest
        // fails if an upgrade changes them, and an unknown one still yields Jackson's text.
        if (message.startsWith("String value length")) {
            return "a string is longer than " + strings + " characters (" + maxStringSource + ")";
        }
        if (message.startsWith("Name length")) {
            return "a key is longer than " + strings + " characters (" + maxStringSource + ")";
        }
        if (message.startsWith("Number value length")) {
            return "a number has more than " + MAX_NUMBER_DIGITS + " digits (the host's limit)";
        }
        if (message.startsWith("Document nesting depth")) {
            return "it is nested more than " + MAX_DEPTH + " levels deep (the host's limit)";
        }
        return message;
    }
}
