package dev.eryx.internal.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.ledger.EffectLedger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Coverage-guided fuzzing of callback arguments (docs/fuzzing.md): the JSON a guest sends with a
 * CALL, parsed by the host, validated against the callback's schema and handed to host code.
 *
 * <p>What must hold: the request is refused with a {@link BridgeFailure} or answered with a JSON
 * response, never anything else; host code receives exactly the arguments sent (and an echo returns
 * them to the guest unchanged: a round trip); a callback with a schema is never called with
 * arguments that violate it; and a refused request never reaches host code.
 */
class CallbackArgumentsFuzzer {
    /**
     * The oracle: Jackson under the documented limits of callback values ({@link CallbackJson}:
     * numbers up to CPython's 4,300 digits, nesting up to the guest's recursion limit inside the
     * request's own two levels), not Jackson's defaults, which the host no longer uses for them.
     */
    private static final ObjectMapper JSON =
            new ObjectMapper(
                    JsonFactory.builder()
                            .streamReadConstraints(
                                    StreamReadConstraints.builder()
                                            .maxNumberLength(CallbackJson.MAX_INT_DIGITS)
                                            .maxNestingDepth(CallbackJson.MAX_DEPTH + 2)
                                            .build())
                            .build());

    /** An integer {@code n} in [0, 100], an optional short string {@code s}, nothing else. */
    private static final String SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,"
                    + "\"maximum\":100},\"s\":{\"type\":\"string\",\"maxLength\":10}},"
                    + "\"required\":[\"n\"],\"additionalProperties\":false}";

    private static final String[] NAMES = {"echo", "typed", "nope", ""};

    @FuzzTest(maxDuration = "5m")
    void hostileArguments(FuzzedDataProvider data) throws IOException {
        AtomicReference<JsonNode> received = new AtomicReference<>();
        Callback echo =
                Callback.of(
                        "echo",
                        "returns its arguments",
                        args -> {
                            received.set(args);
                            return args;
                        });
        Callback typed =
                Callback.of(
                                "typed",
                                "checks its schema held",
                                args -> {
                                    received.set(args);
                                    return args.get("n").intValue();
                                })
                        .withSchema(JSON.readTree(SCHEMA));
        CallbackSetup setup = CallbackSetup.of(List.of(echo, typed), null, Runnable::run);
        ResourceLimits limits = ResourceLimits.builder().callbackTimeout(null).build();
        EffectLedger ledger = new EffectLedger();
        ledger.begin();
        try (CallbackDispatcher callbacks =
                new CallbackDispatcher(
                        setup, ledger, (task, delay, unit) -> fail("no timeout was configured"))) {
            callbacks.beginExecution(limits);
            String name = NAMES[data.consumeInt(0, NAMES.length - 1)];
            String arguments = data.consumeRemainingAsString();
            // The guest runtime writes {"name": ..., "args": ...}; the arguments are the fuzzer's.
            String request = "{\"name\":\"" + name + "\",\"args\":" + arguments + "}";
            JsonNode sent = parseOrNull(request);
            byte[] response;
            try {
                response =
                        callbacks.handle(BridgeOp.CALL, request.getBytes(StandardCharsets.UTF_8));
            } catch (BridgeFailure refused) {
                assertEquals(BridgeFailure.ERROR, refused.status());
                assertNull(received.get(), "a refused request reached host code");
                return;
            }
            assertNotNull(sent, "a request Jackson cannot parse was accepted: " + request);
            name = sent.path("name").asText(""); // the fuzzer may have added a second "name"
            JsonNode answer = JSON.readTree(response);
            JsonNode args = sent.get("args");
            if (args == null || args.isNull()) {
                args = JSON.createObjectNode();
            }
            if (received.get() != null) {
                assertEquals(args, received.get(), "host code got other arguments");
            }
            if (name.equals("typed") && received.get() != null) {
                JsonNode n = received.get().get("n");
                // JSON Schema's integer is a mathematical one: 5.0 and 1e2 are integers too.
                assertTrue(n != null && n.isNumber(), "schema: n");
                double value = n.doubleValue();
                assertTrue(value == Math.rint(value) && value >= 0 && value <= 100, "schema: n");
                JsonNode s = received.get().get("s");
                assertTrue(s == null || (s.isTextual() && s.asText().length() <= 10), "schema: s");
                assertTrue(received.get().size() <= 2, "schema: additional properties");
            }
            if (answer.path("ok").asBoolean(false)) {
                assertNotNull(received.get(), "ok without calling host code");
                if (name.equals("echo")) {
                    assertEquals(args, answer.get("value"), "echo changed the arguments");
                }
            } else {
                assertTrue(answer.path("error").isTextual(), answer.toString());
                assertTrue(answer.path("type").isTextual(), answer.toString());
            }
        }
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }
}
