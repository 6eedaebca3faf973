package dev.eryx.langchain4j;

import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.exception.ToolArgumentsException;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.langchain4j.service.tool.ToolProvider;
import dev.langchain4j.service.tool.ToolProviderRequest;
import dev.langchain4j.service.tool.ToolProviderResult;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A LangChain4j {@link ToolProvider} offering {@code run_python} with {@link PythonTool}'s own
 * description and input schema: give it to {@code AiServices.builder(...).toolProvider(new
 * EryxToolProvider(pool))}. The schema, the arguments and the sessions are exactly those of the
 * other eryx integrations (MCP, Spring AI, the server).
 *
 * <p>Each call runs in the Python session of the AI service call's chat memory id ({@code
 * memoryId.toString()}; {@code "default"} for a service method without {@code @MemoryId}), as
 * {@link EryxPythonTool} describes; a null memory id runs statelessly. The result's text is {@link
 * ToolOutput#text()}; a failed execution (Python exception, timeout, limit) is a normal result
 * flagged {@link ToolExecutionResult#isError()}, so the model reads the traceback and the provider
 * can mark the tool message as an error. Its {@link ToolExecutionResult#result()} is the {@link
 * ToolOutput}, for hooks such as {@code afterToolExecution} that want the verdict or the stats.
 * Malformed arguments throw LangChain4j's {@link ToolArgumentsException} (its arguments error
 * handler decides); a busy pool throws {@link dev.eryx.pool.PoolExhaustedException} (its execution
 * error handler decides).
 *
 * <p>Needs {@code dev.langchain4j:langchain4j} (where {@link ToolProvider} lives) on the class
 * path, as every application that uses AI services has. Thread-safe.
 */
public final class EryxToolProvider implements ToolProvider, AutoCloseable {
    private final PythonTool tool;
    private final boolean ownsTool;
    private final ToolSpecification specification;
    private final ToolExecutor executor = new Executor();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A provider with sessions over {@code pool} at {@link PythonTool}'s defaults. The pool stays
     * the caller's; {@link #close()} closes the sessions.
     */
    public EryxToolProvider(SandboxPool pool) {
        this(PythonTool.builder().pool(Objects.requireNonNull(pool, "pool")).build(), true);
    }

    /** A provider over {@code tool}, which stays the caller's: {@link #close()} leaves it open. */
    public EryxToolProvider(PythonTool tool) {
        this(Objects.requireNonNull(tool, "tool"), false);
    }

    private EryxToolProvider(PythonTool tool, boolean ownsTool) {
        this.tool = tool;
        this.ownsTool = ownsTool;
        this.specification = toolSpecification();
    }

    /** The {@code run_python} specification: {@link PythonTool}'s name, description and schema. */
    public static ToolSpecification toolSpecification() {
        return ToolSpecification.builder()
                .name(PythonTool.NAME)
                .description(PythonTool.description())
                .parameters(JsonSchemas.objectSchema(PythonTool.inputSchema()))
                .build();
    }

    /** The one tool, whatever the request; the same specification and executor every time. */
    @Override
    public ToolProviderResult provideTools(ToolProviderRequest request) {
        return ToolProviderResult.builder().add(specification, executor).build();
    }

    /**
     * Closes the sessions if this provider created its {@link PythonTool} ({@link
     * #EryxToolProvider(SandboxPool)}); a tool given to it stays open. Idempotent.
     */
    @Override
    public void close() {
        if (ownsTool && closed.compareAndSet(false, true)) {
            tool.close();
        }
    }

    /** Runs one call; both entry points end in {@link #run}. */
    private final class Executor implements ToolExecutor {
        @Override
        public String execute(ToolExecutionRequest request, Object memoryId) {
            return run(request, memoryId).text();
        }

        @Override
        public ToolExecutionResult executeWithContext(
                ToolExecutionRequest request, InvocationContext context) {
            ToolOutput output = run(request, context == null ? null : context.chatMemoryId());
            return ToolExecutionResult.builder()
                    .isError(output.isError())
                    .result(output)
                    .resultText(output.text())
                    .build();
        }

        private ToolOutput run(ToolExecutionRequest request, Object memoryId) {
            Objects.requireNonNull(request, "request");
            String arguments = request.arguments();
            try {
                return tool.call(
                        EryxPythonTool.sessionId(memoryId),
                        arguments == null || arguments.isBlank() ? "{}" : arguments);
            } catch (IllegalArgumentException e) {
                throw new ToolArgumentsException(e.getMessage(), e);
            }
        }
    }
}
