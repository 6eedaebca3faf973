package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.Verdict;
import dev.eryx.tool.ToolOutput;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The run log under a clock the test moves. */
class RunLogTest {
    /** 5 s into a bucket. */
    private static final Instant T0 = Instant.ofEpochMilli(1_700_000_005_000L);

    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final RunLog log = new RunLog(now::get);

    private void advance(Duration by) {
        now.set(now.get().plus(by));
    }

    private void run(Verdict verdict, long durationMs) {
        run(verdict, durationMs, "print(" + durationMs + ")");
    }

    private void run(Verdict verdict, long durationMs, String code) {
        log.record(
                verdict == Verdict.OK ? null : "s-1",
                code,
                verdict,
                durationMs,
                1000 + durationMs,
                2 << 20,
                verdict == Verdict.PYTHON_ERROR ? "ValueError" : null,
                verdict == Verdict.OK ? null : "failed: " + verdict.wireName());
    }

    private JsonNode stats() {
        ObjectNode json = Json.object();
        log.writeTo(json);
        return json;
    }

    @Test
    void countsRunsByVerdictInTenSecondBucketsOldestFirst() {
        run(Verdict.OK, 5);
        run(Verdict.OK, 6);
        run(Verdict.OK, 7);
        run(Verdict.PYTHON_ERROR, 8);
        advance(Duration.ofSeconds(10));
        run(Verdict.TIMEOUT, 9);

        JsonNode stats = stats();
        assertEquals(600, stats.get("window_seconds").asLong());
        assertEquals(10, stats.get("bucket_seconds").asLong());
        JsonNode buckets = stats.get("buckets");
        assertEquals(RunLog.BUCKETS, buckets.size());
        long current = 1_700_000_010_000L;
        assertEquals(current, buckets.get(59).get("start").asLong());
        assertEquals(current - 59 * 10_000L, buckets.get(0).get("start").asLong());
        for (int i = 1; i < buckets.size(); i++) {
            assertEquals(
                    buckets.get(i - 1).get("start").asLong() + 10_000,
                    buckets.get(i).get("start").asLong());
        }
        assertEquals(1, buckets.get(59).get("total").asLong());
        assertEquals(1, buckets.get(59).get("verdicts").get("timeout").asLong());
        assertEquals(4, buckets.get(58).get("total").asLong());
        assertEquals(3, buckets.get(58).get("verdicts").get("ok").asLong());
        assertEquals(0, buckets.get(0).get("total").asLong());
        // Every verdict, zeros too, in the buckets and the totals.
        assertEquals(Verdict.values().length, buckets.get(0).get("verdicts").size());
        JsonNode verdicts = stats.get("verdicts");
        assertEquals(3, verdicts.get("ok").asLong());
        assertEquals(1, verdicts.get("python_error").asLong());
        assertEquals(1, verdicts.get("timeout").asLong());
        assertEquals(0, verdicts.get("crashed").asLong());
        assertEquals(5, stats.get("duration_ms").get("count").asLong());
    }

    @Test
    void runsLeaveTheWindowAfterTenMinutesButTheLastOnesStay() {
        run(Verdict.OK, 50);
        run(Verdict.MEMORY, 70);
        advance(Duration.ofSeconds(590)); // their bucket is still the window's oldest
        assertEquals(2, stats().get("duration_ms").get("count").asLong());
        assertEquals(2, stats().get("slowest").size());
        advance(Duration.ofSeconds(10));

        JsonNode stats = stats();
        assertEquals(0, stats.get("duration_ms").get("count").asLong());
        assertEquals(0, stats.get("duration_ms").get("p50").asLong());
        assertEquals(0, stats.get("verdicts").get("ok").asLong());
        assertEquals(0, stats.get("slowest").size());
        assertEquals(0.0, stats.get("rate_per_second").asDouble());
        // The last runs and failures are not windowed.
        assertEquals(2, stats.get("recent").size());
        assertEquals(1, stats.get("failed").size());

        // A bucket of the ring used again starts from zero.
        run(Verdict.OK, 1);
        assertEquals(1, stats().get("buckets").get(59).get("total").asLong());
    }

    @Test
    void percentilesAreNearestRankOverTheWindow() {
        for (int ms = 100; ms >= 1; ms--) {
            run(Verdict.OK, ms);
        }
        JsonNode duration = stats().get("duration_ms");
        assertEquals(50, duration.get("p50").asLong());
        assertEquals(99, duration.get("p99").asLong());
        assertEquals(100, duration.get("count").asLong());
        assertEquals(7, RunLog.percentile(new long[] {7}, 99));
    }

    @Test
    void slowestAreTheTenSlowestOfTheWindowAcrossBuckets() {
        // Every 3 s, each faster than the one before: 300 ms down to 10 ms.
        for (int i = 0; i < 30; i++) {
            run(Verdict.OK, (30 - i) * 10);
            advance(Duration.ofSeconds(3));
        }
        JsonNode slowest = stats().get("slowest");
        assertEquals(RunLog.TOP, slowest.size());
        for (int i = 0; i < RunLog.TOP; i++) {
            assertEquals(300 - i * 10, slowest.get(i).get("duration_ms").asLong());
        }
        // The window now starts with the bucket of the 16th run (150 ms): the slower ones left
        // it, and the slowest of what is left come up.
        advance(Duration.ofSeconds(550));
        JsonNode later = stats().get("slowest");
        assertEquals(RunLog.TOP, later.size());
        assertEquals(150, later.get(0).get("duration_ms").asLong());
        assertEquals(60, later.get(9).get("duration_ms").asLong());
    }

    @Test
    void failedAndRecentAreTheLastTwentyNewestFirst() {
        for (int i = 0; i < 30; i++) {
            run(i % 2 == 0 ? Verdict.OK : Verdict.PYTHON_ERROR, i);
        }
        JsonNode stats = stats();
        JsonNode recent = stats.get("recent");
        assertEquals(RunLog.LAST, recent.size());
        assertEquals(29, recent.get(0).get("duration_ms").asLong());
        assertEquals(10, recent.get(19).get("duration_ms").asLong());
        JsonNode failed = stats.get("failed");
        assertEquals(15, failed.size());
        assertEquals(29, failed.get(0).get("duration_ms").asLong());
        assertEquals(1, failed.get(14).get("duration_ms").asLong());

        JsonNode run = failed.get(0);
        assertEquals(T0.toString(), run.get("at").asText());
        assertEquals("s-1", run.get("session").asText());
        assertEquals("python_error", run.get("verdict").asText());
        assertEquals(1029, run.get("fuel").asLong());
        assertEquals(2 << 20, run.get("memory_bytes").asLong());
        assertEquals("print(29)", run.get("code").asText());
        assertEquals("ValueError", run.get("error_type").asText());
        assertEquals("failed: python_error", run.get("error").asText());
        assertTrue(recent.get(1).get("session").isNull());
        assertTrue(recent.get(1).get("error").isNull());
    }

    @Test
    void codeAndErrorsAreCutToThreeHundredCharacters() {
        run(Verdict.OK, 1, "x".repeat(1000));
        String code = stats().get("recent").get(0).get("code").asText();
        assertEquals("x".repeat(300) + "…", code);
        assertEquals("y".repeat(300), RunLog.cut("y".repeat(300)));
        // Never half of a surrogate pair.
        String emoji = "x".repeat(299) + "\uD83D\uDE00" + "z";
        assertEquals("x".repeat(299) + "…", RunLog.cut(emoji));
        assertEquals(null, RunLog.cut(null));
    }

    @Test
    void rateIsRunsPerSecondOverTheLastMinute() {
        // 5 s into a bucket: the six latest buckets cover 55 s.
        for (int i = 0; i < 11; i++) {
            run(Verdict.OK, 1);
        }
        advance(Duration.ofSeconds(50));
        run(Verdict.OK, 1);
        assertEquals(0.218, stats().get("rate_per_second").asDouble(), 1e-9);
    }

    @Test
    void aToolOutputIsRecordedWithItsVerdictAndError() {
        log.runFinished(
                "mcp-1",
                "while True: pass",
                ToolOutput.of(new ExecutionCancelledException("stop", null)));
        JsonNode run = stats().get("failed").get(0);
        assertEquals("cancelled", run.get("verdict").asText());
        assertEquals("stop", run.get("error").asText());
        // An MCP session's transport id is never shown: a hash of it stands in.
        assertEquals(Sessions.publicId("mcp-1"), run.get("session").asText());
        assertEquals("mcp-6b86b273ff34", run.get("session").asText());
        assertEquals("while True: pass", run.get("code").asText());
    }
}
