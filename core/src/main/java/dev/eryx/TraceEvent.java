package dev.eryx;

import java.time.Duration;
import java.util.Objects;

/**
 * One event of a traced execution. Events of the user's code ({@link Kind#LINE}, {@link Kind#CALL},
 * {@link Kind#RETURN}, {@link Kind#EXCEPTION}) cover only code submitted to the sandbox, not the
 * standard library or eryx's own runtime. Immutable.
 */
public final class TraceEvent {
    public enum Kind {
        /** A new line of user code is about to run. */
        LINE,
        /** A function (or the submitted module, as {@code <module>}) of user code starts. */
        CALL,
        /** A function of user code returns. */
        RETURN,
        /** An exception is raised in user code. */
        EXCEPTION,
        /** A host callback was called; {@link #function()} is its name. */
        CALLBACK_START,
        /** A host callback finished; {@link #duration()} tells how long it ran. */
        CALLBACK_END
    }

    private final Kind kind;
    private final String file;
    private final int line;
    private final String function;
    private final Duration duration;
    private final String detail;

    /** Built by the internals, through {@link dev.eryx.internal.values.ApiValues}. */
    TraceEvent(
            Kind kind, String file, int line, String function, Duration duration, String detail) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.file = file;
        this.line = line;
        this.function = function;
        this.duration = duration;
        this.detail = detail;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The guest file name of user code ({@code <string>} for submitted code); {@code null} for
     * callbacks.
     */
    public String file() {
        return file;
    }

    /** The line number, or 0 when it does not apply. */
    public int line() {
        return line;
    }

    /** The qualified name of the user function, or the callback's name. */
    public String function() {
        return function;
    }

    /** For {@link Kind#CALLBACK_END}: how long the callback ran; otherwise {@code null}. */
    public Duration duration() {
        return duration;
    }

    /**
     * For {@link Kind#EXCEPTION}: the exception's type name; for {@link Kind#CALLBACK_END}: the
     * outcome ({@code OK}, {@code ERROR}, ...); otherwise {@code null}.
     */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return "TraceEvent{"
                + kind
                + (file == null ? "" : " " + file + ":" + line)
                + (function == null ? "" : " " + function)
                + (duration == null ? "" : " " + duration)
                + (detail == null ? "" : " " + detail)
                + '}';
    }
}
