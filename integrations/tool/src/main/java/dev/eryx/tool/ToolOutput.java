package dev.eryx.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.Verdict;
import java.time.Duration;

/**
 * What one {@code run_python} call gives back, and the one way it is written for a model: MCP,
 * LangChain4j and Spring AI all show {@link #text()}, and carry {@link #structured()} where the
 * framework takes structured results.
 *
 * <p>{@link #text()} is stdout, then stderr under a marker line, then the result as JSON under a
 * marker line, or {@code (no output)}; a failed execution adds its verdict and traceback (or
 * message).
 */
public final class ToolOutput {
    /** The output of an execution that returned. */
    public static ToolOutput of(ExecutionResult result) {
        throw new UnsupportedOperationException("contract: implemented by the tool part");
    }

    /**
     * The output of an execution that failed: the partial output the failure carries (an {@link
     * dev.eryx.EryxException}'s partial result), its verdict ({@link Verdict#of(Throwable)}), the
     * Python exception type and traceback, or the message.
     */
    public static ToolOutput of(Throwable failure) {
        throw new UnsupportedOperationException("contract: implemented by the tool part");
    }

    public Verdict verdict() {
        throw new UnsupportedOperationException("contract");
    }

    /** True unless the verdict is {@link Verdict#OK}: frameworks report it as a tool error. */
    public boolean isError() {
        throw new UnsupportedOperationException("contract");
    }

    public String stdout() {
        throw new UnsupportedOperationException("contract");
    }

    public String stderr() {
        throw new UnsupportedOperationException("contract");
    }

    /** The value of the code's last expression as JSON, or {@code null} when it had none. */
    public JsonNode result() {
        throw new UnsupportedOperationException("contract");
    }

    /** The Python exception type ({@code "ZeroDivisionError"}), or null when none was raised. */
    public String errorType() {
        throw new UnsupportedOperationException("contract");
    }

    /** The traceback, or the failure's message when there is no traceback; null when OK. */
    public String error() {
        throw new UnsupportedOperationException("contract");
    }

    public Duration duration() {
        throw new UnsupportedOperationException("contract");
    }

    public ExecutionStats stats() {
        throw new UnsupportedOperationException("contract");
    }

    /** The text a model reads (see the class comment). */
    public String text() {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * {@code {"stdout", "stderr", "result", "verdict", "error_type", "error"}}: what {@link
     * PythonTool#outputSchema()} describes (MCP's {@code structuredContent}).
     */
    public ObjectNode structured() {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * {@link #structured()} plus {@code duration_ms} and {@code stats} ({@code fuel}, {@code
     * peak_memory_bytes}, {@code callbacks}): the server's response body.
     */
    public ObjectNode toJson() {
        throw new UnsupportedOperationException("contract");
    }
}
