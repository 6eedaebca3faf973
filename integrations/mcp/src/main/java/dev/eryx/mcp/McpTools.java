package dev.eryx.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three MCP tools over one {@link PythonTool}, and the Python sessions they opened. Every
 * failure becomes a tool result with {@code isError: true}: a model can read and fix it, and the
 * connection carries on.
 */
final class McpTools {
    private static final Logger LOG = LoggerFactory.getLogger(McpTools.class);

    static final String RESET = "reset";
    static final String LIST_FILES = "list_files";

    static final String INSTRUCTIONS =
            "Runs Python 3.14 in a sandbox. run_python keeps variables, imports and files across"
                    + " calls of this session; reset forgets them; list_files shows the sandbox's"
                    + " files.";

    private static final String RESET_DESCRIPTION =
            "Forgets this session's Python state: variables, imports and files. The next"
                    + " run_python starts from a fresh interpreter.";
    private static final String RESET_SCHEMA =
            "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}";
    private static final String LIST_FILES_DESCRIPTION =
            "Lists the files under a directory of this session's sandbox, recursively, one path a"
                    + " line; directories end with '/'. The default '/' lists everything but the"
                    + " Python runtime's own read-only tree /usr; pass '/usr' to see that.";
    private static final String LIST_FILES_SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\","
                    + "\"description\":\"An absolute directory in the sandbox; default '/'.\"}},"
                    + "\"additionalProperties\":false}";

    /** Beyond this many remembered ids, those the tool no longer holds are forgotten. */
    private static final int PRUNE_ABOVE = 256;

    private final PythonTool tool;
    private final McpJsonMapper mapper;

    /** Python session ids this server opened, so that close() can close them. */
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();

    McpTools(PythonTool tool, McpJsonMapper mapper) {
        this.tool = tool;
        this.mapper = mapper;
    }

    List<SyncToolSpecification> specifications(Function<McpSyncServerExchange, String> sessionOf) {
        McpSchema.Tool runPython =
                McpSchema.Tool.builder()
                        .name(PythonTool.NAME)
                        .description(PythonTool.description())
                        .inputSchema(mapper, PythonTool.inputSchema())
                        .outputSchema(mapper, PythonTool.outputSchema())
                        .build();
        McpSchema.Tool reset =
                McpSchema.Tool.builder()
                        .name(RESET)
                        .description(RESET_DESCRIPTION)
                        .inputSchema(mapper, RESET_SCHEMA)
                        .build();
        McpSchema.Tool listFiles =
                McpSchema.Tool.builder()
                        .name(LIST_FILES)
                        .description(LIST_FILES_DESCRIPTION)
                        .inputSchema(mapper, LIST_FILES_SCHEMA)
                        .build();
        return List.of(
                new SyncToolSpecification(
                        runPython,
                        (exchange, request) ->
                                runPython(sessionOf.apply(exchange), request.arguments())),
                new SyncToolSpecification(
                        reset, (exchange, request) -> reset(sessionOf.apply(exchange))),
                new SyncToolSpecification(
                        listFiles,
                        (exchange, request) ->
                                listFiles(sessionOf.apply(exchange), request.arguments())));
    }

    CallToolResult runPython(String sessionId, Map<String, Object> arguments) {
        Map<String, Object> args = arguments == null ? Map.of() : arguments;
        Object code = args.get("code");
        if (!(code instanceof String)) {
            return error(
                    code == null
                            ? "run_python needs 'code': the Python source to run, as a string."
                            : "'code' must be a string of Python source, got "
                                    + describe(code)
                                    + ".");
        }
        Duration timeout;
        try {
            timeout = timeout(args.get("timeout_ms"));
        } catch (IllegalArgumentException e) {
            return error(e.getMessage());
        }
        ToolOutput output;
        try {
            remember(sessionId);
            output = tool.run(sessionId, (String) code, timeout);
        } catch (PoolExhaustedException e) {
            return error("No sandbox is free right now (" + e.getMessage() + "); try again.");
        } catch (IllegalArgumentException | IllegalStateException e) {
            return error(e.getMessage());
        } catch (RuntimeException e) {
            // The tool promises verdicts, not exceptions; whatever slips through still must not
            // become a protocol failure.
            LOG.warn("run_python failed", e);
            output = ToolOutput.of(e);
        }
        return CallToolResult.builder()
                .addTextContent(output.text())
                .isError(output.isError())
                .structuredContent(structured(output.structured()))
                .build();
    }

    CallToolResult reset(String sessionId) {
        try {
            boolean had = tool.reset(sessionId);
            sessions.remove(sessionId);
            return text(
                    had
                            ? "Session reset: its variables, imports and files are gone."
                            : "Nothing to reset: this session had no state yet.");
        } catch (RuntimeException e) {
            return error(e.getMessage());
        }
    }

    CallToolResult listFiles(String sessionId, Map<String, Object> arguments) {
        Object path = arguments == null ? null : arguments.get("path");
        if (path != null && !(path instanceof String)) {
            return error("'path' must be a string, got " + describe(path) + ".");
        }
        String directory = path == null || ((String) path).isBlank() ? "/" : (String) path;
        try {
            List<String> files = tool.listFiles(sessionId, directory);
            return text(
                    files.isEmpty()
                            ? "(no files under " + directory + ")"
                            : String.join("\n", files));
        } catch (PoolExhaustedException e) {
            return error("No sandbox is free right now (" + e.getMessage() + "); try again.");
        } catch (RuntimeException e) {
            return error(e.getMessage());
        }
    }

    /** Closes one Python session this server opened; never throws. */
    void forget(String sessionId) {
        sessions.remove(sessionId);
        try {
            tool.reset(sessionId);
        } catch (RuntimeException e) {
            LOG.debug("resetting session {}", sessionId, e);
        }
    }

    void resetAll() {
        for (String id : List.copyOf(sessions)) {
            forget(id);
        }
    }

    /**
     * A requested timeout in milliseconds, capped at the tool's maximum; null means the maximum.
     */
    private Duration timeout(Object value) {
        if (value == null) {
            return null;
        }
        BigInteger millis = integer(value);
        if (millis == null || millis.signum() <= 0) {
            throw new IllegalArgumentException(
                    "'timeout_ms' must be a positive integer (milliseconds), got "
                            + describe(value)
                            + ".");
        }
        Duration max = tool.maxTimeout();
        if (millis.compareTo(BigInteger.valueOf(max.toMillis())) >= 0) {
            return max;
        }
        return Duration.ofMillis(millis.longValueExact());
    }

    private static BigInteger integer(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return BigInteger.valueOf(((Number) value).longValue());
        }
        if (value instanceof BigInteger big) {
            return big;
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            // JSON has one number type: 500.0 is the integer 500, 0.5 is not one.
            try {
                return new BigDecimal(value.toString()).toBigIntegerExact();
            } catch (ArithmeticException | NumberFormatException notIntegral) {
                return null; // a fraction, NaN or infinity
            }
        }
        return null;
    }

    private void remember(String sessionId) {
        if (sessions.add(sessionId) && sessions.size() > PRUNE_ABOVE) {
            sessions.removeIf(id -> !id.equals(sessionId) && !tool.hasSession(id));
        }
    }

    private Map<String, Object> structured(ObjectNode node) {
        return mapper.convertValue(node, new TypeRef<Map<String, Object>>() {});
    }

    private static String describe(Object value) {
        String s = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static CallToolResult text(String text) {
        return CallToolResult.builder().addTextContent(text).isError(false).build();
    }

    private static CallToolResult error(String message) {
        String text = message == null || message.isBlank() ? "The call failed." : message;
        return CallToolResult.builder().addTextContent(text).isError(true).build();
    }
}
