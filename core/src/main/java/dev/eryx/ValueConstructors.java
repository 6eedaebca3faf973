package dev.eryx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.internal.values.ApiValues;
import java.time.Duration;
import java.util.List;

/**
 * The value types' package-private constructors, handed to the internals through {@link ApiValues}.
 * Registered once, by {@link ExecutionResult}'s static initializer.
 */
final class ValueConstructors extends ApiValues {
    private ValueConstructors() {}

    static void register() {
        ApiValues.register(new ValueConstructors());
    }

    @Override
    public ExecutionResult executionResult(
            byte[] stdout,
            byte[] stderr,
            JsonNode result,
            Duration duration,
            ExecutionStats stats,
            int exitCode,
            boolean exited,
            List<Effect> effects) {
        return new ExecutionResult(
                stdout, stderr, result, duration, stats, exitCode, exited, effects);
    }

    @Override
    public ExecutionStats executionStats(
            long fuelConsumed, long peakMemoryBytes, int callbackInvocations) {
        return new ExecutionStats(fuelConsumed, peakMemoryBytes, callbackInvocations);
    }

    @Override
    public Effect effect(
            Effect.Kind kind,
            String target,
            long bytes,
            Duration duration,
            Effect.Outcome outcome,
            String error,
            String destination) {
        return new Effect(kind, target, bytes, duration, outcome, error, destination);
    }

    @Override
    public Effect connectionEffect(
            String target,
            Duration duration,
            Effect.Outcome outcome,
            String error,
            String host,
            int port,
            String address,
            boolean tls,
            long sent,
            long received) {
        return new Effect(
                Effect.Kind.NETWORK_CONNECT,
                target,
                sent + received,
                duration,
                outcome,
                error,
                null,
                new Effect.Connection(host, port, address, tls, sent, received));
    }

    @Override
    public TraceEvent traceEvent(
            TraceEvent.Kind kind,
            String file,
            int line,
            String function,
            Duration duration,
            String detail) {
        return new TraceEvent(kind, file, line, function, duration, detail);
    }

    @Override
    public PendingChange pendingChange(
            String path,
            PendingChange.Kind kind,
            boolean directory,
            long size,
            String sha256,
            String diff,
            String modeChange) {
        return new PendingChange(path, kind, directory, size, sha256, diff, modeChange);
    }
}
