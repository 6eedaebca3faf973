package dev.eryx.internal.execution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeHandler;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.callbacks.CallbackDispatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Answers a sandbox's bridge operations: {@code REQUEST} hands the guest runtime the code of the
 * running execution (and, the first time, this sandbox's environment), {@code COMPLETE} takes its
 * outcome; the callback and trace operations go to the {@link CallbackDispatcher}. Called on the
 * guest thread only.
 */
final class ExecutionBridge implements BridgeHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Execution> running;
    private final Object lock;
    private final CallbackDispatcher callbacks;
    private final Map<String, String> env;

    /**
     * Whether the guest runtime has taken on this sandbox's environment (first request does it).
     */
    private boolean adopted;

    private boolean adoptedAtBegin;

    /**
     * @param running the execution on the guest thread, or {@code null}
     * @param lock the sandbox's lock, which guards an execution's outcome
     */
    ExecutionBridge(
            Supplier<Execution> running,
            Object lock,
            CallbackDispatcher callbacks,
            Map<String, String> env) {
        this.running = running;
        this.lock = lock;
        this.callbacks = callbacks;
        this.env = env;
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
        callbacks.addToRequest(json, !adopted);
        if (!adopted) {
            ObjectNode envJson = json.putObject("env");
            env.forEach(envJson::put);
            adopted = true;
        }
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] complete(Execution execution, byte[] request) {
        GuestOutcome outcome;
        try {
            outcome = GuestOutcome.fromJson(JSON.readTree(request));
        } catch (IOException e) {
            throw new BridgeFailure(BridgeFailure.ERROR, "malformed outcome: " + e.getMessage());
        }
        synchronized (lock) {
            execution.outcome = outcome; // from now on a stop leaves the guest alone
        }
        return new byte[0];
    }
}
