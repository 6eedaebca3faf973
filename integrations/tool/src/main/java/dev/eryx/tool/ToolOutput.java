package dev.eryx.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.PythonException;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What one {@code run_python} call gives back, and the one way it is written for a model: MCP,
 * LangChain4j and Spring AI all show {@link #text()}, and carry {@link #structured()} where the
 * framework takes structured results.
 *
 * <p>{@link #text()} is stdout, then stderr under a marker line, then the result as JSON under a
 * marker line, or {@code (no output)}; a failed execution adds its verdict and traceback (or
 * message). Immutable.
 */
public final class ToolOutput {
    /** The line before stderr in {@link #text()}. */
    static final String STDERR_MARKER = "[stderr]";

    /** The line before the result in {@link #text()}. */
    static final String RESULT_MARKER = "[result]";

    /** What {@link #text()} says when there is nothing else to say. */
    static final String NO_OUTPUT = "(no output)";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Verdict verdict;
    private final String stdout;
    private final String stderr;
    private final JsonNode result;
    private final String errorType;
    private final String error;
    private final Duration duration;
    private final ExecutionStats stats;

    private ToolOutput(
            Verdict verdict,
            String stdout,
            String stderr,
            JsonNode result,
            String errorType,
            String error,
            Duration duration,
            ExecutionStats stats) {
        this.verdict = verdict;
        this.stdout = stdout;
        this.stderr = stderr;
        this.result = result;
        this.errorType = errorType;
        this.error = error;
        this.duration = duration;
        this.stats = stats;
    }

    /** The output of an execution that returned. */
    public static ToolOutput of(ExecutionResult result) {
        Objects.requireNonNull(result, "result");
        Verdict verdict = Verdict.of(result);
        // A non-zero sys.exit() returns normally but is a failure, as a process's exit status is.
        String errorType = verdict == Verdict.OK ? null : "SystemExit";
        String error = verdict == Verdict.OK ? null : "SystemExit: " + result.exitCode();
        return new ToolOutput(
                verdict,
                result.stdout(),
                result.stderr(),
                result.result(),
                errorType,
                error,
                result.duration(),
                result.stats());
    }

    /**
     * The output of an execution that failed: the partial output the failure carries (an {@link
     * dev.eryx.EryxException}'s partial result), its verdict ({@link Verdict#of(Throwable)}), the
     * Python exception type and traceback, or the message.
     */
    public static ToolOutput of(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        Throwable cause = unwrap(failure);
        ExecutionResult partial =
                cause instanceof EryxException ? ((EryxException) cause).partialResult() : null;
        String errorType = null;
        String error;
        if (cause instanceof PythonException) {
            PythonException python = (PythonException) cause;
            errorType = python.pythonType();
            error = python.traceback();
            if (error == null || error.isBlank()) {
                error = python.getMessage();
            }
        } else {
            error = cause.getMessage();
            if (error == null || error.isBlank()) {
                error = cause.getClass().getSimpleName();
            }
        }
        return new ToolOutput(
                Verdict.of(cause),
                partial == null ? "" : partial.stdout(),
                partial == null ? "" : partial.stderr(),
                null, // a failed execution has no result, even if the code set one before failing
                errorType,
                stripTrailingNewlines(error),
                partial == null ? Duration.ZERO : partial.duration(),
                partial == null ? ExecutionStats.none() : partial.stats());
    }

    /** The failure itself, out of the wrappers futures put around it. */
    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * This output with {@code note} added to its error (the tool says so when it dropped a session
     * whose sandbox can run nothing more).
     */
    ToolOutput withNote(String note) {
        String noted = error == null ? note : error + "\n" + note;
        return new ToolOutput(verdict, stdout, stderr, result, errorType, noted, duration, stats);
    }

    public Verdict verdict() {
        return verdict;
    }

    /** True unless the verdict is {@link Verdict#OK}: frameworks report it as a tool error. */
    public boolean isError() {
        return verdict != Verdict.OK;
    }

    /** What the code wrote to stdout (up to the failure, when it failed). */
    public String stdout() {
        return stdout;
    }

    /** What the code wrote to stderr (up to the failure, when it failed). */
    public String stderr() {
        return stderr;
    }

    /**
     * The top-level variable {@code result} as the code set it, as JSON ({@link
     * ExecutionResult#result()}), or {@code null} when it set none (or the execution failed).
     */
    public JsonNode result() {
        return result;
    }

    /** The Python exception type ({@code "ZeroDivisionError"}), or null when none was raised. */
    public String errorType() {
        return errorType;
    }

    /** The traceback, or the failure's message when there is no traceback; null when OK. */
    public String error() {
        return error;
    }

    /** The execution's wall-clock time (zero when it failed before running). */
    public Duration duration() {
        return duration;
    }

    /**
     * What the execution consumed ({@link ExecutionStats#none()} when it failed before running).
     */
    public ExecutionStats stats() {
        return stats;
    }

    /**
     * The text a model reads. Sections, each present only when it has something to say:
     *
     * <ol>
     *   <li>stdout, as written;
     *   <li>a line {@code [stderr]}, then stderr;
     *   <li>a line {@code [result]}, then the result as compact JSON;
     *   <li>on failure, a line {@code [error: <verdict>]} ({@link Verdict#wireName()}), followed on
     *       the same line by the message or, for a Python exception, on the next lines by the
     *       traceback.
     * </ol>
     *
     * A successful execution with none of the first three says {@code (no output)}. Each section
     * starts on a line of its own; the text does not end with a newline.
     */
    public String text() {
        StringBuilder text = new StringBuilder();
        if (!stdout.isEmpty()) {
            text.append(stdout);
        }
        if (!stderr.isEmpty()) {
            section(text).append(STDERR_MARKER).append('\n').append(stderr);
        }
        if (result != null) {
            section(text).append(RESULT_MARKER).append('\n').append(json(result));
        }
        if (isError()) {
            section(text).append("[error: ").append(verdict.wireName()).append(']');
            if (error.contains("\n")) {
                text.append('\n'); // a traceback: its own lines, as CPython prints it
            } else {
                text.append(' ');
            }
            text.append(error);
        }
        if (text.length() == 0) {
            return NO_OUTPUT;
        }
        return stripTrailingNewlines(text.toString());
    }

    /** Ends the text so far with a newline, if it has any, so the next section starts a line. */
    private static StringBuilder section(StringBuilder text) {
        if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
            text.append('\n');
        }
        return text;
    }

    private static String json(JsonNode value) {
        try {
            return value.toString(); // compact JSON
        } catch (RuntimeException tooDeep) {
            // Jackson's writer refuses nesting past 1,000 levels; the guest may go deeper.
            return "\"<result nested too deeply to print>\"";
        }
    }

    private static String stripTrailingNewlines(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * {@code {"stdout", "stderr", "result", "verdict", "error_type", "error"}}: what {@link
     * PythonTool#outputSchema()} describes (MCP's {@code structuredContent}). {@code result},
     * {@code error_type} and {@code error} are null when absent. A new object on each call (its
     * {@code result} is {@link #result()} itself).
     */
    public ObjectNode structured() {
        ObjectNode node = JSON.objectNode();
        node.put("stdout", stdout);
        node.put("stderr", stderr);
        // Not copied: a deep copy recurses as deep as the guest nested it. The node is the
        // execution's own, as ExecutionResult.result() hands it out.
        node.set("result", result == null ? JSON.nullNode() : result);
        node.put("verdict", verdict.wireName());
        node.put("error_type", errorType);
        node.put("error", error);
        return node;
    }

    /** The execution's effect ledger (files, callbacks, network), empty when it carried none. */
    public java.util.List<dev.eryx.Effect> effects() {
        throw new UnsupportedOperationException("contract stub: part T");
    }

    /**
     * {@link #structured()} plus {@code duration_ms} and {@code stats} ({@code fuel}, {@code
     * peak_memory_bytes}, {@code callbacks}): the server's response body. A new tree on each call.
     */
    public ObjectNode toJson() {
        ObjectNode node = structured();
        node.put("duration_ms", duration.toMillis());
        ObjectNode s = node.putObject("stats");
        s.put("fuel", stats.fuelConsumed());
        s.put("peak_memory_bytes", stats.peakMemoryBytes());
        s.put("callbacks", stats.callbackInvocations());
        return node;
    }

    @Override
    public String toString() {
        return "ToolOutput{verdict=" + verdict.wireName() + ", duration=" + duration + "}";
    }
}
