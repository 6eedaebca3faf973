package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.TraceEvent;
import dev.eryx.TraceListener;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.values.ApiValues;
import java.io.IOException;
import java.time.Duration;

/**
 * Passes trace events to the sandbox's {@link TraceListener}: the guest's own (EMIT) and the host's
 * CALLBACK_START/END. Called only on the guest thread (START, POLL, EMIT, the end of an execution),
 * so the listener sees one ordered stream. Without a listener every method does nothing.
 */
final class TraceRelay {
    private final TraceListener listener;

    TraceRelay(TraceListener listener) {
        this.listener = listener;
    }

    boolean enabled() {
        return listener != null;
    }

    /** Relays an EMIT from the guest: a kind byte, then (for traces) one JSON event. */
    void emit(byte[] request) {
        if (listener == null
                || request.length == 0
                || request[0] != BridgeOp.EmitKind.TRACE.code()) {
            return;
        }
        JsonNode json;
        try {
            json = CallbackDispatcher.JSON.readTree(request, 1, request.length - 1);
        } catch (IOException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "malformed trace event");
        }
        TraceEvent.Kind kind =
                switch (json.path("k").asText("")) {
                    case "line" -> TraceEvent.Kind.LINE;
                    case "call" -> TraceEvent.Kind.CALL;
                    case "return" -> TraceEvent.Kind.RETURN;
                    case "exception" -> TraceEvent.Kind.EXCEPTION;
                    default -> null; // callback events come from the host, never from the guest
                };
        if (kind == null) {
            return;
        }
        JsonNode detail = json.get("x");
        send(
                kind,
                json.path("f").asText(null),
                json.path("l").asInt(0),
                json.path("fn").asText(null),
                null,
                detail == null || detail.isNull() ? null : detail.asText());
    }

    void callbackStarted(String name) {
        send(TraceEvent.Kind.CALLBACK_START, null, 0, name, null, null);
    }

    /** The call's CALLBACK_END, once per invocation however many paths deliver it. */
    void callbackEnded(Invocation invocation) {
        if (listener != null && !invocation.endTraced) {
            invocation.endTraced = true;
            send(
                    TraceEvent.Kind.CALLBACK_END,
                    null,
                    0,
                    invocation.name(),
                    Duration.ofNanos(invocation.durationNanos),
                    invocation.outcome().name());
        }
    }

    private void send(
            TraceEvent.Kind kind,
            String file,
            int line,
            String function,
            Duration duration,
            String detail) {
        if (listener == null) {
            return;
        }
        try {
            listener.onEvent(
                    ApiValues.get().traceEvent(kind, file, line, function, duration, detail));
        } catch (RuntimeException ignored) {
            // A failing listener must not break the guest.
        }
    }
}
