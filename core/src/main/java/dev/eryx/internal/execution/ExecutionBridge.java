package dev.eryx.internal.execution;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeHandler;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.bridge.GuestJson;
import dev.eryx.internal.callbacks.CallbackDispatcher;
import dev.eryx.internal.net.NetBridge;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Answers a sandbox's bridge operations: {@code REQUEST} hands the guest runtime the code of the
 * running execution (and, the first time, this sandbox's environment and package path), {@code
 * COMPLETE} takes its outcome; the callback and trace operations go to the {@link
 * CallbackDispatcher}, the network operations to the {@link NetBridge}. Called on the guest thread
 * only.
 */
final class ExecutionBridge implements BridgeHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Execution> running;
    private final Object lock;
    private final CallbackDispatcher callbacks;
    private final NetBridge net;
    private final Map<String, String> env;

    /** Directories the sandbox's packages add to {@code sys.path}, in order (guest paths). */
    private final List<String> packagePath;

    /** The image's compiled code, or {@code null}: the guest compiles every source. */
    private final CodeCache codeCache;

    /**
     * Whether the guest runtime has taken on this sandbox's environment (first request does it).
     */
    private boolean adopted;

    private boolean adoptedAtBegin;

    /** The parser of outcomes under {@link #outcomeJsonLimit} as the longest string, or null. */
    private JsonFactory outcomeJson;

    private long outcomeJsonLimit;

    /**
     * @param running the execution on the guest thread, or {@code null}
     * @param lock the sandbox's lock, which guards an execution's outcome
     */
    ExecutionBridge(
            Supplier<Execution> running,
            Object lock,
            CallbackDispatcher callbacks,
            NetBridge net,
            Map<String, String> env,
            List<String> packagePath,
            CodeCache codeCache) {
        this.running = running;
        this.lock = lock;
        this.callbacks = callbacks;
        this.net = net;
        this.env = env;
        this.packagePath = List.copyOf(packagePath);
        this.codeCache = codeCache;
    }

    /** Marks the start of an execution, the point {@link #rollBack()} returns to. */
    void beginExecution() {
        adoptedAtBegin = adopted;
    }

    /**
     * The interpreter was rolled back to the start of the execution: a first execution killed
     * before it finished leaves the next one to adopt the environment.
     */
    void rollBack() {
        adopted = adoptedAtBegin;
    }

    /** The interpreter was reset to its image, which has adopted no environment. */
    void forgetAdoption() {
        adopted = false;
    }

    @Override
    public byte[] handle(BridgeOp op, byte[] request) {
        return switch (op) {
            case REQUEST -> request(requireRunning());
            case COMPLETE -> complete(requireRunning(), request);
            case CALL, START, POLL, CANCEL, EMIT -> callbacks.handle(op, request);
            case NET_RESOLVE,
                    NET_SOCKET,
                    NET_CONNECT,
                    NET_TLS_WRAP,
                    NET_TLS_OBJECT,
                    NET_TLS_STEP,
                    NET_NOTIFIER,
                    NET_CLOSE ->
                    net.handle(op, request);
        };
    }

    private Execution requireRunning() {
        Execution execution = running.get();
        if (execution == null) {
            throw new BridgeFailure(BridgeFailure.ERROR, "no execution is pending");
        }
        return execution;
    }

    private byte[] request(Execution execution) {
        ObjectNode json = JSON.createObjectNode();
        if (execution.source != null) {
            // Bytes as the code points of a latin-1 string: no base64 to decode in the guest.
            json.put("source", new String(execution.source, StandardCharsets.ISO_8859_1));
            json.put("filename", execution.filename);
        } else {
            json.put("code", execution.code);
        }
        byte[] compiled =
                codeCache == null
                        ? null
                        : codeCache.lookup(execution.code, execution.source, execution.filename);
        if (compiled != null) {
            // The source still goes along: tracebacks show its lines (see CodeCache, threat model).
            json.put("marshal", new String(compiled, StandardCharsets.ISO_8859_1));
        }
        callbacks.addToRequest(json, !adopted);
        if (!adopted) {
            ObjectNode envJson = json.putObject("env");
            env.forEach(envJson::put);
            // Always sent, also empty: the image is shared, so sys.path is set per sandbox.
            ArrayNode pathJson = json.putArray("path");
            packagePath.forEach(pathJson::add);
            adopted = true;
        }
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Takes the guest's outcome. A result past the limits of {@link GuestJson} (strings and keys up
     * to the execution's {@code maxOutputBytes}) or nested deeper than the guest's recursion limit
     * ({@code "maxDepth"}, which the runtime reports) is refused with a message saying which limit;
     * the guest runtime then reports a {@code ValueError} instead, and the sandbox stays usable.
     */
    private byte[] complete(Execution execution, byte[] request) {
        long maxStrings = execution.limits.maxOutputBytes();
        JsonNode json;
        try {
            json = GuestJson.read(outcomeJson(maxStrings), request);
        } catch (StreamConstraintsException e) {
            throw new BridgeFailure(
                    BridgeFailure.ERROR, GuestJson.explain(e, maxStrings, "maxOutputBytes"));
        } catch (IOException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "malformed outcome: " + e.getMessage());
        }
        GuestOutcome outcome = GuestOutcome.fromJson(json);
        int maxDepth = json.path("maxDepth").asInt(GuestJson.MAX_DEPTH);
        int depth = GuestJson.depth(outcome.result);
        if (depth > maxDepth) {
            throw new BridgeFailure(
                    BridgeFailure.ERROR,
                    "it is nested "
                            + depth
                            + " levels deep, deeper than the recursion limit ("
                            + maxDepth
                            + "; sys.setrecursionlimit() raises it)");
        }
        synchronized (lock) {
            execution.outcome = outcome; // from now on a stop leaves the guest alone
        }
        return new byte[0];
    }

    private JsonFactory outcomeJson(long maxStrings) {
        if (outcomeJson == null || outcomeJsonLimit != maxStrings) {
            // The outcome object wraps the result: one level of nesting of its own.
            outcomeJson = GuestJson.factory(maxStrings, 1);
            outcomeJsonLimit = maxStrings;
        }
        return outcomeJson;
    }
}
