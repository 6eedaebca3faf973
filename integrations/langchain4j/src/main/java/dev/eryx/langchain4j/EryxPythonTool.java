package dev.eryx.langchain4j;

import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolMemoryId;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code run_python} tool as a LangChain4j tool object: give it to {@code
 * AiServices.builder(...).tools(new EryxPythonTool(pool))}. Each chat memory gets a Python session
 * of its own (a sandbox that keeps variables, imports and files from one call to the next), kept by
 * the {@link PythonTool}: at most its {@code maxSessions} live, the least recently used evicted
 * first, and one idle past its {@code sessionIdleTimeout} closed.
 *
 * <p><b>Which session.</b> LangChain4j passes the tool the chat memory id of the AI service call
 * ({@link ToolMemoryId}): the value of the service method's {@code @MemoryId} parameter, or {@code
 * "default"} when the method has none. A service with one shared chat memory (or none) therefore
 * has one shared Python session, just as it has one conversation; a service that serves several
 * users gives each a memory id, and each then has a session of their own. The session is keyed by
 * {@code memoryId.toString()}. A null memory id (a direct Java call) runs the code statelessly in a
 * fresh pooled sandbox.
 *
 * <p><b>Errors.</b> The method returns {@link ToolOutput#text()} whatever the code did: a Python
 * exception, a timeout or a limit comes back to the model as the output so far, {@code [error:
 * <verdict>]} and the traceback, never as an exception out of the AI service. A {@code @Tool}
 * method can only return text, so LangChain4j does not flag such a result as an error; {@link
 * EryxToolProvider} does. Bad arguments ({@code timeout_ms} not positive) and a busy pool ({@link
 * dev.eryx.pool.PoolExhaustedException}) throw, and LangChain4j's tool error handlers decide (by
 * default the message goes to the model).
 *
 * <p>Thread-safe.
 */
public final class EryxPythonTool implements AutoCloseable {
    static final String CODE_DESCRIPTION =
            "The Python code to run. Print what you want to see, or set a top-level variable"
                    + " `result` to a JSON-serialisable value.";

    static final String TIMEOUT_DESCRIPTION =
            "Time limit of this call in milliseconds; the host caps it.";

    private final PythonTool tool;
    private final boolean ownsTool;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A tool with sessions over {@code pool} at {@link PythonTool}'s defaults (64 sessions, 30
     * minutes idle). The pool stays the caller's; {@link #close()} closes the sessions.
     */
    public EryxPythonTool(SandboxPool pool) {
        this(PythonTool.builder().pool(Objects.requireNonNull(pool, "pool")).build(), true);
    }

    /**
     * A tool over {@code tool} (its pool, session limits and timeout cap), for a host that
     * configures {@link PythonTool.Builder#maxSessions} and {@link
     * PythonTool.Builder#sessionIdleTimeout} or shares one tool between integrations. The tool
     * stays the caller's: {@link #close()} leaves it open.
     */
    public EryxPythonTool(PythonTool tool) {
        this(Objects.requireNonNull(tool, "tool"), false);
    }

    private EryxPythonTool(PythonTool tool, boolean ownsTool) {
        this.tool = tool;
        this.ownsTool = ownsTool;
    }

    /**
     * Runs {@code code} in the session of {@code memoryId} and returns the output as text (see the
     * class comment).
     *
     * @param memoryId the chat memory id LangChain4j passes; null runs statelessly
     * @param code the Python code
     * @param timeoutMs the timeout in milliseconds; null for the tool's maximum, which also caps it
     * @throws IllegalArgumentException {@code code} is null or {@code timeoutMs} is not positive
     * @throws dev.eryx.pool.PoolExhaustedException no sandbox or session could be had in time
     */
    @Tool(name = PythonTool.NAME, value = PythonTool.DESCRIPTION)
    public String runPython(
            @ToolMemoryId Object memoryId,
            @P(name = "code", value = CODE_DESCRIPTION) String code,
            @P(name = "timeout_ms", value = TIMEOUT_DESCRIPTION, required = false) Long timeoutMs) {
        if (code == null) {
            throw new IllegalArgumentException("code is required");
        }
        if (timeoutMs != null && timeoutMs <= 0) {
            throw new IllegalArgumentException("timeout_ms must be positive: " + timeoutMs);
        }
        Duration timeout = timeoutMs == null ? null : Duration.ofMillis(timeoutMs);
        return tool.run(sessionId(memoryId), code, timeout).text();
    }

    /**
     * Forgets the Python state of {@code memoryId} (for a host that clears a conversation); false
     * when it had none.
     */
    public boolean reset(Object memoryId) {
        Objects.requireNonNull(memoryId, "memoryId");
        return tool.reset(sessionId(memoryId));
    }

    /** Whether {@code memoryId} has a live Python session. */
    public boolean hasSession(Object memoryId) {
        Objects.requireNonNull(memoryId, "memoryId");
        return tool.hasSession(sessionId(memoryId));
    }

    /**
     * Closes the sessions if this object created its {@link PythonTool} ({@link
     * #EryxPythonTool(SandboxPool)}); a tool given to it stays open. Idempotent.
     */
    @Override
    public void close() {
        if (ownsTool && closed.compareAndSet(false, true)) {
            tool.close();
        }
    }

    /** The session of a chat memory id: its string form; null (no memory) is stateless. */
    static String sessionId(Object memoryId) {
        return memoryId == null ? null : memoryId.toString();
    }
}
