package dev.eryx;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** The outcome of one {@link Sandbox#execute(String)}. Immutable. */
public final class ExecutionResult {
    private final byte[] stdoutBytes;
    private final byte[] stderrBytes;
    private final String stdout;
    private final String stderr;
    private final JsonNode result;
    private final Duration duration;
    private final ExecutionStats stats;
    private final int exitCode;
    private final boolean exited;
    private final List<Effect> effects;

    static {
        // The internals build results (and the other value types) through ApiValues; this is
        // the class its implementation is registered from, once per class loader.
        ValueConstructors.register();
    }

    /** Built by the internals, through {@link dev.eryx.internal.values.ApiValues}. */
    ExecutionResult(
            byte[] stdout,
            byte[] stderr,
            JsonNode result,
            Duration duration,
            ExecutionStats stats,
            int exitCode,
            boolean exited,
            List<Effect> effects) {
        // Owned from here on: the internals hand over arrays nobody else holds.
        this.stdoutBytes = Objects.requireNonNull(stdout, "stdout");
        this.stderrBytes = Objects.requireNonNull(stderr, "stderr");
        // Decoded once: the String forms are what most callers read.
        this.stdout = new String(stdout, StandardCharsets.UTF_8);
        this.stderr = new String(stderr, StandardCharsets.UTF_8);
        this.result = result;
        this.duration = Objects.requireNonNull(duration, "duration");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.exitCode = exitCode;
        this.exited = exited;
        this.effects = List.copyOf(Objects.requireNonNull(effects, "effects"));
    }

    /**
     * Everything the guest wrote to stdout, decoded as UTF-8; bytes that are not UTF-8 become
     * U+FFFD. {@link #stdoutBytes()} has the bytes themselves.
     */
    public String stdout() {
        return stdout;
    }

    /** Everything the guest wrote to stderr, decoded as {@link #stdout()} is. */
    public String stderr() {
        return stderr;
    }

    /**
     * Everything the guest wrote to stdout, byte for byte (binary output such as {@code
     * sys.stdout.buffer.write(gzip.compress(data))} included). A new copy on each call.
     */
    public byte[] stdoutBytes() {
        return stdoutBytes.clone();
    }

    /** Everything the guest wrote to stderr, byte for byte. A new copy on each call. */
    public byte[] stderrBytes() {
        return stderrBytes.clone();
    }

    /**
     * The top-level variable {@code result} as set by this execution (it is cleared before each
     * one), when it is JSON-serialisable; otherwise {@code null}.
     *
     * <p>Values come back up to limits of their own, past which {@code execute} throws a {@link
     * PythonException} ({@code ValueError}) naming {@code result} and the limit: ints up to the
     * guest's {@code sys.get_int_max_str_digits()} (4,300 digits by default, at most 100,000),
     * nesting up to the guest's {@code sys.getrecursionlimit()} (1,000 by default, at most 10,000),
     * strings and keys up to {@link ResourceLimits#maxOutputBytes()} characters (at least 1 MiB).
     * Jackson's own {@code toString()} refuses nodes nested deeper than 1,000 levels.
     */
    public JsonNode result() {
        return result;
    }

    public Duration duration() {
        return duration;
    }

    public ExecutionStats stats() {
        return stats;
    }

    /**
     * The status passed to {@code sys.exit()}, {@code exit()} or {@code quit()}, or 0 when the code
     * ran to its end. As CPython's exit status: an int is truncated to a C {@code int}, one too
     * large for a C {@code long long} gives -1, and a non-int status (a message) gives 1.
     */
    public int exitCode() {
        return exitCode;
    }

    /**
     * True when the code ended by raising {@code SystemExit} ({@code sys.exit()}, {@code exit()},
     * {@code quit()}), even with status 0; false when it ran to its end.
     */
    public boolean exited() {
        return exited;
    }

    /**
     * The audit ledger, recorded by the host in the order effects completed: the execution's host
     * callbacks (including refused, cancelled and timed-out ones) and what it did to the sandbox's
     * files and mounts (reads and writes aggregated per open file, deletions, renames, directory
     * changes, failures with their errno). See {@link Effect}.
     */
    public List<Effect> effects() {
        return effects;
    }

    @Override
    public String toString() {
        return "ExecutionResult{stdout="
                + abbreviate(stdout)
                + ", stderr="
                + abbreviate(stderr)
                + ", result="
                + describe(result)
                + ", duration="
                + duration
                + ", stats="
                + stats
                + ", exitCode="
                + exitCode
                + '}';
    }

    private static String describe(JsonNode value) {
        try {
            return String.valueOf(value);
        } catch (RuntimeException tooDeep) {
            // Jackson's default writer refuses nesting past 1,000 levels; the guest may go deeper.
            return "<JSON nested too deeply to print>";
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? '"' + text + '"' : '"' + text.substring(0, 77) + "...\"";
    }
}
