package dev.eryx.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Effect;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.PythonException;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

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
    private final List<Effect> effects;

    /**
     * The effects as {@link #toJson()} writes them, already redacted, for an output {@link
     * #redacted}; null to write {@link #effects} as they are (an {@link Effect} cannot be rebuilt
     * outside eryx's core, so a redacted output keeps the ledger's entries and redacts their JSON).
     */
    private final ArrayNode effectsJson;

    private ToolOutput(
            Verdict verdict,
            String stdout,
            String stderr,
            JsonNode result,
            String errorType,
            String error,
            Duration duration,
            ExecutionStats stats,
            List<Effect> effects,
            ArrayNode effectsJson) {
        this.verdict = verdict;
        this.stdout = stdout;
        this.stderr = stderr;
        this.result = result;
        this.errorType = errorType;
        this.error = error;
        this.duration = duration;
        this.stats = stats;
        this.effects = effects;
        this.effectsJson = effectsJson;
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
                result.stats(),
                result.effects(),
                null);
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
                partial == null ? ExecutionStats.none() : partial.stats(),
                partial == null ? List.of() : partial.effects(),
                null);
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
        return new ToolOutput(
                verdict,
                stdout,
                stderr,
                result,
                errorType,
                noted,
                duration,
                stats,
                effects,
                effectsJson);
    }

    /**
     * This output with {@code redact} applied to every text the guest could have put a secret in:
     * stdout, stderr, the error type and error, every string and key of the result (a copy, walked
     * without recursion, as deep as the guest nested it), and the strings of the effects as {@link
     * #toJson()} writes them ({@link #effects()} itself keeps the ledger's entries). What a {@link
     * RunListener} receives.
     *
     * <p>When {@code redact} returns every one of those texts itself (nothing matched: always so
     * for a sandbox without secrets, whose {@code redact} returns at once), this output itself is
     * returned: nothing is copied.
     */
    ToolOutput redacted(UnaryOperator<String> redact) {
        if (!redactsAnything(redact)) {
            return this;
        }
        return new ToolOutput(
                verdict,
                redact.apply(stdout),
                redact.apply(stderr),
                redactTree(result, redact),
                errorType == null ? null : redact.apply(errorType),
                error == null ? null : redact.apply(error),
                duration,
                stats,
                effects,
                effectsJson == null ? effectsJson(effects, redact) : effectsJson);
    }

    /**
     * Whether {@code redact} changes any text {@link #redacted} would apply it to: whether it
     * returns anything but the very string it was given. Copies nothing.
     */
    private boolean redactsAnything(UnaryOperator<String> redact) {
        if (changes(redact, stdout)
                || changes(redact, stderr)
                || changes(redact, errorType)
                || changes(redact, error)) {
            return true;
        }
        if (effectsJson == null) { // else already redacted, and kept as it is
            for (Effect effect : effects) {
                if (changes(redact, effect.target())
                        || changes(redact, effect.error().orElse(null))
                        || changes(redact, effect.destination().orElse(null))
                        || changes(
                                redact,
                                effect.connection().map(Effect.Connection::host).orElse(null))) {
                    return true;
                }
            }
        }
        return treeChanges(result, redact);
    }

    /** Whether {@code redact} returns anything but {@code text} itself; false for null. */
    private static boolean changes(UnaryOperator<String> redact, String text) {
        return text != null && redact.apply(text) != text;
    }

    /**
     * Whether {@code redact} changes any string or key of {@code root}, walked without recursion.
     */
    private static boolean treeChanges(JsonNode root, UnaryOperator<String> redact) {
        if (root == null) {
            return false;
        }
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isTextual()) {
                if (changes(redact, node.textValue())) {
                    return true;
                }
            } else if (node.isObject()) {
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    if (changes(redact, field.getKey())) {
                        return true;
                    }
                    pending.push(field.getValue());
                }
            } else if (node.isArray()) {
                for (Iterator<JsonNode> elements = node.elements(); elements.hasNext(); ) {
                    pending.push(elements.next());
                }
            }
        }
        return false;
    }

    /** A copy of {@code root} with every string and key redacted; null for null. */
    private static JsonNode redactTree(JsonNode root, UnaryOperator<String> redact) {
        if (root == null || !root.isContainerNode()) {
            return redactScalar(root, redact);
        }
        JsonNode copy = emptyLike(root);
        // An explicit stack: the guest's nesting may be deeper than the thread's stack.
        Deque<JsonNode[]> pending = new ArrayDeque<>();
        pending.push(new JsonNode[] {root, copy});
        while (!pending.isEmpty()) {
            JsonNode[] pair = pending.pop();
            JsonNode from = pair[0];
            if (from.isObject()) {
                ObjectNode to = (ObjectNode) pair[1];
                for (Map.Entry<String, JsonNode> field : from.properties()) {
                    JsonNode value = field.getValue();
                    JsonNode target = copyStep(value, redact, pending);
                    to.set(redact.apply(field.getKey()), target);
                }
            } else {
                ArrayNode to = (ArrayNode) pair[1];
                for (Iterator<JsonNode> elements = from.elements(); elements.hasNext(); ) {
                    to.add(copyStep(elements.next(), redact, pending));
                }
            }
        }
        return copy;
    }

    /** The copy of one child: a redacted scalar, or an empty container filled later. */
    private static JsonNode copyStep(
            JsonNode value, UnaryOperator<String> redact, Deque<JsonNode[]> pending) {
        if (!value.isContainerNode()) {
            return redactScalar(value, redact);
        }
        JsonNode empty = emptyLike(value);
        pending.push(new JsonNode[] {value, empty});
        return empty;
    }

    private static ContainerNode<?> emptyLike(JsonNode container) {
        return container.isObject() ? JSON.objectNode() : JSON.arrayNode();
    }

    private static JsonNode redactScalar(JsonNode value, UnaryOperator<String> redact) {
        // Numbers, booleans and null cannot hold a secret's text; they are immutable, so shared.
        return value != null && value.isTextual()
                ? JSON.textNode(redact.apply(value.textValue()))
                : value;
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

    /**
     * The execution's effect ledger (files, callbacks, network: {@link ExecutionResult#effects()}),
     * in the order the effects completed. For a failed execution, the entries recorded up to the
     * failure; empty when it failed before running.
     */
    public List<Effect> effects() {
        return effects;
    }

    /**
     * {@link #structured()} plus {@code duration_ms}, {@code stats} ({@code fuel}, {@code
     * peak_memory_bytes}, {@code callbacks}) and {@code effects}: the server's response body. A new
     * tree on each call.
     *
     * <p>Each effect is {@code {"kind", "target", "bytes", "duration_ms", "outcome", "error",
     * "destination", "connection"}}: {@code kind} and {@code outcome} are the enum names in lower
     * case ({@code "file_write"}, {@code "ok"}); {@code error} and {@code destination} are null
     * when absent; {@code connection} is null except for {@code network_connect}, where it is
     * {@code {"host", "port", "address", "tls", "bytes_sent", "bytes_received"}}.
     */
    public ObjectNode toJson() {
        ObjectNode node = structured();
        node.put("duration_ms", duration.toMillis());
        ObjectNode s = node.putObject("stats");
        s.put("fuel", stats.fuelConsumed());
        s.put("peak_memory_bytes", stats.peakMemoryBytes());
        s.put("callbacks", stats.callbackInvocations());
        node.set(
                "effects",
                effectsJson == null
                        ? effectsJson(effects, UnaryOperator.identity())
                        : effectsJson.deepCopy()); // two levels deep: the copy cannot recurse far
        return node;
    }

    /** The effects as {@link #toJson()} writes them, with {@code text} applied to their strings. */
    private static ArrayNode effectsJson(List<Effect> effects, UnaryOperator<String> text) {
        ArrayNode array = JSON.arrayNode(effects.size());
        for (Effect effect : effects) {
            ObjectNode e = array.addObject();
            e.put("kind", effect.kind().name().toLowerCase(Locale.ROOT));
            e.put("target", text.apply(effect.target()));
            e.put("bytes", effect.bytes());
            e.put("duration_ms", effect.duration().toMillis());
            e.put("outcome", effect.outcome().name().toLowerCase(Locale.ROOT));
            e.put("error", effect.error().map(text).orElse(null));
            e.put("destination", effect.destination().map(text).orElse(null));
            Effect.Connection c = effect.connection().orElse(null);
            if (c == null) {
                e.putNull("connection");
            } else {
                ObjectNode connection = e.putObject("connection");
                connection.put("host", text.apply(c.host()));
                connection.put("port", c.port());
                connection.put("address", c.address());
                connection.put("tls", c.tls());
                connection.put("bytes_sent", c.bytesSent());
                connection.put("bytes_received", c.bytesReceived());
            }
        }
        return array;
    }

    @Override
    public String toString() {
        return "ToolOutput{verdict=" + verdict.wireName() + ", duration=" + duration + "}";
    }
}
