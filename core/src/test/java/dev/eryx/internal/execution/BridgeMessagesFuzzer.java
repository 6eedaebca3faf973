package dev.eryx.internal.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.TraceEvent;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.bridge.GuestJson;
import dev.eryx.internal.callbacks.CallbackDispatcher;
import dev.eryx.internal.callbacks.CallbackSetup;
import dev.eryx.internal.ledger.EffectLedger;
import dev.eryx.internal.values.ApiValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the bridge messages the host parses from guest memory
 * (docs/fuzzing.md, docs/bridge-abi.md): any sequence of operations with any request bytes, as a
 * hostile guest could send through {@code eryx.invoke}, into the sandbox's real handler (execution
 * requests and outcomes, callbacks, polls, cancels, trace events).
 *
 * <p>What must hold: a handler answers with bytes or a {@link BridgeFailure} of a defined status,
 * nothing else (anything else would escape the host function and crash the sandbox); answers that
 * are JSON parse as JSON; an outcome, once taken, maps to a result or a {@link PythonException};
 * the tracer only sees the kinds a guest may emit; and no more calls start than the limit allows.
 */
class BridgeMessagesFuzzer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CALLS = 8;
    private static final Set<Integer> STATUSES =
            Set.of(BridgeFailure.ERROR, BridgeFailure.UNKNOWN_OP, BridgeFailure.TIMEOUT);
    private static final Set<TraceEvent.Kind> GUEST_KINDS =
            Set.of(
                    TraceEvent.Kind.LINE,
                    TraceEvent.Kind.CALL,
                    TraceEvent.Kind.RETURN,
                    TraceEvent.Kind.EXCEPTION);

    /** Pieces the fuzzer can pick, so short inputs reach past the JSON parser. */
    private static final String[] FRAGMENTS = {
        "{\"name\":\"echo\",\"args\":{\"x\":1}}",
        "{\"name\":\"boom\",\"args\":{}}",
        "{\"name\":\"missing\"}",
        "{\"ok\":true,\"result\":{\"a\":[1,2.5,\"s\",null]},\"exitCode\":0}",
        "{\"ok\":false,\"error\":{\"type\":\"ValueError\",\"message\":\"m\",\"traceback\":\"t\"}}",
        "\u0001{\"k\":\"line\",\"f\":\"<string>\",\"l\":3,\"fn\":\"f\",\"x\":null}",
        "\u0001{\"k\":\"callback_start\",\"fn\":\"echo\"}",
        "1",
        "-1",
        "0",
        // appended, so that the committed inputs keep picking the fragments they were made with
        "{\"ok\":false,\"error\":{\"type\":\"SystemExit\",\"message\":\"3\"},\"exitCode\":3}",
        "{\"ok\":true,\"result\":[[[1]],{\"k\":[]}],\"maxDepth\":2}",
        "{\"ok\":true,\"result\":[[1]],\"maxDepth\":2}",
        "{\"ok\":true,\"result\":7,\"maxDepth\":-1}",
    };

    @FuzzTest(maxDuration = "5m")
    void anyOperationSequence(FuzzedDataProvider data) {
        List<TraceEvent> traced = new ArrayList<>();
        CallbackSetup setup =
                CallbackSetup.of(
                        List.of(
                                Callback.of("echo", "returns its arguments", args -> args),
                                Callback.of(
                                        "boom",
                                        "fails",
                                        args -> {
                                            throw new IllegalStateException("boom");
                                        })),
                        traced::add,
                        Runnable::run); // calls settle inside START: no thread, no waiting
        ResourceLimits limits =
                ResourceLimits.builder()
                        .maxCallbackInvocations(MAX_CALLS)
                        .callbackTimeout(null)
                        .build();
        Execution execution = new Execution(null, "result = 1", limits);
        EffectLedger ledger = new EffectLedger();
        ledger.begin();
        try (CallbackDispatcher callbacks =
                new CallbackDispatcher(
                        setup, ledger, (task, delay, unit) -> fail("no timeout was configured"))) {
            ExecutionBridge bridge =
                    new ExecutionBridge(
                            () -> execution,
                            new Object(),
                            callbacks,
                            new dev.eryx.internal.net.NetBridge(
                                    new dev.eryx.internal.net.NetSession(
                                            null, null, ledger, () -> false),
                                    () -> null),
                            Map.of("K", "v"),
                            List.of("/usr/local/lib/site-packages"),
                            null);
            bridge.beginExecution();
            callbacks.beginExecution(limits);
            int operations = data.consumeInt(1, 16);
            for (int i = 0; i < operations && data.remainingBytes() > 0; i++) {
                BridgeOp op = BridgeOp.fromCode(data.consumeInt(0, 9));
                byte[] request = request(data);
                if (op == null) {
                    continue; // BridgeHost answers UNKNOWN_OP before any handler
                }
                handleOne(bridge, execution, op, request);
            }
            assertTrue(callbacks.finishExecution() <= MAX_CALLS, "call limit exceeded");
        }
        for (TraceEvent event : traced) {
            assertTrue(
                    GUEST_KINDS.contains(event.kind())
                            || event.kind() == TraceEvent.Kind.CALLBACK_START
                            || event.kind() == TraceEvent.Kind.CALLBACK_END,
                    "unexpected trace kind " + event.kind());
        }
    }

    private static byte[] request(FuzzedDataProvider data) {
        String text =
                data.consumeBoolean()
                        ? FRAGMENTS[data.consumeInt(0, FRAGMENTS.length - 1)]
                        : data.consumeString(400);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void handleOne(
            ExecutionBridge bridge, Execution execution, BridgeOp op, byte[] request) {
        GuestOutcome before = execution.outcome;
        byte[] response;
        try {
            response = bridge.handle(op, request);
        } catch (BridgeFailure failure) {
            assertTrue(STATUSES.contains(failure.status()), "status " + failure.status());
            assertNotNull(failure.getMessage());
            // A refused outcome (malformed, or nested past "maxDepth") is not taken.
            assertSame(before, execution.outcome, op + " failed but changed the outcome");
            return;
        }
        assertNotNull(response, op + " answered null");
        switch (op) {
            case REQUEST -> assertEquals(execution.code, json(response).path("code").asText());
            case CALL, POLL -> {
                JsonNode answer = json(response);
                assertTrue(answer.path("id").isIntegralNumber(), answer.toString());
                assertTrue(answer.path("ok").isBoolean(), answer.toString());
            }
            case START -> Long.parseLong(new String(response, StandardCharsets.US_ASCII));
            case COMPLETE -> {
                // Taken only within the nesting the guest reported as its recursion limit.
                int maxDepth = json(request).path("maxDepth").asInt(GuestJson.MAX_DEPTH);
                assertTrue(GuestJson.depth(execution.outcome.result) <= maxDepth);
                checkOutcome(execution);
            }
            default -> assertEquals(0, response.length, op + " answers nothing");
        }
    }

    /** A reported outcome becomes the result or a PythonException, and nothing else. */
    private static void checkOutcome(Execution execution) {
        assertNotNull(execution.outcome);
        ExecutionResult partial =
                ApiValues.get()
                        .executionResult(
                                new byte[0],
                                new byte[0],
                                execution.outcome.result,
                                Duration.ZERO,
                                ApiValues.get().executionStats(0, 0, 0),
                                execution.outcome.exitCode,
                                execution.outcome.exited,
                                List.of());
        try {
            assertSame(partial, OutcomeMapper.reported(execution, partial));
            assertTrue(execution.outcome.ok);
        } catch (PythonException e) {
            assertTrue(!execution.outcome.ok);
            assertNotNull(e.getMessage());
        }
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }
}
