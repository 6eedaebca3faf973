package dev.eryx.internal.callbacks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.POJONode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Writes what a host function returned as the JSON the guest decodes, accepting JSON-like values
 * only: {@code null}, {@link String}, {@link Character}, {@link Boolean}, the boxed integers and
 * floating-point numbers, {@link BigInteger} and {@link BigDecimal} (at most {@value
 * CallbackJson#MAX_INT_DIGITS} digits), {@link Map} with string (or integer, character, enum) keys,
 * {@link Collection}, arrays ({@code byte[]} as base64 text, {@code char[]} as text), {@link
 * JsonNode}, records (component by component), enums (by name), {@link Optional}, and the types the
 * host registered a mapper for.
 *
 * <p>Anything else is an error naming its Java type: a host object is never inspected, so no getter
 * of it runs and nothing about the host (a {@code Thread}'s stack, a {@code Path}) reaches the
 * guest. Strings, nesting and the whole result are bounded ({@link CallbackJson}); a cycle is
 * caught by the nesting bound and a graph that shares its parts by the size bound. Immutable.
 */
final class ResultEncoder {
    /** The smallest bound on a whole result, as the bridge's bound on a guest request. */
    static final long MIN_TOTAL_BYTES = 64L << 20;

    /** How often a mapper's result may itself need a mapper: stops a mapper returning itself. */
    private static final int MAX_MAPPINGS = 16;

    private static final JsonFactory JSON =
            CallbackJson.factory().disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);

    private final List<Map.Entry<Class<?>, Function<Object, ?>>> mappers;
    private final long maxStringBytes;
    private final long maxTotalBytes;

    /**
     * @param mappers registered types and their mappers, looked up in this order
     * @param maxStringBytes the execution's maxOutputBytes
     */
    ResultEncoder(List<Map.Entry<Class<?>, Function<Object, ?>>> mappers, long maxStringBytes) {
        this(
                mappers,
                maxStringBytes,
                Math.min(Math.max(maxStringBytes, MIN_TOTAL_BYTES), Integer.MAX_VALUE - 64L));
    }

    /** With another bound on the whole result; for tests. */
    ResultEncoder(
            List<Map.Entry<Class<?>, Function<Object, ?>>> mappers,
            long maxStringBytes,
            long maxTotalBytes) {
        this.mappers = List.copyOf(mappers);
        this.maxStringBytes = maxStringBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    /** Why a result cannot be passed to the guest, and where in it. */
    static final class NotJson extends RuntimeException {
        private String path = "";

        NotJson(String reason) {
            super(reason, null, false, false);
        }

        NotJson in(String segment) {
            path = segment + path;
            return this;
        }

        /** For the guest: where, then why. */
        String describe() {
            return (path.isEmpty() ? "" : "at result" + path + ": ") + getMessage();
        }
    }

    /**
     * The JSON text of {@code value}.
     *
     * @throws NotJson it is not JSON-like or is over a limit
     */
    byte[] encode(Object value) {
        Bounded out = new Bounded(maxTotalBytes);
        try {
            JsonGenerator generator = JSON.createGenerator(out);
            write(generator, value, 0);
            generator.close();
        } catch (StreamConstraintsException e) {
            throw new NotJson(CallbackJson.withoutJacksonDetails(e));
        } catch (IOException e) {
            throw new NotJson(e.getMessage());
        }
        return out.toByteArray();
    }

    private void write(JsonGenerator out, Object value, int depth) throws IOException {
        if (depth > CallbackJson.MAX_DEPTH) {
            throw new NotJson(
                    "nested deeper than "
                            + CallbackJson.MAX_DEPTH
                            + " levels (or it contains itself)");
        }
        value = mapped(value);
        if (value == null) {
            out.writeNull();
        } else if (value instanceof String text) {
            requireShort(text, "a string");
            out.writeString(text);
        } else if (value instanceof Boolean b) {
            out.writeBoolean(b);
        } else if (value instanceof Integer
                || value instanceof Long
                || value instanceof Short
                || value instanceof Byte) {
            out.writeNumber(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new NotJson(d + " is not a JSON number");
            }
            out.writeNumber(d);
        } else if (value instanceof BigInteger big) {
            out.writeNumber(checked(big));
        } else if (value instanceof BigDecimal big) {
            checked(big.unscaledValue());
            out.writeNumber(big);
        } else if (value instanceof Character c) {
            out.writeString(c.toString());
        } else if (value instanceof Enum<?> e) {
            out.writeString(e.name());
        } else if (value instanceof Optional<?> optional) {
            write(out, optional.orElse(null), depth);
        } else if (value instanceof JsonNode node) {
            writeNode(out, node, depth);
        } else if (value instanceof Map<?, ?> map) {
            out.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = key(entry.getKey());
                out.writeFieldName(key);
                try {
                    write(out, entry.getValue(), depth + 1);
                } catch (NotJson e) {
                    throw e.in("[" + quoted(key) + "]");
                }
            }
            out.writeEndObject();
        } else if (value instanceof Collection<?> collection) {
            out.writeStartArray();
            int index = 0;
            for (Object element : collection) {
                writeElement(out, element, depth, index++);
            }
            out.writeEndArray();
        } else if (value instanceof byte[] bytes) {
            if ((bytes.length + 2L) / 3 * 4 > maxStringBytes) {
                throw new NotJson(
                        "a byte[] of "
                                + bytes.length
                                + " bytes is over maxOutputBytes in base64, "
                                + maxStringBytes);
            }
            out.writeString(Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof char[] chars) {
            String text = new String(chars);
            requireShort(text, "a string");
            out.writeString(text);
        } else if (value.getClass().isArray()) {
            writeArray(out, value, depth);
        } else if (value.getClass().isRecord()) {
            writeRecord(out, (Record) value, depth);
        } else {
            throw new NotJson(
                    "a "
                            + value.getClass().getName()
                            + " is not a JSON-like value (return maps, lists, strings, numbers,"
                            + " booleans, null, records or enums, or register a mapper for the"
                            + " type with Sandbox.Builder.callbackValueMapper)");
        }
    }

    private void writeElement(JsonGenerator out, Object element, int depth, int index)
            throws IOException {
        try {
            write(out, element, depth + 1);
        } catch (NotJson e) {
            throw e.in("[" + index + "]");
        }
    }

    private void writeArray(JsonGenerator out, Object array, int depth) throws IOException {
        out.writeStartArray();
        if (array instanceof Object[] objects) {
            for (int i = 0; i < objects.length; i++) {
                writeElement(out, objects[i], depth, i);
            }
        } else if (array instanceof int[] ints) {
            for (int i : ints) {
                out.writeNumber(i);
            }
        } else if (array instanceof long[] longs) {
            for (long l : longs) {
                out.writeNumber(l);
            }
        } else if (array instanceof short[] shorts) {
            for (short s : shorts) {
                out.writeNumber(s);
            }
        } else if (array instanceof boolean[] booleans) {
            for (boolean b : booleans) {
                out.writeBoolean(b);
            }
        } else if (array instanceof double[] doubles) {
            for (int i = 0; i < doubles.length; i++) {
                writeElement(out, doubles[i], depth, i);
            }
        } else if (array instanceof float[] floats) {
            for (int i = 0; i < floats.length; i++) {
                writeElement(out, floats[i], depth, i);
            }
        }
        out.writeEndArray();
    }

    private void writeRecord(JsonGenerator out, Record record, int depth) throws IOException {
        Class<?> type = record.getClass();
        out.writeStartObject();
        for (RecordComponent component : type.getRecordComponents()) {
            Method accessor = component.getAccessor();
            if (!accessor.trySetAccessible()) {
                throw new NotJson("the record " + type.getName() + " is not accessible");
            }
            Object value;
            try {
                value = accessor.invoke(record);
            } catch (InvocationTargetException e) {
                throw new NotJson(
                                "reading it failed: "
                                        + Invocation.message(
                                                e.getCause() == null ? e : e.getCause()))
                        .in("." + component.getName());
            } catch (IllegalAccessException e) {
                throw new NotJson("the record " + type.getName() + " is not accessible");
            }
            out.writeFieldName(component.getName());
            try {
                write(out, value, depth + 1);
            } catch (NotJson e) {
                throw e.in("." + component.getName());
            }
        }
        out.writeEndObject();
    }

    private void writeNode(JsonGenerator out, JsonNode node, int depth) throws IOException {
        if (depth > CallbackJson.MAX_DEPTH) {
            throw new NotJson("nested deeper than " + CallbackJson.MAX_DEPTH + " levels");
        }
        switch (node.getNodeType()) {
            case OBJECT -> {
                out.writeStartObject();
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    String key = key(field.getKey());
                    out.writeFieldName(key);
                    try {
                        writeNode(out, field.getValue(), depth + 1);
                    } catch (NotJson e) {
                        throw e.in("[" + quoted(key) + "]");
                    }
                }
                out.writeEndObject();
            }
            case ARRAY -> {
                out.writeStartArray();
                for (int i = 0; i < node.size(); i++) {
                    try {
                        writeNode(out, node.get(i), depth + 1);
                    } catch (NotJson e) {
                        throw e.in("[" + i + "]");
                    }
                }
                out.writeEndArray();
            }
            case STRING -> write(out, node.textValue(), depth);
            case NUMBER -> write(out, node.numberValue(), depth);
            case BOOLEAN -> out.writeBoolean(node.booleanValue());
            case BINARY -> write(out, node.binaryValue(), depth);
            case POJO -> write(out, ((POJONode) node).getPojo(), depth);
            case NULL, MISSING -> out.writeNull();
        }
    }

    /** Applies the host's mappers until the value is of no registered type. */
    private Object mapped(Object value) {
        if (mappers.isEmpty()) {
            return value;
        }
        for (int i = 0; value != null; i++) {
            Function<Object, ?> mapper = mapperFor(value.getClass());
            if (mapper == null) {
                return value;
            }
            if (i == MAX_MAPPINGS) {
                throw new NotJson(
                        "the mapper of "
                                + value.getClass().getName()
                                + " keeps returning values that need a mapper");
            }
            try {
                value = mapper.apply(value);
            } catch (RuntimeException | Error e) {
                throw new NotJson(
                        "the mapper of "
                                + value.getClass().getName()
                                + " failed: "
                                + Invocation.message(e));
            }
        }
        return null;
    }

    private Function<Object, ?> mapperFor(Class<?> type) {
        for (Map.Entry<Class<?>, Function<Object, ?>> entry : mappers) {
            if (entry.getKey().isAssignableFrom(type)) {
                return entry.getValue();
            }
        }
        return null;
    }

    private String key(Object key) {
        String text;
        if (key instanceof String s) {
            text = s;
        } else if (key instanceof Character
                || key instanceof Integer
                || key instanceof Long
                || key instanceof Short
                || key instanceof Byte) {
            text = key.toString();
        } else if (key instanceof BigInteger big) {
            text = checked(big).toString();
        } else if (key instanceof Enum<?> e) {
            text = e.name();
        } else {
            throw new NotJson(
                    key == null
                            ? "a map has a null key"
                            : "a map key is a "
                                    + key.getClass().getName()
                                    + "; keys must be strings (or integers, characters, enums)");
        }
        requireShort(text, "a key");
        return text;
    }

    private void requireShort(String text, String what) {
        try {
            CallbackJson.requireShort(text, maxStringBytes, what, "result");
        } catch (IllegalArgumentException e) {
            throw new NotJson(e.getMessage());
        }
    }

    /** {@code big}, if Python's default limit lets the guest decode it. */
    private static BigInteger checked(BigInteger big) {
        // Counting digits needs toString, which is slow for huge numbers: their bit length says.
        if (big.bitLength() > CallbackJson.MAX_INT_DIGITS * 3.33 + 8
                || big.abs().toString().length() > CallbackJson.MAX_INT_DIGITS) {
            throw new NotJson(
                    "an integer has more than "
                            + CallbackJson.MAX_INT_DIGITS
                            + " digits (Python's default sys.get_int_max_str_digits())");
        }
        return big;
    }

    private static String quoted(String key) {
        String shortKey = key.length() > 40 ? key.substring(0, 40) + "..." : key;
        return "'" + shortKey.replace("'", "\\'") + "'";
    }

    /** Collects the output and stops it at {@code max} bytes. */
    private static final class Bounded extends ByteArrayOutputStream {
        private final long max;

        Bounded(long max) {
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            require(1);
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            require(len);
            super.write(b, off, len);
        }

        private void require(int more) {
            if (count + (long) more > max) {
                throw new NotJson("the result is larger than " + max + " bytes of JSON");
            }
        }
    }
}
