package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.EryxException;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON API's sessions: ids this server issued, each naming a session of the shared {@link
 * PythonTool} (which keeps the sandboxes, serialises calls to one session, and closes sessions idle
 * past the TTL or evicted). MCP sessions live in the same tool but cannot be reached by id here.
 */
final class Sessions {
    /** MCP's Python sessions of the shared tool are named so, followed by the Mcp-Session-Id. */
    static final String MCP_PREFIX = "mcp-";

    private final PythonTool tool;
    private final ResourceLimits defaults;
    private final int maxSessions;
    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private final Object creating = new Object();

    Sessions(PythonTool tool, ResourceLimits defaults, int maxSessions) {
        this.tool = tool;
        this.defaults = defaults;
        this.maxSessions = maxSessions;
    }

    /**
     * A new session: empty (with its own memory limit, if the request set one), or resumed from a
     * state.
     *
     * @throws HttpError 429 at the session limit, 400 for a state this server cannot resume or a
     *     memory limit too small for the sandbox
     */
    String create(CreateRequest request) {
        synchronized (creating) { // the count and the creation together
            forgetEnded();
            if (tool.sessionCount() >= maxSessions) {
                throw HttpError.tooMany(
                        "at most " + maxSessions + " sessions may be live; delete one or retry");
            }
            String id = newId();
            try {
                start(id, request);
            } catch (PoolExhaustedException e) {
                throw HttpError.tooMany(e.getMessage());
            }
            ids.add(id);
            return id;
        }
    }

    private void start(String id, CreateRequest request) {
        if (request.state() != null) {
            try {
                tool.restoreSession(id, request.state());
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("the state cannot be resumed: " + e.getMessage());
            }
            return;
        }
        // The sandbox exists once the answer says so: a later 404 then means it ended. It runs
        // nothing yet, so the run log shows no empty run for it.
        ResourceLimits limits =
                request.maxMemoryBytes() == null
                        ? null
                        : defaults.toBuilder().maxMemoryBytes(request.maxMemoryBytes()).build();
        try {
            tool.createSession(id, limits);
        } catch (PoolExhaustedException e) {
            throw e; // the caller's 429
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("the session cannot start: " + e.getMessage());
        } catch (EryxException e) {
            tool.reset(id);
            throw startFailure(e, request.maxMemoryBytes(), defaults.maxMemoryBytes());
        }
    }

    /**
     * The answer when a new session's sandbox failed to start ({@code e}, from its warm-up run):
     * 400 when the request asked for less memory than the server's limit (above what the
     * interpreter's image needs, below what its first run does: the request's doing), else 500.
     *
     * @param requested the request's {@code max_memory_bytes}, or null
     */
    static HttpError startFailure(EryxException e, Long requested, long serverLimit) {
        if (requested != null && requested < serverLimit) {
            return HttpError.badRequest(
                    "max_memory_bytes is too small for the session's sandbox to start ("
                            + e.getMessage()
                            + "); ask for more, or leave it out for the server's limit");
        }
        return new HttpError(500, "the session's sandbox did not start: " + e.getMessage());
    }

    byte[] save(String id) {
        requireLive(id);
        try {
            return tool.saveSession(id);
        } catch (IllegalArgumentException e) {
            throw new HttpError(404, "session " + id + " has ended");
        } catch (IllegalStateException e) {
            // A crashed sandbox cannot save; a closed tool means the server is stopping.
            throw new HttpError(409, "the session cannot be saved: " + e.getMessage());
        }
    }

    /**
     * Runs code in a live session this server issued; never creates one, so a call queued behind
     * another while the session is deleted or expires gets a 404 instead of a new, untracked
     * session.
     *
     * @param output receives the output while the code runs; null for none
     * @throws HttpError 404 when there is no such live session
     */
    ToolOutput run(String id, String code, ResourceLimits limits, OutputListener output) {
        requireLive(id);
        try {
            return output == null
                    ? tool.runInSession(id, code, limits)
                    : tool.runInSession(id, code, limits, output);
        } catch (NoSuchElementException e) {
            ids.remove(id);
            throw new HttpError(
                    404, "session " + id + " has ended (idle too long, evicted or deleted)");
        }
    }

    /**
     * Cancels the call running in a session this server issued ({@link PythonTool#cancel}).
     *
     * @return whether a call was running
     * @throws HttpError 404 when there is no such live session
     */
    boolean cancel(String id) {
        requireLive(id);
        return tool.cancel(id);
    }

    /**
     * Closes a session this server issued; false when there is no such live session. Ids it did not
     * issue (MCP's sessions share the tool) are never touched.
     */
    boolean delete(String id) {
        if (!ids.remove(id)) {
            return false;
        }
        return tool.reset(id);
    }

    /**
     * @throws HttpError 404 when this server issued no such session or it has ended
     */
    void requireLive(String id) {
        if (id == null || !ids.contains(id)) {
            throw new HttpError(404, "no such session: " + id);
        }
        if (!tool.hasSession(id)) {
            ids.remove(id);
            throw new HttpError(
                    404, "session " + id + " has ended (idle too long, evicted or deleted)");
        }
    }

    private void forgetEnded() {
        for (Iterator<String> it = ids.iterator(); it.hasNext(); ) {
            if (!tool.hasSession(it.next())) {
                it.remove();
            }
        }
    }

    private String newId() {
        while (true) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            if (!id.startsWith(MCP_PREFIX)) { // never mistaken for one of MCP's
                return id;
            }
        }
    }

    /**
     * How a session of the tool is named in {@code GET /v1/sessions} and the run log: the JSON
     * API's by their id; MCP's ({@code mcp-<Mcp-Session-Id>}) as {@code mcp-} and the first 12 hex
     * digits of the SHA-256 of the Mcp-Session-Id, which is the MCP transport's handle of the
     * session and so is never shown. Null stays null.
     */
    static String publicId(String toolId) {
        if (toolId == null || !toolId.startsWith(MCP_PREFIX)) {
            return toolId;
        }
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(
                                    toolId.substring(MCP_PREFIX.length())
                                            .getBytes(StandardCharsets.UTF_8));
            return MCP_PREFIX + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The body of {@code POST /v1/sessions}.
     *
     * @param state the decoded state to resume, or null for a new session
     * @param maxMemoryBytes the new session's memory limit (the tool cuts it to the pool's), or
     *     null for the pool's
     */
    record CreateRequest(byte[] state, Long maxMemoryBytes) {}

    /**
     * Parses the body of {@code POST /v1/sessions}: empty, {@code {}}, {@code {"state":
     * "<base64>"}} or {@code {"max_memory_bytes": n}}; a resumed session keeps the limits it was
     * saved under, so not both.
     */
    static CreateRequest parseCreate(byte[] body) {
        if (body.length == 0) {
            return new CreateRequest(null, null);
        }
        JsonNode node;
        try {
            node = Json.parse(body);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        if (!node.isObject()) {
            throw HttpError.badRequest(
                    "the body must be a JSON object: {}, {\"state\": \"<base64>\"} or"
                            + " {\"max_memory_bytes\": n}");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("state") && !name.equals("max_memory_bytes")) {
                throw HttpError.badRequest(
                        "unknown field \"" + name + "\"; expected state or max_memory_bytes");
            }
        }
        byte[] state = state(node.get("state"));
        Long memory = memory(node.get("max_memory_bytes"));
        if (state != null && memory != null) {
            throw HttpError.badRequest(
                    "state and max_memory_bytes together: a resumed session keeps its own limits");
        }
        return new CreateRequest(state, memory);
    }

    private static byte[] state(JsonNode state) {
        if (state == null || state.isNull()) {
            return null;
        }
        if (!state.isTextual()) {
            throw HttpError.badRequest("state must be a base64 string");
        }
        try {
            return Base64.getDecoder().decode(state.textValue());
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("state is not valid base64: " + e.getMessage());
        }
    }

    private static Long memory(JsonNode memory) {
        if (memory == null || memory.isNull()) {
            return null;
        }
        if (!memory.isIntegralNumber() || !memory.canConvertToLong() || memory.longValue() < 1) {
            throw HttpError.badRequest(
                    "max_memory_bytes must be a positive integer, not " + memory);
        }
        return memory.longValue();
    }
}
