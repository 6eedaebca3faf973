package dev.eryx.langchain4j;

import dev.eryx.ResourceLimits;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import dev.langchain4j.code.CodeExecutionEngine;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A LangChain4j {@link CodeExecutionEngine} that runs Python in eryx sandboxes: each {@link
 * #execute} borrows a fresh sandbox from a {@link SandboxPool} (nothing carries over from one call
 * to the next) and returns {@link ToolOutput#text()}: what the code printed to stdout, then stderr
 * under a {@code [stderr]} line, then the top-level variable {@code result} as JSON under a {@code
 * [result]} line, or {@code (no output)}.
 *
 * <p><b>Errors come back as text.</b> {@link CodeExecutionEngine#execute} has no error channel, and
 * the caller of an engine is usually a tool whose text goes to a model, which can fix its code from
 * a traceback. So a Python exception, a timeout, exhausted fuel or memory, too much output and a
 * crashed interpreter all return the output produced before the failure followed by {@code [error:
 * <verdict>]} and the traceback or message, instead of throwing (LangChain4j's GraalVM engine
 * throws and loses the output; its Judge0 engine returns the error as text, as this one does). What
 * is not the code's doing still throws: a null {@code code}, a closed pool, and {@link
 * PoolExhaustedException} when no sandbox became free in time, which a host may want to retry.
 *
 * <p>Thread-safe; as many calls run at once as the pool has sandboxes. Interrupting the calling
 * thread cancels the execution.
 */
public final class EryxCodeExecutionEngine implements CodeExecutionEngine, AutoCloseable {
    private final PythonTool tool;
    private final boolean ownsTool;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * An engine over {@code pool}, under the pool's resource limits. The pool stays the caller's:
     * {@link #close()} leaves it open.
     */
    public EryxCodeExecutionEngine(SandboxPool pool) {
        this(PythonTool.builder().pool(Objects.requireNonNull(pool, "pool")).build(), true);
    }

    /**
     * An engine that runs each call statelessly through {@code tool} (its pool and timeout cap),
     * for a host that shares one {@link PythonTool} between integrations. The tool stays the
     * caller's: {@link #close()} leaves it open.
     */
    public EryxCodeExecutionEngine(PythonTool tool) {
        this(Objects.requireNonNull(tool, "tool"), false);
    }

    private EryxCodeExecutionEngine(PythonTool tool, boolean ownsTool) {
        this.tool = tool;
        this.ownsTool = ownsTool;
    }

    /**
     * An engine with a pool of its own under {@code limits} (the pool's other options at their
     * defaults), closed by {@link #close()}.
     */
    public static EryxCodeExecutionEngine create(ResourceLimits limits) {
        Objects.requireNonNull(limits, "limits");
        SandboxPool pool = SandboxPool.builder().resourceLimits(limits).build();
        try {
            return new EryxCodeExecutionEngine(
                    PythonTool.builder().pool(pool).ownsPool(true).build(), true);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Runs {@code code} in a fresh pooled sandbox and returns its output as text; a failure of the
     * code is part of that text (see the class comment).
     *
     * @throws NullPointerException {@code code} is null
     * @throws PoolExhaustedException no sandbox became free within the pool's acquire timeout
     * @throws IllegalStateException the engine or its pool is closed
     */
    @Override
    public String execute(String code) {
        Objects.requireNonNull(code, "code");
        return tool.run(null, code, null).text();
    }

    /**
     * Closes what the engine created: the tool built by {@link
     * #EryxCodeExecutionEngine(SandboxPool)} (not the pool), or the tool and pool of {@link
     * #create}. Idempotent.
     */
    @Override
    public void close() {
        if (ownsTool && closed.compareAndSet(false, true)) {
            tool.close();
        }
    }
}
