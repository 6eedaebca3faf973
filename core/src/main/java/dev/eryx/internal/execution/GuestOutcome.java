package dev.eryx.internal.execution;

import com.fasterxml.jackson.databind.JsonNode;

/** What the guest runtime reported through the bridge's COMPLETE operation. */
final class GuestOutcome {
    final boolean ok;
    final JsonNode result;
    final int exitCode;

    /** The code raised SystemExit (the runtime sends an exit code only then). */
    final boolean exited;

    final String errorType;
    final String errorMessage;
    final String traceback;

    private GuestOutcome(JsonNode json) {
        this.ok = json.path("ok").asBoolean(false);
        JsonNode value = json.get("result");
        this.result = value == null || value.isNull() ? null : value;
        this.exitCode = json.path("exitCode").asInt(0);
        this.exited = json.has("exitCode");
        JsonNode error = json.path("error");
        this.errorType = error.path("type").asText("");
        this.errorMessage = error.path("message").asText("");
        this.traceback = error.path("traceback").asText("");
    }

    static GuestOutcome fromJson(JsonNode json) {
        return new GuestOutcome(json);
    }
}
