package dev.eryx.internal.values;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.PendingChange;
import dev.eryx.TraceEvent;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.List;

/**
 * The one way the internals build the public API's value types, whose constructors are not public:
 * users read results, effects and trace events but never make them, so their shapes can change
 * without breaking anyone. This package is not exported (see module-info).
 *
 * <p>The implementation lives in package {@code dev.eryx}, where the constructors are visible, and
 * registers itself once, from the static initializer of {@link ExecutionResult} (the JDK's "shared
 * secrets" pattern). One method per type, with the parameters of its constructor: {@code
 * ApiValues.get().effect(...)}.
 */
public abstract class ApiValues {
    private static volatile ApiValues implementation;

    protected ApiValues() {}

    /**
     * Installs the implementation. Write-once: a second call fails, so nothing can replace the
     * implementation after the first value was built.
     */
    protected static synchronized void register(ApiValues values) {
        if (implementation != null) {
            throw new IllegalStateException("ApiValues is already registered");
        }
        implementation = values;
    }

    public abstract ExecutionResult executionResult(
            byte[] stdout,
            byte[] stderr,
            JsonNode result,
            Duration duration,
            ExecutionStats stats,
            int exitCode,
            boolean exited,
            List<Effect> effects);

    public abstract ExecutionStats executionStats(
            long fuelConsumed, long peakMemoryBytes, int callbackInvocations);

    public abstract Effect effect(
            Effect.Kind kind,
            String target,
            long bytes,
            Duration duration,
            Effect.Outcome outcome,
            String error,
            String destination);

    /** A NETWORK_CONNECT entry: bytes are {@code sent + received}. */
    public abstract Effect connectionEffect(
            String target,
            Duration duration,
            Effect.Outcome outcome,
            String error,
            String host,
            int port,
            String address,
            boolean tls,
            long sent,
            long received);

    public abstract TraceEvent traceEvent(
            TraceEvent.Kind kind,
            String file,
            int line,
            String function,
            Duration duration,
            String detail);

    public abstract PendingChange pendingChange(
            String path,
            PendingChange.Kind kind,
            boolean directory,
            long size,
            String sha256,
            String diff,
            String modeChange);

    /** The implementation, registered by {@code dev.eryx} when its value types load. */
    public static ApiValues get() {
        ApiValues values = implementation;
        if (values == null) {
            // Nothing has initialized ExecutionResult yet (an effect can be built first):
            // initializing it runs the registration.
            try {
                MethodHandles.lookup().ensureInitialized(ExecutionResult.class);
            } catch (IllegalAccessException e) {
                throw new AssertionError("dev.eryx is in this module", e);
            }
            values = implementation;
            if (values == null) {
                throw new IllegalStateException("dev.eryx did not register ApiValues");
            }
        }
        return values;
    }
}
