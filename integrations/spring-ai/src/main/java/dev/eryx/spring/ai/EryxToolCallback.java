package dev.eryx.spring.ai;

import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.tool.PythonTool;
import java.util.Map;
import java.util.Objects;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;
import org.springframework.ai.tool.execution.ToolExecutionException;

/**
 * The {@code run_python} tool as a Spring AI {@link ToolCallback}: the model sends {@code {"code":
 * ..., "timeout_ms": ...}} ({@link PythonTool#inputSchema()}) and reads back {@link
 * dev.eryx.tool.ToolOutput#text()}.
 *
 * <p><b>Sessions.</b> When the call's {@link ToolContext} holds the {@linkplain Builder#sessionKey
 * session key} (by default {@link ChatMemory#CONVERSATION_ID}, the key Spring AI's chat memory uses
 * for a conversation), the code runs in that conversation's own sandbox, so variables, imports and
 * files carry over between calls; its value's {@code toString()} is the session id. Without it (no
 * context, or no such key) each call runs statelessly in a fresh pooled sandbox. An application
 * passes the id with {@code chatClient.prompt().toolContext(Map.of(ChatMemory.CONVERSATION_ID,
 * id))}.
 *
 * <p><b>Failures.</b> Whatever the Python code does — raise, time out, exhaust its fuel, memory or
 * output, crash its interpreter — comes back as the tool's text result, with the verdict and the
 * traceback, because that is what a model can act on; it is never an exception. Arguments that are
 * not valid JSON or do not match the schema, and a pool with no free sandbox in time, throw a
 * {@link ToolExecutionException} with a message that says what is wrong: Spring AI's default {@code
 * ToolExecutionExceptionProcessor} hands that message to the model as the result, and an
 * application that configures it to throw (for instance {@code
 * spring.ai.tools.throw-exception-on-error=true}) gets the exception instead. A closed {@link
 * PythonTool} throws {@link IllegalStateException}: that is the host's error, not the model's.
 *
 * <p>Immutable and thread-safe; it does not own the {@link PythonTool}.
 */
public final class EryxToolCallback implements ToolCallback {
    /** The {@link ToolContext} key whose value names the session by default. */
    public static final String DEFAULT_SESSION_KEY = ChatMemory.CONVERSATION_ID;

    private final PythonTool tool;
    private final String sessionKey;
    private final ToolDefinition definition;

    private EryxToolCallback(Builder b) {
        this.tool = b.tool;
        this.sessionKey = b.sessionKey;
        this.definition =
                ToolDefinition.builder()
                        .name(PythonTool.NAME)
                        .description(
                                b.description != null ? b.description : PythonTool.description())
                        .inputSchema(PythonTool.inputSchema())
                        .build();
    }

    /** A callback over {@code tool} with the default session key and description. */
    public static EryxToolCallback of(PythonTool tool) {
        return builder(tool).build();
    }

    /** Starts a callback over {@code tool}, which stays the caller's to close. */
    public static Builder builder(PythonTool tool) {
        return new Builder(tool);
    }

    @Override
    public ToolDefinition getToolDefinition() {
        return definition;
    }

    /** Runs the call statelessly: there is no context to name a session. */
    @Override
    public String call(String toolInput) {
        return run(null, toolInput);
    }

    /** Runs the call in the session the context names, or statelessly when it names none. */
    @Override
    public String call(String toolInput, ToolContext toolContext) {
        return run(sessionId(toolContext), toolInput);
    }

    /** The {@link ToolContext} key whose value names the session. */
    public String sessionKey() {
        return sessionKey;
    }

    /** The tool calls run on. */
    public PythonTool tool() {
        return tool;
    }

    private String run(String sessionId, String toolInput) {
        try {
            return tool.call(sessionId, toolInput).text();
        } catch (IllegalArgumentException e) {
            throw failure(
                    new IllegalArgumentException(
                            "run_python was called with bad arguments: " + e.getMessage(), e));
        } catch (PoolExhaustedException e) {
            throw failure(
                    new IllegalStateException(
                            "run_python is busy: no sandbox became free in time; try again"
                                    + " later ("
                                    + e.getMessage()
                                    + ")",
                            e));
        }
    }

    private ToolExecutionException failure(RuntimeException cause) {
        return new ToolExecutionException(definition, cause);
    }

    private String sessionId(ToolContext context) {
        if (context == null) {
            return null;
        }
        Map<String, Object> map = context.getContext();
        Object id = map == null ? null : map.get(sessionKey);
        if (id == null) {
            return null;
        }
        String text = id.toString();
        return text.isBlank() ? null : text;
    }

    @Override
    public String toString() {
        return "EryxToolCallback[" + PythonTool.NAME + ", sessionKey=" + sessionKey + "]";
    }

    /** Options of an {@link EryxToolCallback}. */
    public static final class Builder {
        private final PythonTool tool;
        private String sessionKey = DEFAULT_SESSION_KEY;
        private String description;

        private Builder(PythonTool tool) {
            this.tool = Objects.requireNonNull(tool, "tool");
        }

        /**
         * The {@link ToolContext} key whose value is the session id (default {@link
         * #DEFAULT_SESSION_KEY}).
         */
        public Builder sessionKey(String key) {
            Objects.requireNonNull(key, "key");
            if (key.isBlank()) {
                throw new IllegalArgumentException("sessionKey must not be blank");
            }
            this.sessionKey = key;
            return this;
        }

        /**
         * The description the model reads (default {@link PythonTool#description()}); null restores
         * the default.
         */
        public Builder description(String description) {
            if (description != null && description.isBlank()) {
                throw new IllegalArgumentException("description must not be blank");
            }
            this.description = description;
            return this;
        }

        public EryxToolCallback build() {
            return new EryxToolCallback(this);
        }
    }
}
