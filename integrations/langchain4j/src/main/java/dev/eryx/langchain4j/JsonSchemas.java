package dev.eryx.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Maps a JSON Schema document to LangChain4j's schema types, which each model provider writes in
 * its own dialect. Keywords those types have no place for ({@code $schema}, {@code minimum}, ...)
 * are dropped: the tool validates its arguments itself. A property of a type with no LangChain4j
 * counterpart becomes a {@link JsonRawSchema} carrying the schema as written.
 */
final class JsonSchemas {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonSchemas() {}

    /** The object schema {@code json} describes; IllegalArgumentException when it is not one. */
    static JsonObjectSchema objectSchema(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON schema: " + e.getOriginalMessage(), e);
        }
        if (node == null || !"object".equals(node.path("type").asText())) {
            throw new IllegalArgumentException("not an object schema: " + json);
        }
        return object(node);
    }

    private static JsonObjectSchema object(JsonNode node) {
        JsonObjectSchema.Builder builder = JsonObjectSchema.builder();
        if (node.hasNonNull("description")) {
            builder.description(node.get("description").asText());
        }
        for (Map.Entry<String, JsonNode> property : node.path("properties").properties()) {
            builder.addProperty(property.getKey(), element(property.getValue()));
        }
        List<String> required = new ArrayList<>();
        node.path("required").forEach(name -> required.add(name.asText()));
        if (!required.isEmpty()) {
            builder.required(required);
        }
        if (node.get("additionalProperties") != null
                && node.get("additionalProperties").isBoolean()) {
            builder.additionalProperties(node.get("additionalProperties").booleanValue());
        }
        return builder.build();
    }

    private static JsonSchemaElement element(JsonNode node) {
        String description =
                node.hasNonNull("description") ? node.get("description").asText() : null;
        String type = node.path("type").isTextual() ? node.get("type").asText() : "";
        if (node.has("enum") && "string".equals(type)) {
            List<String> values = new ArrayList<>();
            node.get("enum").forEach(value -> values.add(value.asText()));
            return JsonEnumSchema.builder().enumValues(values).description(description).build();
        }
        switch (type) {
            case "string":
                return JsonStringSchema.builder().description(description).build();
            case "integer":
                return JsonIntegerSchema.builder().description(description).build();
            case "number":
                return JsonNumberSchema.builder().description(description).build();
            case "boolean":
                return JsonBooleanSchema.builder().description(description).build();
            case "object":
                return object(node);
            case "array":
                if (node.has("items") && node.get("items").isObject()) {
                    return JsonArraySchema.builder()
                            .items(element(node.get("items")))
                            .description(description)
                            .build();
                }
                return JsonRawSchema.from(node.toString());
            default:
                return JsonRawSchema.from(node.toString());
        }
    }
}
