package dev.eryx.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonSchemasTest {
    @Test
    void mapsEachTypeWithItsDescriptionRequiredAndAdditionalProperties() {
        JsonObjectSchema schema =
                JsonSchemas.objectSchema(
                        "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
                                + " \"type\": \"object\", \"description\": \"args\","
                                + " \"properties\": {"
                                + "  \"code\": {\"type\": \"string\", \"description\": \"the code\"},"
                                + "  \"timeout_ms\": {\"type\": \"integer\", \"minimum\": 1},"
                                + "  \"ratio\": {\"type\": \"number\"},"
                                + "  \"flag\": {\"type\": \"boolean\"},"
                                + "  \"mode\": {\"type\": \"string\", \"enum\": [\"a\", \"b\"]},"
                                + "  \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
                                + "  \"nested\": {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}},"
                                + "  \"either\": {\"type\": [\"string\", \"null\"]}"
                                + " },"
                                + " \"required\": [\"code\"], \"additionalProperties\": false}");

        assertEquals("args", schema.description());
        assertEquals(List.of("code"), schema.required());
        assertEquals(Boolean.FALSE, schema.additionalProperties());
        JsonStringSchema code =
                assertInstanceOf(JsonStringSchema.class, schema.properties().get("code"));
        assertEquals("the code", code.description());
        assertInstanceOf(JsonIntegerSchema.class, schema.properties().get("timeout_ms"));
        assertInstanceOf(JsonNumberSchema.class, schema.properties().get("ratio"));
        assertInstanceOf(JsonBooleanSchema.class, schema.properties().get("flag"));
        assertEquals(
                List.of("a", "b"),
                assertInstanceOf(JsonEnumSchema.class, schema.properties().get("mode"))
                        .enumValues());
        assertInstanceOf(
                JsonStringSchema.class,
                assertInstanceOf(JsonArraySchema.class, schema.properties().get("tags")).items());
        assertInstanceOf(
                JsonIntegerSchema.class,
                assertInstanceOf(JsonObjectSchema.class, schema.properties().get("nested"))
                        .properties()
                        .get("n"));
        assertEquals(
                "{\"type\":[\"string\",\"null\"]}",
                assertInstanceOf(JsonRawSchema.class, schema.properties().get("either")).schema());
        assertEquals(List.copyOf(schema.properties().keySet()).get(0), "code", "order kept");
    }

    @Test
    void refusesWhatIsNotAnObjectSchema() {
        assertThrows(IllegalArgumentException.class, () -> JsonSchemas.objectSchema("{"));
        assertThrows(IllegalArgumentException.class, () -> JsonSchemas.objectSchema("[]"));
        assertThrows(
                IllegalArgumentException.class,
                () -> JsonSchemas.objectSchema("{\"type\": \"string\"}"));
    }
}
