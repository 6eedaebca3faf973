package dev.eryx.tool;

/**
 * Told when each run of a {@link PythonTool} ends (stateless, in a session, through any framework):
 * the hook for a dashboard of recent runs. The code and output it receives are redacted: every
 * value and placeholder of the sandbox's secrets reads {@code [secret NAME]} (an output with
 * nothing to redact is the call's own). Called on the thread that ran the call, after the run and
 * before the call returns, once the call has let go of its session (calls queued for the session do
 * not wait for the listener); an exception it throws is logged and dropped.
 */
@FunctionalInterface
public interface RunListener {
    /**
     * A run ended.
     *
     * @param sessionId the session, or null for a stateless run
     * @param code the code that ran (redacted)
     * @param output its outcome (redacted)
     */
    void runFinished(String sessionId, String code, ToolOutput output);
}
