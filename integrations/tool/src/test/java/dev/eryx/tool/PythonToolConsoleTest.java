package dev.eryx.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Effect;
import dev.eryx.OutputListener;
import dev.eryx.ResourceLimits;
import dev.eryx.Secret;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.SandboxPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the web console needs of the tool: streamed output, cancel, the session list, per-session
 * memory, the run listener (redacted) and the effects in the JSON.
 */
class PythonToolConsoleTest {
    private static final String SECRET_VALUE = "s3cr3t-value-0123456789";
    private static final String REDACTED = "[secret API_KEY]";
    private static final long POOL_MEMORY = 128L << 20;

    private static SandboxPool pool;

    @BeforeAll
    static void start() {
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(2)
                        .resourceLimits(
                                ResourceLimits.builder().maxMemoryBytes(POOL_MEMORY).build())
                        .template(
                                b ->
                                        b.secret(
                                                Secret.of("API_KEY", SECRET_VALUE)
                                                        .forHosts("api.example.com")))
                        .build();
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static PythonTool.Builder toolBuilder() {
        return PythonTool.builder().pool(pool).maxTimeout(Duration.ofSeconds(20));
    }

    /** Records what a run streamed: "O:" or "E:" before each chunk, as it arrived. */
    private static final class Recorder implements OutputListener {
        final List<String> chunks = new CopyOnWriteArrayList<>();
        final CountDownLatch started = new CountDownLatch(1);

        @Override
        public void stdout(String text) {
            chunks.add("O:" + text);
            if (text.contains("started")) {
                started.countDown();
            }
        }

        @Override
        public void stderr(String text) {
            chunks.add("E:" + text);
        }

        /** The chunks with consecutive ones of one stream merged (the split is the core's). */
        String merged() {
            StringBuilder out = new StringBuilder();
            String current = null;
            for (String chunk : chunks) {
                String stream = chunk.substring(0, 2);
                if (!stream.equals(current)) {
                    out.append('|').append(stream);
                    current = stream;
                }
                out.append(chunk.substring(2));
            }
            return out.toString();
        }
    }

    private static final String INTERLEAVED =
            "import sys\n"
                    + "print('a', flush=True)\n"
                    + "print('b', file=sys.stderr, flush=True)\n"
                    + "print('c', flush=True)\n";

    @Test
    void streamsOutputInTheOrderWrittenStatelessAndInASession() {
        try (PythonTool tool = toolBuilder().build()) {
            Recorder stateless = new Recorder();
            ToolOutput out = tool.runWithLimits(null, INTERLEAVED, null, stateless);
            assertEquals(Verdict.OK, out.verdict());
            assertEquals("|O:a\n|E:b\n|O:c\n", stateless.merged());
            assertEquals("a\nc\n", out.stdout(), "the result still holds all of stdout");
            assertEquals("b\n", out.stderr());

            Recorder created = new Recorder();
            tool.runWithLimits("stream", "x = 1\n" + INTERLEAVED, null, created);
            assertEquals("|O:a\n|E:b\n|O:c\n", created.merged());

            Recorder inSession = new Recorder();
            ToolOutput again = tool.runInSession("stream", "print(x + 1)", null, inSession);
            assertEquals("2\n", again.stdout());
            assertEquals("|O:2\n", inSession.merged());

            assertThrows(
                    NullPointerException.class, () -> tool.runWithLimits(null, "1", null, null));
            assertThrows(
                    NullPointerException.class, () -> tool.runInSession("stream", "1", null, null));
        }
    }

    @Test
    void cancelStopsTheRunningCallAndKeepsTheSession() throws Exception {
        try (PythonTool tool = toolBuilder().build()) {
            assertFalse(tool.cancel("loop"), "no such session");
            assertFalse(tool.cancel(null));
            tool.run("loop", "x = 41", null);
            assertFalse(tool.cancel("loop"), "nothing runs in it");

            Recorder streamed = new Recorder();
            CompletableFuture<ToolOutput> looping =
                    CompletableFuture.supplyAsync(
                            () ->
                                    tool.runWithLimits(
                                            "loop",
                                            "print('started', flush=True)\nwhile True: pass",
                                            null,
                                            streamed));
            assertTrue(
                    streamed.started.await(20, TimeUnit.SECONDS),
                    "the output streams while the code runs");
            SessionInfo running = info(tool, "loop");
            assertTrue(running.running());
            assertEquals(1, running.executions(), "the running call is not counted yet");

            CompletableFuture<ToolOutput> queued =
                    CompletableFuture.supplyAsync(() -> tool.run("loop", "print(x + 1)", null));
            assertTrue(tool.cancel("loop"));
            ToolOutput cancelled = looping.get(20, TimeUnit.SECONDS);
            assertEquals(Verdict.CANCELLED, cancelled.verdict(), cancelled.text());
            assertEquals("started\n", cancelled.stdout());
            assertEquals("42", queued.get(20, TimeUnit.SECONDS).text(), "queued calls still run");

            assertEquals("42", tool.run("loop", "print(x + 1)", null).text(), "still usable");
            SessionInfo after = info(tool, "loop");
            assertFalse(after.running());
            assertEquals(4, after.executions());
            assertFalse(tool.cancel("loop"));
        }
    }

    @Test
    void cancelReachesACallStillBuildingItsSessionsSandbox() throws Exception {
        try (PythonTool tool = toolBuilder().build()) {
            // The first call of a session builds its sandbox before it runs: it owns the session
            // (it shows as running) but has no execution to cancel yet. Building takes a few ms, so
            // a cancel may land after the start; a few tries make it land before.
            boolean hit = false;
            for (int attempt = 0; attempt < 10 && !hit; attempt++) {
                String id = "cold-" + attempt;
                CompletableFuture<ToolOutput> first =
                        CompletableFuture.supplyAsync(() -> tool.run(id, "print('ran')", null));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (tool.sessions().stream().noneMatch(s -> s.id().equals(id) && s.running())
                        && !first.isDone()) {
                    assertTrue(System.nanoTime() < deadline, "the call never took the session");
                    Thread.onSpinWait();
                }
                boolean cancelled = tool.cancel(id);
                ToolOutput out = first.get(20, TimeUnit.SECONDS);
                if (out.error() == null || !out.error().contains("before it started")) {
                    continue; // the cancel came once the code ran, or after it ended
                }
                hit = true;
                assertTrue(cancelled, "the call about to start is the one cancelled");
                assertEquals(Verdict.CANCELLED, out.verdict(), out.text());
                assertEquals("", out.stdout(), "the code never ran");
                SessionInfo after = info(tool, id);
                assertFalse(after.running());
                assertEquals(0, after.executions(), "nothing ran");
                assertFalse(tool.cancel(id));
                assertEquals("ran", tool.run(id, "print('ran')", null).text(), "it goes on");
            }
            assertTrue(hit, "no cancel reached a call before it started");
        }
    }

    @Test
    void sessionsListsTheLiveOnesOldestFirst() {
        try (PythonTool tool = toolBuilder().build()) {
            assertEquals(List.of(), tool.sessions());
            tool.run("first", "b = bytearray(8 << 20)", null);
            tool.createSession("second", null);
            tool.run("first", "print(len(b))", null); // most recently used, still oldest

            List<SessionInfo> sessions = tool.sessions();
            assertEquals(
                    List.of("first", "second"),
                    sessions.stream().map(SessionInfo::id).collect(Collectors.toList()));
            SessionInfo first = sessions.get(0);
            assertEquals(2, first.executions());
            assertTrue(first.memoryBytes() > 8 << 20, "the peak of its last call: " + first);
            assertFalse(first.running());
            assertFalse(first.lastUsed().isBefore(first.created()));
            SessionInfo second = sessions.get(1);
            assertEquals(0, second.executions());
            assertEquals(0, second.memoryBytes());
            assertEquals(second.created(), second.lastUsed(), "no call has ended in it");
            assertFalse(second.created().isBefore(first.created()));

            assertTrue(tool.reset("first"));
            assertEquals(
                    List.of("second"),
                    tool.sessions().stream().map(SessionInfo::id).collect(Collectors.toList()));
            tool.close();
            assertEquals(List.of(), tool.sessions());
        }
    }

    @Test
    void createSessionCutsItsMemoryToThePools() {
        try (PythonTool tool = toolBuilder().build()) {
            String grow = "b = bytearray(64 << 20)\nprint(len(b))";
            assertEquals(Verdict.OK, tool.run("plain", grow, null).verdict());

            tool.createSession("small", ResourceLimits.builder().maxMemoryBytes(48L << 20).build());
            assertEquals(Verdict.MEMORY, tool.run("small", grow, null).verdict());

            tool.createSession("capped", ResourceLimits.builder().maxMemoryBytes(1L << 32).build());
            String overPool = "b = bytearray(" + (POOL_MEMORY + (8 << 20)) + ")";
            assertEquals(
                    Verdict.MEMORY,
                    tool.run("capped", overPool, null).verdict(),
                    "a session asking for more memory than the pool's gets the pool's");

            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            tool.createSession(
                                    "tiny",
                                    ResourceLimits.builder().maxMemoryBytes(1 << 20).build()));
            assertFalse(tool.hasSession("tiny"));

            // Replacing a live session starts it afresh.
            tool.run("capped", "y = 1", null);
            tool.createSession("capped", null);
            assertEquals("NameError", tool.run("capped", "y", null).errorType());
        }
    }

    @Test
    void createSessionCountsAgainstMaxSessions() throws Exception {
        try (PythonTool tool = toolBuilder().maxSessions(1).build()) {
            tool.createSession("a", null);
            tool.createSession("b", null);
            assertFalse(tool.hasSession("a"), "the idle one was evicted");
            assertTrue(tool.hasSession("b"));

            Recorder streamed = new Recorder();
            CompletableFuture<ToolOutput> busy =
                    CompletableFuture.supplyAsync(
                            () ->
                                    tool.runWithLimits(
                                            "b",
                                            "print('started', flush=True)\nwhile True: pass",
                                            null,
                                            streamed));
            assertTrue(streamed.started.await(20, TimeUnit.SECONDS));
            assertThrows(PoolExhaustedException.class, () -> tool.createSession("c", null));
            assertFalse(tool.hasSession("c"));
            assertTrue(tool.cancel("b"));
            assertEquals(Verdict.CANCELLED, busy.get(20, TimeUnit.SECONDS).verdict());
            assertThrows(IllegalArgumentException.class, () -> tool.createSession(null, null));
        }
    }

    /** One reported run. */
    private record Report(String sessionId, String code, ToolOutput output) {}

    @Test
    void theRunListenerGetsEveryRunRedacted() {
        List<Report> reports = new CopyOnWriteArrayList<>();
        try (PythonTool tool =
                toolBuilder()
                        .runListener((id, code, out) -> reports.add(new Report(id, code, out)))
                        .build()) {
            String leak =
                    "import os, sys\n"
                            + "k = os.environ['API_KEY']\n"
                            + "literal = '"
                            + SECRET_VALUE
                            + "'\n"
                            + "print(k, literal)\n"
                            + "print(k, file=sys.stderr)\n"
                            + "result = {k: [k, 1, {'deep': k}], 'n': None}\n";
            ToolOutput own = tool.run(null, leak, null);
            assertEquals(Verdict.OK, own.verdict(), own.text());
            String placeholder = own.stderr().strip();
            assertEquals(SECRET_VALUE.length(), placeholder.length());
            // The core masks the real value in the guest's output; the placeholder is left.
            assertTrue(
                    own.stdout().startsWith(placeholder + " "), "the caller's output is its own");

            assertEquals(1, reports.size());
            Report stateless = reports.get(0);
            assertNull(stateless.sessionId());
            assertFalse(stateless.code().contains(SECRET_VALUE), stateless.code());
            assertTrue(stateless.code().contains("literal = '" + REDACTED + "'"));
            ToolOutput redacted = stateless.output();
            assertTrue(redacted.stdout().startsWith(REDACTED + " "), redacted.stdout());
            assertFalse(redacted.stdout().contains(placeholder), redacted.stdout());
            assertFalse(redacted.stdout().contains(SECRET_VALUE), redacted.stdout());
            assertEquals(REDACTED + "\n", redacted.stderr());
            assertEquals(
                    "{\""
                            + REDACTED
                            + "\":[\""
                            + REDACTED
                            + "\",1,{\"deep\":\""
                            + REDACTED
                            + "\"}],\"n\":null}",
                    redacted.result().toString());
            assertTrue(own.result().has(placeholder), "the caller's result is not touched");

            tool.run("s", "import os\nraise ValueError(os.environ['API_KEY'])", null);
            Report failed = reports.get(1);
            assertEquals("s", failed.sessionId());
            assertEquals(Verdict.PYTHON_ERROR, failed.output().verdict());
            assertTrue(failed.output().error().endsWith("ValueError: " + REDACTED));
            assertFalse(failed.output().text().contains(placeholder));

            tool.runInSession("s", "print(1)", null, new Recorder());
            tool.call("s", "{\"code\": \"print(2)\"}");
            tool.listFiles("s", "/");
            tool.reset("s");
            assertEquals(
                    List.of("print(1)", "print(2)"),
                    reports.subList(2, reports.size()).stream()
                            .map(Report::code)
                            .collect(Collectors.toList()),
                    "every run, and nothing else");
            assertEquals("2\n", reports.get(3).output().stdout());
        }
    }

    @Test
    void anOutputWithNothingToRedactReachesTheListenerAsItIs() {
        List<Report> reports = new CopyOnWriteArrayList<>();
        try (PythonTool tool =
                toolBuilder()
                        .runListener((id, code, out) -> reports.add(new Report(id, code, out)))
                        .build()) {
            // The pool's sandboxes have a secret, but this run's code and output hold none of it.
            String code = "print(1)\nresult = {'k': ['v']}";
            ToolOutput stateless = tool.run(null, code, null);
            ToolOutput inSession = tool.run("plain", code, null);
            assertSame(stateless, reports.get(0).output(), "not copied");
            assertSame(code, reports.get(0).code());
            assertSame(inSession, reports.get(1).output(), "not copied");

            ToolOutput leaking = tool.run("plain", "import os\nprint(os.environ['API_KEY'])", null);
            ToolOutput redacted = reports.get(2).output();
            assertNotSame(leaking, redacted, "a secret's placeholder: redacted, so a copy");
            assertEquals(REDACTED + "\n", redacted.stdout());
        }
    }

    @Test
    void theRunListenerIsToldOnceTheSessionIsFree() {
        AtomicBoolean listedFromListener = new AtomicBoolean();
        PythonTool[] tool = new PythonTool[1];
        tool[0] =
                toolBuilder()
                        .runListener(
                                (id, code, out) -> {
                                    // Another thread takes the session's lock: not held by now.
                                    CompletableFuture<List<String>> listing =
                                            CompletableFuture.supplyAsync(
                                                    () -> tool[0].listFiles(id, "/tmp"));
                                    try {
                                        listing.get(10, TimeUnit.SECONDS);
                                        listedFromListener.set(true);
                                    } catch (Exception e) {
                                        listing.cancel(true);
                                    }
                                })
                        .build();
        try (PythonTool t = tool[0]) {
            assertEquals("1", t.run("free", "print(1)", null).text());
            assertTrue(listedFromListener.get(), "the session was free for others");
        }
    }

    @Test
    void aThrowingRunListenerIsDropped() {
        List<String> seen = new ArrayList<>();
        try (PythonTool tool =
                toolBuilder()
                        .runListener(
                                (id, code, out) -> {
                                    seen.add(code);
                                    throw new IllegalStateException("listener bug");
                                })
                        .build()) {
            assertEquals("3", tool.run(null, "print(3)", null).text());
            assertEquals("4", tool.run("t", "print(4)", null).text());
            assertEquals(List.of("print(3)", "print(4)"), seen);
        }
        assertThrows(NullPointerException.class, () -> PythonTool.builder().runListener(null));
    }

    @Test
    void effectsAreInTheJsonNotInTheStructuredOutput() {
        try (PythonTool tool = toolBuilder().build()) {
            ToolOutput out =
                    tool.run(
                            null,
                            "import os\n"
                                    + "open('/tmp/e.txt', 'w').write('hello')\n"
                                    + "os.rename('/tmp/e.txt', '/tmp/f.txt')\n",
                            null);
            assertEquals(Verdict.OK, out.verdict(), out.text());
            Effect write =
                    out.effects().stream()
                            .filter(e -> e.kind() == Effect.Kind.FILE_WRITE)
                            .findFirst()
                            .orElseThrow();
            assertEquals("/tmp/e.txt", write.target());

            ObjectNode json = out.toJson();
            JsonNode effects = json.get("effects");
            assertEquals(out.effects().size(), effects.size());
            JsonNode written = find(effects, "file_write");
            assertEquals("/tmp/e.txt", written.get("target").asText());
            assertEquals(5, written.get("bytes").asLong());
            assertTrue(written.get("duration_ms").isIntegralNumber());
            assertEquals("ok", written.get("outcome").asText());
            assertTrue(written.get("error").isNull());
            assertTrue(written.get("destination").isNull());
            assertTrue(written.get("connection").isNull());
            assertEquals(
                    List.of(
                            "kind",
                            "target",
                            "bytes",
                            "duration_ms",
                            "outcome",
                            "error",
                            "destination",
                            "connection"),
                    fieldNames(written));
            assertEquals("/tmp/f.txt", find(effects, "file_rename").get("destination").asText());
            assertFalse(out.structured().has("effects"), "MCP's outputSchema has no effects");

            ToolOutput missing = tool.run(null, "open('/nowhere/x.txt')", null);
            JsonNode failedOpen = find(missing.toJson().get("effects"), "file_read");
            assertEquals("error", failedOpen.get("outcome").asText());
            assertEquals("ENOENT", failedOpen.get("error").asText());
        }
    }

    @Test
    void aFailedRunKeepsTheEffectsBeforeTheFailure() {
        try (PythonTool tool = toolBuilder().build()) {
            ToolOutput out = tool.run(null, "open('/tmp/g.txt', 'w').write('xy')\n1 / 0", null);
            assertEquals(Verdict.PYTHON_ERROR, out.verdict());
            JsonNode written = find(out.toJson().get("effects"), "file_write");
            assertEquals("/tmp/g.txt", written.get("target").asText());
            assertEquals(2, written.get("bytes").asLong());

            ToolOutput refused = ToolOutput.of(new IllegalStateException("no sandbox"));
            assertEquals(List.of(), refused.effects());
            assertEquals(0, refused.toJson().get("effects").size());
        }
    }

    private static JsonNode find(JsonNode effects, String kind) {
        for (JsonNode effect : effects) {
            if (effect.get("kind").asText().equals(kind)) {
                return effect;
            }
        }
        throw new AssertionError("no " + kind + " effect in " + effects);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static SessionInfo info(PythonTool tool, String id) {
        SessionInfo found =
                tool.sessions().stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
        assertNotNull(found, "no session " + id + " in " + tool.sessions());
        return found;
    }
}
