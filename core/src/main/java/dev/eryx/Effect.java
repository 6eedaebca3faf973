package dev.eryx;

import java.time.Duration;
import java.util.Objects;

/**
 * One entry of an execution's audit ledger ({@link ExecutionResult#effects()}). Entries are recorded
 * by the host as the effects happen, so the guest can neither forge nor suppress them. Immutable.
 */
public final class Effect {
    /** What kind of effect. */
    public enum Kind {
        FILE_READ, FILE_WRITE, FILE_DELETE, CALLBACK
    }

    /** How the effect ended. */
    public enum Outcome {
        /** It succeeded. */
        OK,
        /** It failed: the callback threw, or the operation returned an error. */
        ERROR,
        /** The guest's arguments did not match the callback's schema; the callback did not run. */
        INVALID_ARGUMENTS,
        /** It ran longer than {@link ResourceLimits#callbackTimeout()}. */
        TIMEOUT,
        /** The guest cancelled it, or the execution ended (or was stopped) before it finished. */
        CANCELLED,
        /** Refused before running: over {@link ResourceLimits#maxCallbackInvocations()}. */
        REJECTED
    }

    private final Kind kind;
    private final String target;
    private final long bytes;
    private final Duration duration;
    private final Outcome outcome;

    public Effect(Kind kind, String target, long bytes, Duration duration, Outcome outcome) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.target = Objects.requireNonNull(target, "target");
        this.bytes = bytes;
        this.duration = Objects.requireNonNull(duration, "duration");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
    }

    public Kind kind() {
        return kind;
    }

    /** The guest path of a file effect, or the callback's name. */
    public String target() {
        return target;
    }

    /** Bytes moved: for a callback, the size of its JSON arguments plus its JSON result. */
    public long bytes() {
        return bytes;
    }

    /** For a callback, from the guest's call until the host function finished (or was abandoned). */
    public Duration duration() {
        return duration;
    }

    public Outcome outcome() {
        return outcome;
    }

    @Override
    public String toString() {
        return "Effect{" + kind + ' ' + target + ", bytes=" + bytes + ", duration=" + duration + ", " + outcome + '}';
    }
}
