package dev.eryx.tool;

import dev.eryx.pool.SandboxPool;
import java.time.Duration;
import java.util.List;

/**
 * The {@code run_python} tool over a {@link SandboxPool}: stateless calls borrow a pooled sandbox;
 * calls with a session id run in that session's own sandbox (built from the pool's image), which
 * keeps its variables and files across calls until it is reset, closed, evicted as least recently
 * used past {@code maxSessions}, or idle past {@code sessionIdleTimeout}.
 *
 * <p>Thread-safe. Calls to one session run one at a time, in arrival order. Interrupting the thread
 * in {@link #run} cancels the execution ({@link dev.eryx.Verdict#CANCELLED}).
 */
public final class PythonTool implements AutoCloseable {
    /** The tool's name in every framework. */
    public static final String NAME = "run_python";

    public static Builder builder() {
        return new Builder();
    }

    /** The description a model reads: what runs, what comes back, that state persists. */
    public static String description() {
        throw new UnsupportedOperationException("contract: implemented by the tool part");
    }

    /**
     * The input's JSON Schema (draft 2020-12) as a string: {@code code} (string, required) and
     * {@code timeout_ms} (integer, optional, at least 1).
     */
    public static String inputSchema() {
        throw new UnsupportedOperationException("contract");
    }

    /** The JSON Schema of {@link ToolOutput#structured()}. */
    public static String outputSchema() {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Runs {@code code}. {@code sessionId} null runs it statelessly in a pooled sandbox; otherwise
     * in that session, created on first use. {@code timeout} null means the maximum; a longer one
     * is cut to the maximum. Never throws for anything the code does: failures are verdicts.
     *
     * @throws IllegalArgumentException code null, or a non-positive timeout
     * @throws dev.eryx.pool.PoolExhaustedException no sandbox became free in time (stateless), or
     *     the session limit is reached and no session can be evicted
     * @throws IllegalStateException the tool is closed
     */
    public ToolOutput run(String sessionId, String code, Duration timeout) {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Runs a call whose arguments are the JSON the model sent ({@code {"code": ..., "timeout_ms":
     * ...}}).
     *
     * @throws IllegalArgumentException the JSON is malformed or does not match {@link
     *     #inputSchema()}; the message says what is wrong
     */
    public ToolOutput call(String sessionId, String argumentsJson) {
        throw new UnsupportedOperationException("contract");
    }

    /** Forgets a session's state (its sandbox is closed); false when there was no such session. */
    public boolean reset(String sessionId) {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * The files under {@code directory} of a session's sandbox (or of a fresh sandbox when there is
     * no such session), as sorted guest paths; directories end with {@code /}.
     */
    public List<String> listFiles(String sessionId, String directory) {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * The session's saved state ({@link dev.eryx.Sandbox#saveState()}), signed by the pool's key.
     */
    public byte[] saveSession(String sessionId) {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Resumes a saved session under {@code sessionId} (replacing one of that id).
     *
     * @throws IllegalArgumentException the state is not valid for this pool's image and key
     */
    public void restoreSession(String sessionId, byte[] state) {
        throw new UnsupportedOperationException("contract");
    }

    /** Whether a session of that id is live. */
    public boolean hasSession(String sessionId) {
        throw new UnsupportedOperationException("contract");
    }

    public int sessionCount() {
        throw new UnsupportedOperationException("contract");
    }

    /** The longest timeout a call may ask for. */
    public Duration maxTimeout() {
        throw new UnsupportedOperationException("contract");
    }

    /** Closes every session; the pool is closed only if {@link Builder#ownsPool} said so. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("contract");
    }

    /** Options of a {@link PythonTool}. */
    public static final class Builder {
        Builder() {}

        /** The pool stateless calls borrow from and sessions take their image from (required). */
        public Builder pool(SandboxPool pool) {
            throw new UnsupportedOperationException("contract");
        }

        /** Whether {@link PythonTool#close()} also closes the pool (default false). */
        public Builder ownsPool(boolean owns) {
            throw new UnsupportedOperationException("contract");
        }

        /** The cap on a call's timeout (default: the pool's own timeout limit). */
        public Builder maxTimeout(Duration max) {
            throw new UnsupportedOperationException("contract");
        }

        /** At most this many live sessions; the least recently used is evicted (default 64). */
        public Builder maxSessions(int max) {
            throw new UnsupportedOperationException("contract");
        }

        /** A session idle this long is closed (default 30 minutes). */
        public Builder sessionIdleTimeout(Duration ttl) {
            throw new UnsupportedOperationException("contract");
        }

        public PythonTool build() {
            throw new UnsupportedOperationException("contract");
        }
    }
}
