package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.eryx.Callback;
import dev.eryx.TraceListener;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The callbacks, tracer and callback executor a sandbox was built with, with each schema compiled
 * once. Immutable and shareable between the sandboxes of one builder.
 */
public final class CallbackSetup {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final CallbackSetup NONE = new CallbackSetup(List.of(), null, null, List.of());

    private final Map<String, Entry> callbacks;
    private final TraceListener tracer;
    private final Executor executor;
    private final List<Map.Entry<Class<?>, Function<Object, ?>>> mappers;

    static final class Entry {
        final Callback callback;
        final Schema schema;

        Entry(Callback callback, Schema schema) {
            this.callback = callback;
            this.schema = schema;
        }

        /** The validation failures of {@code arguments}, one line each; empty when valid. */
        String validate(JsonNode arguments) {
            if (schema == null) {
                return "";
            }
            return schema.validate(arguments).stream()
                    .map(com.networknt.schema.Error::getMessage)
                    .sorted()
                    .collect(Collectors.joining("; "));
        }
    }

    private CallbackSetup(
            Collection<Callback> list,
            TraceListener tracer,
            Executor executor,
            List<Map.Entry<Class<?>, Function<Object, ?>>> mappers) {
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Callback callback : list) {
            if (byName.containsKey(callback.name())) {
                throw new IllegalArgumentException("two callbacks are named " + callback.name());
            }
            byName.put(callback.name(), new Entry(callback, compile(callback)));
        }
        this.callbacks = Map.copyOf(byName);
        this.tracer = tracer;
        this.executor = executor;
        this.mappers = List.copyOf(mappers);
        this.described = describe(list);
    }

    private final ArrayNode described;

    /**
     * @param tracer receives trace events; null for none
     * @param executor runs the host functions, owned by the host; null for the sandbox's own
     *     bounded default
     */
    public static CallbackSetup of(
            Collection<Callback> callbacks, TraceListener tracer, Executor executor) {
        return of(callbacks, tracer, executor, List.of());
    }

    /**
     * @param mappers the host's registered result types and their mappers, in registration order
     *     (see {@code Sandbox.Builder.callbackValueMapper})
     */
    public static CallbackSetup of(
            Collection<Callback> callbacks,
            TraceListener tracer,
            Executor executor,
            List<Map.Entry<Class<?>, Function<Object, ?>>> mappers) {
        return callbacks.isEmpty() && tracer == null && executor == null && mappers.isEmpty()
                ? NONE
                : new CallbackSetup(callbacks, tracer, executor, mappers);
    }

    private static Schema compile(Callback callback) {
        JsonNode schema = callback.schema();
        if (schema == null) {
            return null;
        }
        try {
            // A schema without "$schema" is read as draft 2020-12; one that names a draft keeps it.
            SpecificationVersion version =
                    SpecificationVersion.fromSchemaNode(schema)
                            .orElse(SpecificationVersion.DRAFT_2020_12);
            return SchemaRegistry.withDefaultDialect(version).getSchema(schema);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "invalid JSON schema for callback " + callback.name() + ": " + e.getMessage(),
                    e);
        }
    }

    private static ArrayNode describe(Collection<Callback> list) {
        ArrayNode array = JSON.createArrayNode();
        for (Callback callback : list) {
            ObjectNode node = array.addObject();
            node.put("name", callback.name());
            node.put("description", callback.description());
            node.set("schema", callback.schema());
        }
        return array;
    }

    Entry get(String name) {
        return callbacks.get(name);
    }

    TraceListener tracer() {
        return tracer;
    }

    /** The host's executor for callbacks; null for the default. */
    Executor executor() {
        return executor;
    }

    /** Registered result types and their mappers, in registration order. */
    List<Map.Entry<Class<?>, Function<Object, ?>>> mappers() {
        return mappers;
    }

    /**
     * Names, descriptions and schemas, as the guest's {@code eryx.list_callbacks()} returns them.
     */
    ArrayNode describe() {
        return described.deepCopy();
    }
}
