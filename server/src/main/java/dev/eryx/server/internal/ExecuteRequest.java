package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.ResourceLimits;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

/**
 * The body of {@code POST /v1/execute} and {@code POST /v1/sessions/{id}/execute}: {@code code}
 * (required), and optional positive integers {@code timeout_ms}, {@code fuel} and {@code
 * max_output_bytes}. Anything else is refused, so a misspelt limit is not silently ignored.
 *
 * @param timeoutMs null when not given; likewise the others
 */
record ExecuteRequest(String code, Long timeoutMs, Long fuel, Long maxOutputBytes) {
    private static final Set<String> FIELDS =
            Set.of("code", "timeout_ms", "fuel", "max_output_bytes");

    /**
     * @throws IllegalArgumentException the body is not such an object; the message says why
     */
    static ExecuteRequest parse(byte[] body) {
        JsonNode node = Json.parse(body);
        if (!node.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object, not " + kind(node));
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(
                        "unknown field \""
                                + name
                                + "\"; expected code, timeout_ms, fuel, max_output_bytes");
            }
        }
        JsonNode code = node.get("code");
        if (code == null || code.isNull()) {
            throw new IllegalArgumentException("code is required");
        }
        if (!code.isTextual()) {
            throw new IllegalArgumentException("code must be a string, not " + kind(code));
        }
        return new ExecuteRequest(
                code.textValue(),
                positive(node, "timeout_ms"),
                positive(node, "fuel"),
                positive(node, "max_output_bytes"));
    }

    private static Long positive(JsonNode object, String name) {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        // 5000.0 is not accepted either: the schema says integer, and so do the other tools.
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 1) {
            throw new IllegalArgumentException(name + " must be a positive integer, not " + value);
        }
        return value.longValue();
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * This request's limits: what it asks for, else the defaults. {@link
     * dev.eryx.tool.PythonTool#runWithLimits} cuts them to the server's maxima and keeps the
     * sandbox's memory and filesystem caps, for stateless and session executions alike.
     */
    ResourceLimits limits(ResourceLimits defaults) {
        ResourceLimits.Builder b = defaults.toBuilder();
        if (timeoutMs != null) {
            b.executionTimeout(Duration.ofMillis(timeoutMs));
        }
        if (fuel != null) {
            b.maxFuel(fuel);
        }
        if (maxOutputBytes != null) {
            b.maxOutputBytes(maxOutputBytes);
        }
        return b.build();
    }
}
