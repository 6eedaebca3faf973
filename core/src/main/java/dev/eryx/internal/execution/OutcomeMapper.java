package dev.eryx.internal.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.eryx.Effect;
import dev.eryx.EryxException;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.FuelExhaustedException;
import dev.eryx.InterpreterExitException;
import dev.eryx.MemoryLimitException;
import dev.eryx.OutputLimitException;
import dev.eryx.PythonException;
import dev.eryx.SandboxCrashedException;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.GuestTrap;
import dev.eryx.internal.net.secrets.Redactor;
import dev.eryx.internal.values.ApiValues;
import dev.eryx.internal.values.HumanDuration;
import dev.eryx.internal.wasi.WasiExitException;
import java.time.Duration;
import java.util.List;

/**
 * Turns how an execution ended into what its caller gets: the {@link ExecutionResult}, or the
 * {@link EryxException} that says why there is none (with the result so far as its partial result).
 * Decides nothing about the sandbox's state; reads the guest only for fuel and memory.
 */
final class OutcomeMapper {
    private OutcomeMapper() {}

    /** What the execution produced, whether or not it succeeded. */
    static ExecutionResult result(
            Execution execution,
            Duration duration,
            GuestInstance guest,
            int callbackInvocations,
            List<Effect> effects) {
        long fuelLimit = execution.limits.maxFuel();
        long remaining = guest.fuel();
        // A negative counter means the fuel trap fired: everything was consumed. A module that
        // never decrements the counter reports 0.
        long consumed = remaining < 0 ? fuelLimit : fuelLimit - remaining;
        ExecutionStats stats =
                ApiValues.get()
                        .executionStats(
                                Math.max(0, consumed),
                                guest.peakMemoryBytes(),
                                callbackInvocations);
        GuestOutcome outcome = execution.outcome;
        return ApiValues.get()
                .executionResult(
                        execution.stdout.finish(),
                        execution.stderr.finish(),
                        outcome == null ? null : redact(outcome.result, execution.redactor),
                        duration,
                        stats,
                        outcome == null ? 0 : outcome.exitCode,
                        outcome != null && outcome.exited,
                        effects);
    }

    /** The partial result of an execution stopped before it ran. */
    static ExecutionResult notStarted(long memoryBytes) {
        return ApiValues.get()
                .executionResult(
                        new byte[0],
                        new byte[0],
                        null,
                        Duration.ZERO,
                        ApiValues.get().executionStats(0, memoryBytes, 0),
                        0,
                        false,
                        List.of());
    }

    /**
     * An execution whose guest reported an outcome: its result, unless the outcome is an uncaught
     * exception or a stop.
     */
    static ExecutionResult reported(Execution execution, ExecutionResult result) {
        GuestOutcome outcome = execution.outcome;
        StopReason stop = execution.stopReason;
        if (stop == StopReason.OUTPUT_LIMIT || (stop != null && execution.outputIncomplete)) {
            // Output was dropped (or never reached the listeners, which were abandoned at the
            // stop), so even a successful outcome is incomplete.
            throw stopped(execution, stop, result);
        }
        if (outcome.ok) {
            return result;
        }
        if (stop != null
                && ("KeyboardInterrupt".equals(outcome.errorType)
                        || execution.networkWaitCancelled
                        || raisedWhileStopping(outcome))) {
            throw stopped(execution, stop, result);
        }
        Redactor redactor = execution.redactor;
        throw new PythonException(
                redactor.redact(outcome.errorType),
                redactor.redact(outcome.errorMessage),
                redactor.redact(outcome.traceback),
                result);
    }

    /**
     * An error raised while the stop's KeyboardInterrupt unwound (it is in the traceback's chain):
     * for example asyncio.run() failing to close a loop the interrupt left marked as running. The
     * execution ended because of the stop, so the stop is what is reported.
     */
    private static boolean raisedWhileStopping(GuestOutcome outcome) {
        return outcome.traceback != null
                && outcome.traceback.contains("\nKeyboardInterrupt")
                && outcome.traceback.contains("During handling of the above exception");
    }

    /**
     * The result with real secret values redacted in every string, field name and number (a
     * callback could have handed the guest a value, which it could return).
     */
    static JsonNode redact(JsonNode node, Redactor redactor) {
        if (node == null || redactor.isEmpty()) {
            return node;
        }
        if (node.isTextual() || node.isNumber()) {
            String text = node.asText();
            String redacted = redactor.redact(text);
            return redacted.equals(text) ? node : TextNode.valueOf(redacted);
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(redact(element, redactor)));
            return copy;
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.fields()
                    .forEachRemaining(
                            field ->
                                    copy.set(
                                            redactor.redact(field.getKey()),
                                            redact(field.getValue(), redactor)));
            return copy;
        }
        return node;
    }

    /**
     * An execution that ended without an outcome: the guest failed below Python ({@code failure}),
     * or the guest runtime returned without reporting one ({@code failure} is null).
     *
     * @param partial the result so far, or {@code null} if even that could not be collected
     */
    static EryxException failed(
            Execution execution, Throwable failure, ExecutionResult partial, GuestInstance guest) {
        if (failure == null) {
            // The runtime's traceback is in the partial result's stderr (and was streamed to the
            // stderr listener); its last line says what failed without printing it twice.
            String last = partial == null ? "" : lastLine(partial.stderr());
            return new SandboxCrashedException(
                    "the guest runtime failed without reporting an outcome"
                            + (last.isEmpty() ? "" : ": " + last),
                    partial,
                    null);
        }
        if (failure instanceof GuestTrap trap) {
            if (trap.kind() == GuestTrap.Kind.INTERRUPTED && execution.stopReason != null) {
                return stopped(execution, execution.stopReason, partial);
            }
            long fuelLimit = execution.limits.maxFuel();
            if (trap.kind() == GuestTrap.Kind.TRAP && guest.fuel() < 0) {
                return new FuelExhaustedException(fuelLimit, fuelLimit, partial);
            }
            if (trap.kind() == GuestTrap.Kind.TRAP
                    && (guest.memoryRefused()
                            || guest.memoryBytes() + (1 << 20)
                                    >= Math.min(execution.limits.maxMemoryBytes(), 4L << 30))) {
                return new MemoryLimitException(
                        "the guest ran out of memory at "
                                + guest.memoryBytes()
                                + " bytes and could not recover",
                        partial);
            }
            return new SandboxCrashedException(trap.getMessage(), partial, trap);
        }
        if (failure instanceof WasiExitException exit) {
            // os._exit() unwinds the interpreter without cleaning up, like a process exit: nothing
            // can run in this interpreter afterwards.
            return new InterpreterExitException(exit.exitCode(), partial, failure);
        }
        return new SandboxCrashedException(
                "internal failure while running the guest: " + failure, partial, failure);
    }

    private static String lastLine(String text) {
        String trimmed = text.strip();
        String last = trimmed.substring(trimmed.lastIndexOf('\n') + 1);
        return last.length() <= 500 ? last : last.substring(0, 500) + "...";
    }

    static EryxException stopped(Execution execution, StopReason reason, ExecutionResult partial) {
        switch (reason) {
            case TIMEOUT:
                return new ExecutionTimeoutException(
                        "execution exceeded "
                                + HumanDuration.of(execution.limits.executionTimeout()),
                        partial);
            case OUTPUT_LIMIT:
                return new OutputLimitException(
                        "output exceeded " + execution.limits.maxOutputBytes() + " bytes", partial);
            default:
                return new ExecutionCancelledException("execution cancelled", partial);
        }
    }
}
