package dev.eryx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A host function the guest can call. Python sees it as an {@code async def} under its name, at top
 * level and as {@code eryx.tools.<name>}; awaiting it runs this function on a host thread, so
 * several callbacks awaited together ({@code asyncio.gather}) run concurrently.
 *
 * <p>The guest's keyword arguments arrive as one JSON object; positional arguments are mapped to
 * the schema's properties in the order the schema lists them. The returned value must be JSON-like
 * (null, strings, numbers, booleans, maps with string keys, collections, arrays, {@code JsonNode}s,
 * records, enums, or a type registered with {@link Sandbox.Builder#callbackValueMapper}); it is
 * converted to JSON and becomes the Python value of the {@code await}. A value that is not, or is
 * over a limit (an integer over 4,300 digits, nesting over 1,000 levels, a string over {@link
 * ResourceLimits#maxOutputBytes()}), raises {@code eryx.CallbackError} at the {@code await}; no
 * method of a host object runs to convert it. An exception thrown by the function (or a failed
 * stage) raises {@code eryx.CallbackError} in Python with the exception's message only; no Java
 * stack trace reaches the guest.
 *
 * <pre>{@code
 * Callback weather = Callback.of("weather", "Current temperature of a city",
 *         args -> Map.of("city", args.get("city").asText(), "celsius", 21))
 *     .withSchema(schema);   // {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}
 * }</pre>
 *
 * Immutable.
 */
public final class Callback {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String name;
    private final String description;
    private final JsonNode schema;
    private final Function<JsonNode, Object> syncFunction;
    private final Function<JsonNode, ? extends CompletionStage<?>> asyncFunction;

    private Callback(
            String name,
            String description,
            JsonNode schema,
            Function<JsonNode, Object> syncFunction,
            Function<JsonNode, ? extends CompletionStage<?>> asyncFunction) {
        this.name = name;
        this.description = description;
        this.schema = schema;
        this.syncFunction = syncFunction;
        this.asyncFunction = asyncFunction;
    }

    /**
     * A callback backed by blocking host code. It runs on a host thread, never on the sandbox's
     * guest thread.
     *
     * @param name a Python identifier (not a keyword): the name Python calls it by
     */
    public static Callback of(String name, String description, Function<JsonNode, Object> fn) {
        return new Callback(
                requireName(name),
                Objects.requireNonNull(description, "description"),
                null,
                Objects.requireNonNull(fn, "fn"),
                null);
    }

    /** A callback backed by asynchronous host code; the stage's value is the result. */
    public static Callback async(
            String name, String description, Function<JsonNode, CompletionStage<?>> fn) {
        return new Callback(
                requireName(name),
                Objects.requireNonNull(description, "description"),
                null,
                null,
                Objects.requireNonNull(fn, "fn"));
    }

    /**
     * This callback with a JSON schema for its arguments (the JSON object of keyword arguments).
     * Arguments that do not validate raise {@code TypeError} in Python, and the function is not
     * called. The schema is compiled when the sandbox is built.
     */
    public Callback withSchema(JsonNode schema) {
        Objects.requireNonNull(schema, "schema");
        if (!schema.isObject()) {
            throw new IllegalArgumentException("a JSON schema is an object: " + schema);
        }
        return new Callback(name, description, schema.deepCopy(), syncFunction, asyncFunction);
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** The argument schema, or {@code null} when none was given. */
    public JsonNode schema() {
        return schema == null ? null : schema.deepCopy();
    }

    /** Runs the host function; called on a host thread by the sandbox. */
    public CompletionStage<?> invoke(JsonNode arguments) {
        if (syncFunction != null) {
            return CompletableFuture.completedFuture(syncFunction.apply(arguments));
        }
        return Objects.requireNonNull(
                asyncFunction.apply(arguments), "callback '" + name + "' returned no stage");
    }

    @Override
    public String toString() {
        return "Callback{"
                + name
                + (schema == null ? "" : ", schema")
                + (asyncFunction == null ? "" : ", async")
                + '}';
    }

    private static String requireName(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches() || KEYWORDS.contains(name)) {
            throw new IllegalArgumentException(
                    "a callback name must be a Python identifier: " + name);
        }
        return name;
    }

    private static final java.util.Set<String> KEYWORDS =
            java.util.Set.of(
                    "False",
                    "None",
                    "True",
                    "and",
                    "as",
                    "assert",
                    "async",
                    "await",
                    "break",
                    "class",
                    "continue",
                    "def",
                    "del",
                    "elif",
                    "else",
                    "except",
                    "finally",
                    "for",
                    "from",
                    "global",
                    "if",
                    "import",
                    "in",
                    "is",
                    "lambda",
                    "nonlocal",
                    "not",
                    "or",
                    "pass",
                    "raise",
                    "return",
                    "try",
                    "while",
                    "with",
                    "yield");
}
