package dev.eryx.tool;

import java.time.Instant;
import java.util.Objects;

/** A live session of a {@link PythonTool}, as {@link PythonTool#sessions()} saw it. Immutable. */
public final class SessionInfo {
    private final String id;
    private final Instant created;
    private final Instant lastUsed;
    private final long executions;
    private final long memoryBytes;
    private final boolean running;

    SessionInfo(
            String id,
            Instant created,
            Instant lastUsed,
            long executions,
            long memoryBytes,
            boolean running) {
        this.id = Objects.requireNonNull(id, "id");
        this.created = Objects.requireNonNull(created, "created");
        this.lastUsed = Objects.requireNonNull(lastUsed, "lastUsed");
        this.executions = executions;
        this.memoryBytes = memoryBytes;
        this.running = running;
    }

    /** The session's id (MCP's sessions read {@code mcp-<Mcp-Session-Id>}). */
    public String id() {
        return id;
    }

    /** When its sandbox started (or was restored). */
    public Instant created() {
        return created;
    }

    /** When its last call ended (or it started, if none has). */
    public Instant lastUsed() {
        return lastUsed;
    }

    /** How many calls ran in it. */
    public long executions() {
        return executions;
    }

    /** Its sandbox's linear memory after its last call (the peak of that call), in bytes. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /**
     * Whether a call is running in it now, or has it and is about to start (what {@link
     * PythonTool#cancel} would cancel).
     */
    public boolean running() {
        return running;
    }

    @Override
    public String toString() {
        return "SessionInfo{" + id + ", executions=" + executions + ", running=" + running + "}";
    }
}
