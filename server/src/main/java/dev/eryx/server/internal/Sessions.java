package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import java.security.SecureRandom;
import java.util.Base64;
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
    private final PythonTool tool;
    private final int maxSessions;
    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private final Object creating = new Object();

    Sessions(PythonTool tool, int maxSessions) {
        this.tool = tool;
        this.maxSessions = maxSessions;
    }

    /**
     * A new session, empty or resumed from {@code state}.
     *
     * @throws HttpError 429 at the session limit, 400 for a state this server cannot resume
     */
    String create(byte[] state) {
        synchronized (creating) { // the count and the creation together
            forgetEnded();
            if (tool.sessionCount() >= maxSessions) {
                throw HttpError.tooMany(
                        "at most " + maxSessions + " sessions may be live; delete one or retry");
            }
            String id = newId();
            try {
                start(id, state);
            } catch (PoolExhaustedException e) {
                throw HttpError.tooMany(e.getMessage());
            }
            ids.add(id);
            return id;
        }
    }

    private void start(String id, byte[] state) {
        {
            if (state != null) {
                try {
                    tool.restoreSession(id, state);
                } catch (IllegalArgumentException e) {
                    throw HttpError.badRequest("the state cannot be resumed: " + e.getMessage());
                }
            } else {
                // The sandbox exists once the answer says so: a later 404 then means it ended.
                ToolOutput started = tool.run(id, "", null);
                if (started.verdict() != Verdict.OK) {
                    tool.reset(id);
                    throw new HttpError(
                            500, "the session's sandbox did not start: " + started.error());
                }
            }
        }
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
     * @throws HttpError 404 when there is no such live session
     */
    ToolOutput run(String id, String code, ResourceLimits limits) {
        requireLive(id);
        try {
            return tool.runInSession(id, code, limits);
        } catch (NoSuchElementException e) {
            ids.remove(id);
            throw new HttpError(
                    404, "session " + id + " has ended (idle too long, evicted or deleted)");
        }
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
            // MCP's Python sessions of the shared tool are named "mcp-<Mcp-Session-Id>".
            if (!id.startsWith("mcp-")) {
                return id;
            }
        }
    }

    /**
     * The body of {@code POST /v1/sessions}: empty, {@code {}}, or {@code {"state": "<base64>"}}.
     *
     * @return the decoded state, or null for a new session
     */
    static byte[] parseCreate(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        JsonNode node;
        try {
            node = Json.parse(body);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        if (!node.isObject()) {
            throw HttpError.badRequest(
                    "the body must be a JSON object: {} or {\"state\": \"<base64>\"}");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("state")) {
                throw HttpError.badRequest("unknown field \"" + name + "\"; expected only state");
            }
        }
        JsonNode state = node.get("state");
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
}
