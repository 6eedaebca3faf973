package dev.eryx.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.PythonException;
import dev.eryx.Verdict;

/**
 * The single JSON object {@code --json} prints: {@code {stdout, stderr, result, duration (ms),
 * stats: {fuelConsumed, peakMemoryBytes, callbackInvocations}, error: {type, message, traceback} |
 * null, exitCode, verdict}}; {@code verdict} is the {@link Verdict}'s wire name, the same word the
 * server, the MCP tool and the metrics give the execution.
 */
final class JsonReport {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonReport() {}

    static String success(ExecutionResult result, int exitCode) {
        return render(result, null, exitCode, Verdict.of(result));
    }

    /** {@code failure}'s partial result, if any, supplies output and stats. */
    static String failure(Throwable failure, int exitCode) {
        ExecutionResult partial =
                failure instanceof EryxException ? ((EryxException) failure).partialResult() : null;
        ObjectNode error = MAPPER.createObjectNode();
        if (failure instanceof PythonException) {
            PythonException python = (PythonException) failure;
            error.put("type", python.pythonType());
            error.put("message", pythonMessage(python));
            error.put("traceback", python.traceback());
        } else {
            error.put("type", failure.getClass().getSimpleName());
            error.put("message", String.valueOf(failure.getMessage()));
            error.putNull("traceback");
        }
        return render(partial, error, exitCode, Verdict.of(failure));
    }

    private static String render(
            ExecutionResult r, ObjectNode error, int exitCode, Verdict verdict) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("stdout", r == null ? "" : r.stdout());
        json.put("stderr", r == null ? "" : r.stderr());
        json.set("result", r == null || r.result() == null ? NullNode.getInstance() : r.result());
        json.put("duration", r == null ? 0 : r.duration().toMillis());
        ExecutionStats s = r == null ? ExecutionStats.none() : r.stats();
        ObjectNode stats = json.putObject("stats");
        stats.put("fuelConsumed", s.fuelConsumed());
        stats.put("peakMemoryBytes", s.peakMemoryBytes());
        stats.put("callbackInvocations", s.callbackInvocations());
        if (error == null) {
            json.putNull("error");
        } else {
            json.set("error", error);
        }
        json.put("exitCode", exitCode);
        json.put("verdict", verdict.wireName());
        try {
            return MAPPER.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The exception's own message: PythonException's message is "Type: message". */
    static String pythonMessage(PythonException e) {
        String full = String.valueOf(e.getMessage());
        String prefix = e.pythonType() + ": ";
        if (full.startsWith(prefix)) {
            return full.substring(prefix.length());
        }
        return full.equals(e.pythonType()) ? "" : full;
    }
}
