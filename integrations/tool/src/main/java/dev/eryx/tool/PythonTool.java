package dev.eryx.tool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxFiles;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The {@code run_python} tool over a {@link SandboxPool}: stateless calls borrow a pooled sandbox;
 * calls with a session id run in that session's own sandbox (built from the pool's image), which
 * keeps its variables and files across calls until it is reset, closed, evicted as least recently
 * used past {@code maxSessions}, or idle past {@code sessionIdleTimeout}.
 *
 * <pre>{@code
 * try (SandboxPool pool = SandboxPool.builder().build();
 *         PythonTool tool = PythonTool.builder().pool(pool).build()) {
 *     tool.run("chat-42", "x = 6 * 7", null);
 *     ToolOutput out = tool.run("chat-42", "print(x)", Duration.ofSeconds(5));
 *     System.out.println(out.text()); // 42
 * }
 * }</pre>
 *
 * <p>Thread-safe. Calls to one session run one at a time, in arrival order; calls to different
 * sessions run in parallel. Interrupting the thread in {@link #run} cancels the execution ({@link
 * dev.eryx.Verdict#CANCELLED}) and leaves the thread's interrupt flag set. A session whose sandbox
 * can run nothing more after a call (the interpreter crashed, or the code called {@code
 * os._exit()}) is dropped: the call's output says so, and the next call starts a new session.
 *
 * <p>What a console or dashboard over the tool needs:
 *
 * <ul>
 *   <li>streaming: {@link #runWithLimits(String, String, ResourceLimits, OutputListener)} and
 *       {@link #runInSession(String, String, ResourceLimits, OutputListener)} hand the output to a
 *       listener while the code runs;
 *   <li>{@link #cancel(String)} stops the call running in a session (verdict {@code cancelled}),
 *       leaving the session and the calls queued behind it to go on;
 *   <li>{@link #sessions()} describes the live sessions (age, calls, memory, whether one runs);
 *   <li>{@link #createSession(String, ResourceLimits)} starts a session with less memory or
 *       filesystem than the pool's;
 *   <li>a {@link Builder#runListener(RunListener) run listener} is told of every run, its code and
 *       output redacted of the sandbox's secrets;
 *   <li>{@link ToolOutput#effects()} (and {@link ToolOutput#toJson()}) carry the run's effect
 *       ledger: files, callbacks, network.
 * </ul>
 */
public final class PythonTool implements AutoCloseable {
    /** The tool's name in every framework. */
    public static final String NAME = "run_python";

    /** At most this many entries come back from {@link #listFiles}. */
    static final int MAX_LISTED_FILES = 1000;

    /**
     * The runtime's own read-only trees (the standard library, eryx's guest code and the packages,
     * all under /usr): a listing of / leaves them out, or the standard library alone would fill it
     * and hide the user's files.
     */
    private static final Set<String> RUNTIME_TREES = Set.of("usr");

    /** How deep {@link #listFiles} descends (symlinks may loop). */
    private static final int MAX_LIST_DEPTH = 32;

    /** How much longer than one call's longest timeout {@link #saveSession} waits for a session. */
    private static final Duration SAVE_WAIT_MARGIN = Duration.ofSeconds(5);

    static final String SESSION_DROPPED_NOTE =
            "[session ended: its sandbox can run nothing more; the next call starts a new session]";

    // Immutable: reads the arguments, refusing anything after the object.
    private static final ObjectReader JSON =
            new ObjectMapper()
                    .readerFor(JsonNode.class)
                    .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * The description a model reads: what runs, what comes back, that state persists. A
     * compile-time constant, so that annotations (LangChain4j's {@code @Tool}) can use it; {@link
     * #description()} returns the same.
     */
    public static final String DESCRIPTION =
            "Runs Python 3.14 code in a sandbox (CPython compiled to WebAssembly) and returns what"
                    + " it printed. The sandbox has the standard library; it has no access to the"
                    + " host's files or network unless the host granted some, and each call is"
                    + " limited in time, memory and output. The output is stdout; then a line"
                    + " [stderr] and stderr; then a line [result] and the value of a top-level"
                    + " variable named `result` as JSON, if the code set one; or (no output). When"
                    + " the code fails, the output ends with a line [error: <kind>] (python_error,"
                    + " timeout, cancelled, fuel, memory, output or crashed) and the traceback or"
                    + " message, after any output printed before the failure. Variables, imports"
                    + " and files persist from one call to the next within the conversation's"
                    + " session, so build on earlier calls instead of repeating them. Optional"
                    + " timeout_ms sets the call's time limit, capped by the host.";

    private static final String INPUT_SCHEMA =
            "{\"type\":\"object\",\"properties\":{"
                    + "\"code\":{\"type\":\"string\",\"description\":\"The Python code to run."
                    + " Print what you want to see, or set a top-level variable `result` to a"
                    + " JSON-serialisable value.\"},"
                    + "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"Time"
                    + " limit of this call in milliseconds; the host caps it.\"}},"
                    + "\"required\":[\"code\"],\"additionalProperties\":false}";

    private static final String OUTPUT_SCHEMA = outputSchemaText();

    private static final System.Logger LOG = System.getLogger("dev.eryx.tool");

    private final SandboxPool pool;
    private final boolean ownsPool;
    private final ResourceLimits poolLimits;
    private final Duration maxTimeout;
    private final ResourceLimits maxLimits; // caps fuel and output; maxTimeout caps the timeout
    private final SessionStore sessions;
    private final RunListener runListener; // null: none, and nothing is redacted
    private final ScheduledExecutorService cleaner;
    private volatile boolean closed;

    private PythonTool(Builder b) {
        this.pool = b.pool;
        this.ownsPool = b.ownsPool;
        this.poolLimits = pool.resourceLimits();
        Duration max = b.maxTimeout;
        if (max == null) {
            max = poolLimits.executionTimeout();
        }
        if (max == null) {
            // The pool runs without a timeout; a model's code still gets one.
            max = ResourceLimits.defaults().executionTimeout();
        }
        this.maxTimeout = max;
        this.maxLimits = b.maxLimits == null ? poolLimits : b.maxLimits;
        long ttlNanos = saturatedNanos(b.sessionIdleTimeout);
        this.sessions = new SessionStore(b.maxSessions, ttlNanos, System::nanoTime);
        this.runListener = b.runListener;
        this.cleaner =
                Executors.newSingleThreadScheduledExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "eryx-tool-session-cleaner");
                            thread.setDaemon(true); // never keeps the JVM alive
                            return thread;
                        });
        // Lazy expiry on each access catches most idle sessions; this closes those of a tool that
        // is no longer called, so their memory is not held until the next call.
        long period =
                Math.max(
                        TimeUnit.MILLISECONDS.toNanos(10),
                        Math.min(ttlNanos / 2, TimeUnit.MINUTES.toNanos(1)));
        cleaner.scheduleWithFixedDelay(this::expireQuietly, period, period, TimeUnit.NANOSECONDS);
    }

    /** A duration in nanoseconds, or Long.MAX_VALUE for one too long to count them. */
    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    private void expireQuietly() {
        try {
            sessions.expireIdle();
        } catch (RuntimeException e) {
            // A sandbox that failed to close must not stop the cleaner: a task that throws is
            // never scheduled again, and later sessions must still expire.
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The description a model reads: {@link #DESCRIPTION}. */
    public static String description() {
        return DESCRIPTION;
    }

    /**
     * The input's JSON Schema (draft 2020-12) as a string: {@code code} (string, required) and
     * {@code timeout_ms} (integer, optional, at least 1).
     */
    public static String inputSchema() {
        return INPUT_SCHEMA;
    }

    /**
     * The JSON Schema (draft 2020-12) of {@link ToolOutput#structured()}: an object with {@code
     * stdout} and {@code stderr} (strings), {@code result} (any JSON value, null when there is
     * none), {@code verdict} (one of {@link Verdict#wireName()}), {@code error_type} and {@code
     * error} (strings, or null when the execution succeeded).
     */
    public static String outputSchema() {
        return OUTPUT_SCHEMA;
    }

    private static String outputSchemaText() {
        String verdicts =
                java.util.Arrays.stream(Verdict.values())
                        .map(v -> "\"" + v.wireName() + "\"")
                        .collect(Collectors.joining(","));
        return "{\"type\":\"object\",\"properties\":{"
                + "\"stdout\":{\"type\":\"string\",\"description\":\"What the code printed to"
                + " stdout.\"},"
                + "\"stderr\":{\"type\":\"string\",\"description\":\"What the code printed to"
                + " stderr.\"},"
                + "\"result\":{\"description\":\"The top-level variable `result` as JSON, or null"
                + " when the code set none.\"},"
                + "\"verdict\":{\"type\":\"string\",\"enum\":["
                + verdicts
                + "],\"description\":\"How the execution ended.\"},"
                + "\"error_type\":{\"type\":[\"string\",\"null\"],\"description\":\"The Python"
                + " exception type, or null.\"},"
                + "\"error\":{\"type\":[\"string\",\"null\"],\"description\":\"The traceback or"
                + " message of a failure, or null.\"}},"
                + "\"required\":[\"stdout\",\"stderr\",\"result\",\"verdict\",\"error_type\","
                + "\"error\"],\"additionalProperties\":false}";
    }

    /**
     * Runs {@code code}. {@code sessionId} null runs it statelessly in a pooled sandbox; otherwise
     * in that session, created on first use. {@code timeout} null means the maximum; a longer one
     * is cut to the maximum. Never throws for anything the code does: failures are verdicts. The
     * other limits are the pool's (see {@link #runWithLimits}).
     *
     * @throws IllegalArgumentException code null, or a non-positive timeout
     * @throws dev.eryx.pool.PoolExhaustedException no sandbox became free in time (stateless), or
     *     the session limit is reached and no session can be evicted
     * @throws IllegalStateException the tool is closed
     */
    public ToolOutput run(String sessionId, String code, Duration timeout) {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return runWithLimits(
                sessionId, code, poolLimits.toBuilder().executionTimeout(timeout).build());
    }

    /**
     * Runs {@code code} under per-call limits, like {@link #run(String, String, Duration)}. The
     * call's timeout, fuel and output limits are its own, each cut to the tool's maximum ({@link
     * Builder#maxTimeout}, {@link Builder#maxLimits}); a null timeout means the maximum. Memory,
     * filesystem and callback limits are the pool's whatever {@code limits} says: they are fixed
     * when a sandbox is built.
     *
     * @param limits the call's limits; null for the pool's
     * @throws IllegalArgumentException code null
     * @throws dev.eryx.pool.PoolExhaustedException no sandbox became free in time (stateless), or
     *     the session limit is reached and no session can be evicted
     * @throws IllegalStateException the tool is closed
     */
    public ToolOutput runWithLimits(String sessionId, String code, ResourceLimits limits) {
        return runAny(sessionId, code, limits, null);
    }

    /** {@link #runWithLimits}, streaming to {@code output} unless it is null. */
    private ToolOutput runAny(
            String sessionId, String code, ResourceLimits limits, OutputListener output) {
        if (code == null) {
            throw new IllegalArgumentException("code is required");
        }
        ResourceLimits capped = limitsFor(limits == null ? poolLimits : limits);
        ensureOpen();
        Ran ran =
                sessionId == null
                        ? runStateless(code, capped, output)
                        : runSession(sessionId, code, capped, true, output);
        return report(sessionId, ran);
    }

    /**
     * Runs {@code code} under per-call limits (as {@link #runWithLimits}) in the session {@code
     * sessionId} only if it is live: unlike {@link #runWithLimits}, it never creates one. A call
     * that waited behind another while the session was reset, expired or evicted fails instead of
     * starting a new session, so a host that tracks its sessions (an HTTP server) never gets one it
     * does not know of. A session replaced meanwhile ({@link #restoreSession}) runs the call.
     *
     * @param limits the call's limits; null for the pool's
     * @throws IllegalArgumentException sessionId or code null
     * @throws java.util.NoSuchElementException there is no such live session, or it ended while
     *     this call waited for it
     * @throws IllegalStateException the tool is closed
     */
    public ToolOutput runInSession(String sessionId, String code, ResourceLimits limits) {
        return runInSessionAny(sessionId, code, limits, null);
    }

    /** {@link #runInSession}, streaming to {@code output} unless it is null. */
    private ToolOutput runInSessionAny(
            String sessionId, String code, ResourceLimits limits, OutputListener output) {
        if (sessionId == null) {
            throw new IllegalArgumentException("sessionId is required");
        }
        if (code == null) {
            throw new IllegalArgumentException("code is required");
        }
        ResourceLimits capped = limitsFor(limits == null ? poolLimits : limits);
        ensureOpen();
        return report(sessionId, runSession(sessionId, code, capped, false, output));
    }

    /**
     * As {@link #runWithLimits(String, String, ResourceLimits)}, streaming the output to {@code
     * output} while the code runs ({@link Sandbox#executeAsync(String, ResourceLimits,
     * OutputListener)}: on a thread of the sandbox, in the order written, all of it before this
     * returns). The returned output still holds all of stdout and stderr.
     *
     * @throws NullPointerException output null
     */
    public ToolOutput runWithLimits(
            String sessionId, String code, ResourceLimits limits, OutputListener output) {
        Objects.requireNonNull(output, "output");
        return runAny(sessionId, code, limits, output);
    }

    /**
     * As {@link #runInSession(String, String, ResourceLimits)}, streaming the output to {@code
     * output} while the code runs, as {@link #runWithLimits(String, String, ResourceLimits,
     * OutputListener)} does.
     *
     * @throws NullPointerException output null
     */
    public ToolOutput runInSession(
            String sessionId, String code, ResourceLimits limits, OutputListener output) {
        Objects.requireNonNull(output, "output");
        return runInSessionAny(sessionId, code, limits, output);
    }

    /**
     * Starts the session {@code sessionId} now (replacing a live one of that id, as {@link #reset}
     * then a first call would) with its own memory and filesystem limits, each cut to the pool's;
     * its calls then run as any session's (their timeout, fuel and output limits are each call's).
     * It counts against {@link Builder#maxSessions} as any session does. The limits hold until the
     * session ends: a session dropped after a crash comes back, on its next call, with the pool's.
     *
     * @param limits the session's limits; null for the pool's
     * @throws IllegalArgumentException sessionId null, or the memory limit is below what the
     *     interpreter needs
     * @throws dev.eryx.pool.PoolExhaustedException the session limit is reached and no session can
     *     be evicted (the sandbox just started is closed)
     * @throws dev.eryx.EryxException its sandbox could not be started
     * @throws IllegalStateException the tool is closed
     */
    public void createSession(String sessionId, ResourceLimits limits) {
        if (sessionId == null) {
            throw new IllegalArgumentException("sessionId is required");
        }
        ensureOpen();
        // The pool cuts the memory and filesystem limits to its own.
        Sandbox sandbox = limits == null ? pool.newSandbox() : pool.newSandbox(limits);
        sessions.put(sessionId, sandbox); // closes the sandbox if it throws
    }

    /**
     * Cancels the call that owns the session now, if any (its verdict is {@code cancelled}): the
     * one running its code, or the one about to start it (it has the session, and may still be
     * building its sandbox), which then ends without running its code. Calls queued behind it,
     * waiting for the session, are not affected: they still run, and a cancel while only such calls
     * wait returns false. Returns at once.
     *
     * @return whether a call was running or about to start; false for no such session
     */
    public boolean cancel(String sessionId) {
        return sessionId != null && sessions.cancel(sessionId);
    }

    /**
     * The live sessions, oldest first: a snapshot (idle ones past their timeout are closed first,
     * as {@link #sessionCount()} does). Empty once the tool is closed.
     */
    public List<SessionInfo> sessions() {
        return sessions.snapshot();
    }

    /** The pool's limits with the call's timeout, fuel and output, each cut to the maximum. */
    private ResourceLimits limitsFor(ResourceLimits requested) {
        Duration asked = requested.executionTimeout();
        Duration timeout = asked == null || asked.compareTo(maxTimeout) > 0 ? maxTimeout : asked;
        return poolLimits.toBuilder()
                .executionTimeout(timeout)
                .maxFuel(Math.min(requested.maxFuel(), maxLimits.maxFuel()))
                .maxOutputBytes(Math.min(requested.maxOutputBytes(), maxLimits.maxOutputBytes()))
                .build();
    }

    private Ran runStateless(String code, ResourceLimits limits, OutputListener output) {
        PooledSandbox sandbox;
        try {
            sandbox = pool.acquire();
        } catch (PoolExhaustedException | IllegalStateException refused) {
            throw refused;
        } catch (RuntimeException failed) {
            return new Ran(failedBeforeRunning(failed));
        }
        try (sandbox) {
            ExecutionHandle handle =
                    output == null
                            ? sandbox.executeAsync(code, limits)
                            : sandbox.executeAsync(code, limits, output);
            // Redacted by report(), once the sandbox is back in the pool: redact() only reads its
            // secrets, which are the pool's template's.
            return new Ran(await(handle), code, sandbox::redact);
        }
    }

    /**
     * @param create whether a missing session is created (else NoSuchElementException)
     */
    private Ran runSession(
            String sessionId,
            String code,
            ResourceLimits limits,
            boolean create,
            OutputListener output) {
        // A session reset or replaced while this call waited for it is a new session now: the
        // call runs there, as it would have had it arrived after the reset (when it may create).
        while (true) {
            SessionStore.Session session = sessions.checkOut(sessionId, create);
            if (session == null) {
                throw new NoSuchElementException("no session " + sessionId);
            }
            try {
                try {
                    session.lock.lockInterruptibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Ran(cancelledBeforeRunning());
                }
                boolean started = false;
                try {
                    if (sessions.isRemoved(session)) {
                        continue;
                    }
                    // This call owns the session now: cancel() reaches it from here on.
                    sessions.starting(session);
                    Sandbox sandbox = session.sandbox();
                    if (sandbox == null) {
                        try {
                            sandbox = pool.newSandbox();
                        } catch (IllegalStateException closedPool) {
                            sessions.remove(session);
                            throw closedPool;
                        } catch (RuntimeException failed) {
                            sessions.remove(session);
                            return new Ran(failedBeforeRunning(failed));
                        }
                        if (!sessions.adopt(session, sandbox)) {
                            sandbox.close();
                            continue; // closed meanwhile: the next checkOut says why
                        }
                    }
                    if (sessions.cancelRequested(session)) {
                        // Cancelled before it started: the code never runs.
                        return new Ran(cancelledBeforeStart(), code, sandbox::redact);
                    }
                    ExecutionHandle handle =
                            output == null
                                    ? sandbox.executeAsync(code, limits)
                                    : sandbox.executeAsync(code, limits, output);
                    ToolOutput out = null;
                    sessions.started(session, handle); // cancels it if a cancel just came
                    started = true;
                    try {
                        out = await(handle);
                    } finally {
                        sessions.finished(session, out == null ? 0 : out.stats().peakMemoryBytes());
                    }
                    if (!sandbox.isUsable()) {
                        sessions.remove(session);
                        out = out.withNote(SESSION_DROPPED_NOTE);
                    }
                    // Redacted for the listener by report(), once the session is free again.
                    return new Ran(out, code, sandbox::redact);
                } finally {
                    if (!started) {
                        sessions.abandoned(session);
                    }
                    session.lock.unlock();
                }
            } finally {
                sessions.checkIn(session);
            }
        }
    }

    /**
     * Waits for an execution; an interrupt of this thread cancels it, and the outcome of the
     * cancelled execution (or the one that finished first) is returned with the flag set again.
     */
    private static ToolOutput await(ExecutionHandle handle) {
        CompletableFuture<ExecutionResult> future = handle.toCompletableFuture();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return ToolOutput.of(future.get());
                } catch (InterruptedException e) {
                    interrupted = true;
                    handle.cancel(); // then wait for the execution to stop, which is prompt
                } catch (ExecutionException e) {
                    return ToolOutput.of(e.getCause());
                } catch (RuntimeException e) {
                    return ToolOutput.of(e); // CancellationException: the handle's own cancel
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A call's outcome, with what its {@link RunListener} needs: {@code code} and the sandbox's
     * {@code redact} are null when nothing ran (no sandbox to redact with).
     */
    private record Ran(ToolOutput output, String code, UnaryOperator<String> redact) {
        Ran(ToolOutput output) {
            this(output, null, null);
        }
    }

    /**
     * Tells the listener of the run, if there is one and the run reached a sandbox, with its code
     * and output redacted; returns the call's own output. Called once the call has let go of its
     * session (or pooled sandbox), so that neither the redaction nor the listener holds up the
     * calls waiting for it. An output with nothing to redact is handed over as it is.
     */
    private ToolOutput report(String sessionId, Ran ran) {
        if (runListener == null || ran.redact() == null) {
            return ran.output();
        }
        String code;
        ToolOutput redacted;
        try {
            code = ran.redact().apply(ran.code());
            redacted = ran.output().redacted(ran.redact());
        } catch (RuntimeException e) {
            // Never hand the listener text that may hold a secret.
            LOG.log(System.Logger.Level.WARNING, "could not redact a run for its listener", e);
            return ran.output();
        }
        try {
            runListener.runFinished(sessionId, code, redacted);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a run listener failed; dropped", e);
        }
        return ran.output();
    }

    private static ToolOutput cancelledBeforeRunning() {
        return ToolOutput.of(
                new ExecutionCancelledException(
                        "interrupted while waiting for the session's earlier calls to end", null));
    }

    private static ToolOutput cancelledBeforeStart() {
        return ToolOutput.of(
                new ExecutionCancelledException(
                        "cancelled before it started running; the code did not run", null));
    }

    private static ToolOutput failedBeforeRunning(RuntimeException failure) {
        if (Thread.currentThread().isInterrupted()) {
            // The pool's acquire gives up when interrupted: the caller cancelled the call.
            return ToolOutput.of(
                    new ExecutionCancelledException(
                            "interrupted while waiting for a sandbox", null));
        }
        return ToolOutput.of(failure);
    }

    /**
     * Runs a call whose arguments are the JSON the model sent ({@code {"code": ..., "timeout_ms":
     * ...}}).
     *
     * @throws IllegalArgumentException the JSON is malformed or does not match {@link
     *     #inputSchema()}; the message says what is wrong
     */
    public ToolOutput call(String sessionId, String argumentsJson) {
        if (argumentsJson == null || argumentsJson.isBlank()) {
            throw new IllegalArgumentException(
                    "arguments are missing: expected a JSON object such as {\"code\": \"print(1)\"}");
        }
        JsonNode args;
        try {
            args = JSON.readTree(argumentsJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "arguments are not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (args == null || !args.isObject()) {
            throw new IllegalArgumentException(
                    "arguments must be a JSON object such as {\"code\": \"print(1)\"}");
        }
        for (Iterator<String> names = args.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("code") && !name.equals("timeout_ms")) {
                throw new IllegalArgumentException(
                        "unknown argument \"" + name + "\": run_python takes code and timeout_ms");
            }
        }
        JsonNode code = args.get("code");
        if (code == null || code.isNull()) {
            throw new IllegalArgumentException("code is required");
        }
        if (!code.isTextual()) {
            throw new IllegalArgumentException("code must be a string");
        }
        return run(sessionId, code.textValue(), timeoutArgument(args.get("timeout_ms")));
    }

    private static Duration timeoutArgument(JsonNode timeoutMs) {
        if (timeoutMs == null || timeoutMs.isNull()) {
            return null;
        }
        BigInteger millis = null;
        if (timeoutMs.isIntegralNumber()) {
            millis = timeoutMs.bigIntegerValue();
        } else if (timeoutMs.isNumber()) {
            // JSON Schema's "integer" includes 5000.0.
            try {
                millis = timeoutMs.decimalValue().toBigIntegerExact();
            } catch (ArithmeticException fraction) {
                millis = null;
            }
        }
        if (millis == null || millis.signum() <= 0) {
            throw new IllegalArgumentException(
                    "timeout_ms must be a positive integer, was " + timeoutMs);
        }
        // Anything past a long is past the cap too.
        return Duration.ofMillis(millis.bitLength() < 63 ? millis.longValue() : Long.MAX_VALUE);
    }

    /** Forgets a session's state (its sandbox is closed); false when there was no such session. */
    public boolean reset(String sessionId) {
        return sessionId != null && sessions.remove(sessionId);
    }

    /**
     * The files under {@code directory} of a session's sandbox (or of a fresh sandbox when there is
     * no such session), as sorted guest paths; directories end with {@code /}. At most 1,000 paths
     * come back; when there are more, a last entry says {@code (truncated: ...)}.
     *
     * <p>Listing {@code /} leaves out the runtime's own read-only tree, {@code /usr} (the standard
     * library, eryx's guest code and the packages): ask for {@code /usr} or a directory below it to
     * see it.
     *
     * @param directory a guest directory; null or empty means {@code /}
     * @throws java.io.UncheckedIOException the directory does not exist or is not one (the message
     *     has the guest path)
     * @throws IllegalStateException the tool is closed
     */
    public List<String> listFiles(String sessionId, String directory) {
        String root = directory == null || directory.isEmpty() ? "/" : directory;
        ensureOpen();
        if (sessionId != null) {
            SessionStore.Session session = sessions.checkOut(sessionId, false);
            if (session != null) {
                try {
                    session.lock.lock();
                    try {
                        Sandbox sandbox = session.sandbox();
                        if (sandbox != null && !sessions.isRemoved(session)) {
                            return list(sandbox.files(), root);
                        }
                    } finally {
                        session.lock.unlock();
                    }
                } finally {
                    sessions.checkIn(session);
                }
            }
        }
        try (PooledSandbox fresh = pool.acquire()) {
            return list(fresh.files(), root);
        }
    }

    private static List<String> list(SandboxFiles files, String root) {
        String base = root.endsWith("/") ? root : root + "/";
        List<String> paths = new ArrayList<>();
        files.list(root); // fails, with the path, when root is no directory
        Set<String> skipped = base.equals("/") ? RUNTIME_TREES : Set.of();
        boolean truncated = walk(files, base, 0, skipped, paths);
        Collections.sort(paths);
        if (truncated) {
            paths.add("(truncated: more than " + MAX_LISTED_FILES + " entries)");
        }
        return paths;
    }

    /** Adds the entries below {@code dir} (ending with /); true when it stopped at the bound. */
    private static boolean walk(
            SandboxFiles files, String dir, int depth, Set<String> skipped, List<String> paths) {
        List<String> names;
        try {
            names = files.list(dir);
        } catch (UncheckedIOException unreadable) {
            return false;
        }
        for (String name : names) {
            if (skipped.contains(name)) {
                continue;
            }
            if (paths.size() >= MAX_LISTED_FILES) {
                return true;
            }
            String path = dir + name;
            if (isDirectory(files, path)) {
                paths.add(path + "/");
                if (depth + 1 < MAX_LIST_DEPTH
                        && walk(files, path + "/", depth + 1, Set.of(), paths)) {
                    return true;
                }
            } else {
                paths.add(path);
            }
        }
        return false;
    }

    private static boolean isDirectory(SandboxFiles files, String path) {
        try {
            files.list(path);
            return true;
        } catch (UncheckedIOException notADirectory) {
            return false;
        }
    }

    /**
     * The session's saved state ({@link dev.eryx.Sandbox#saveState()}), signed by the pool's key.
     *
     * @throws IllegalArgumentException there is no such session
     *     <p>Waits for the session's running and queued calls to end, but at most the longest
     *     timeout of a call ({@link #maxTimeout()}) plus five seconds.
     * @throws IllegalStateException the tool is closed, the session's sandbox can no longer save
     *     (it crashed), the session stayed busy past that bound, or the thread was interrupted
     *     while waiting (its interrupt flag is set again)
     */
    public byte[] saveSession(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        ensureOpen();
        SessionStore.Session session = sessions.checkOut(sessionId, false);
        if (session == null) {
            throw new IllegalArgumentException("no session " + sessionId);
        }
        try {
            // Bounded and interruptible: a session kept busy by queued calls must not pin the
            // caller's thread (an HTTP server's) indefinitely.
            Duration bound = maxTimeout.plus(SAVE_WAIT_MARGIN);
            try {
                if (!session.lock.tryLock(saturatedNanos(bound), TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException(
                            "the session stayed busy for "
                                    + bound.toMillis()
                                    + " ms; save it when its calls have ended");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(
                        "interrupted while waiting for the session's calls to end", e);
            }
            try {
                if (sessions.isRemoved(session)) {
                    throw new IllegalArgumentException("no session " + sessionId);
                }
                Sandbox sandbox = session.sandbox();
                if (sandbox == null) {
                    sandbox = pool.newSandbox(); // created by a call that failed to build it
                    if (!sessions.adopt(session, sandbox)) {
                        sandbox.close();
                        throw new IllegalStateException("the tool is closed");
                    }
                }
                return sandbox.saveState();
            } finally {
                session.lock.unlock();
            }
        } finally {
            sessions.checkIn(session);
        }
    }

    /**
     * Resumes a saved session under {@code sessionId} (replacing one of that id).
     *
     * @throws IllegalArgumentException the state is not valid for this pool's image and key
     * @throws dev.eryx.pool.PoolExhaustedException the session limit is reached and no session can
     *     be evicted
     * @throws IllegalStateException the tool is closed
     */
    public void restoreSession(String sessionId, byte[] state) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(state, "state");
        ensureOpen();
        sessions.put(sessionId, pool.restore(state));
    }

    /** Whether a session of that id is live. */
    public boolean hasSession(String sessionId) {
        return sessionId != null && sessions.contains(sessionId);
    }

    /** How many sessions are live (idle ones past their timeout are not). */
    public int sessionCount() {
        return sessions.size();
    }

    /** The live sessions' ids, least recently used first, without expiring any (for tests). */
    List<String> sessionIds() {
        return sessions.idsEldestFirst();
    }

    /** The longest timeout a call may ask for. */
    public Duration maxTimeout() {
        return maxTimeout;
    }

    /**
     * Closes every session (ending any execution still running in one); the pool is closed only if
     * {@link Builder#ownsPool} said so. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cleaner.shutdownNow();
        sessions.close();
        if (ownsPool) {
            pool.close();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the tool is closed");
        }
    }

    /** Options of a {@link PythonTool}. */
    public static final class Builder {
        private SandboxPool pool;
        private boolean ownsPool;
        private Duration maxTimeout;
        private ResourceLimits maxLimits;
        private int maxSessions = 64;
        private Duration sessionIdleTimeout = Duration.ofMinutes(30);
        private RunListener runListener;

        Builder() {}

        /** The pool stateless calls borrow from and sessions take their image from (required). */
        public Builder pool(SandboxPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /** Whether {@link PythonTool#close()} also closes the pool (default false). */
        public Builder ownsPool(boolean owns) {
            this.ownsPool = owns;
            return this;
        }

        /**
         * The cap on a call's timeout (default: the pool's own timeout limit, or 30 s when the pool
         * has none).
         */
        public Builder maxTimeout(Duration max) {
            Objects.requireNonNull(max, "max");
            if (max.isNegative() || max.isZero()) {
                throw new IllegalArgumentException("maxTimeout must be positive, was " + max);
            }
            this.maxTimeout = max;
            return this;
        }

        /**
         * The most fuel and output a call of {@link PythonTool#runWithLimits} may ask for (default:
         * the pool's limits, so a call may only ask for less). Only these two are read: {@link
         * #maxTimeout} caps the timeout, and the other limits are the pool's.
         */
        public Builder maxLimits(ResourceLimits limits) {
            this.maxLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** At most this many live sessions; the least recently used is evicted (default 64). */
        public Builder maxSessions(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxSessions must be >= 1, was " + max);
            }
            this.maxSessions = max;
            return this;
        }

        /** A session idle this long is closed (default 30 minutes). */
        public Builder sessionIdleTimeout(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException(
                        "sessionIdleTimeout must be positive, was " + ttl);
            }
            this.sessionIdleTimeout = ttl;
            return this;
        }

        /**
         * Told of every run that reached a sandbox, whatever started it ({@link PythonTool#run},
         * {@link PythonTool#runWithLimits}, {@link PythonTool#runInSession}, {@link
         * PythonTool#call}, and so every framework's calls), with its code and output redacted by
         * the sandbox that ran it; see {@link RunListener}. Nothing is redacted when no listener is
         * set. Calls that failed before reaching a sandbox (none could be started, or the caller
         * was interrupted while queued) are not reported; a call {@link PythonTool#cancel
         * cancelled} just before it started is, with verdict {@code cancelled}.
         */
        public Builder runListener(RunListener listener) {
            this.runListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Builds the tool and starts its session cleaner (one daemon thread).
         *
         * @throws IllegalStateException no pool was given
         */
        public PythonTool build() {
            if (pool == null) {
                throw new IllegalStateException(
                        "a pool is required: PythonTool.builder().pool(...)");
            }
            return new PythonTool(this);
        }
    }
}
