package dev.eryx.server.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.Verdict;
import dev.eryx.tool.ToolOutput;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The recent runs of the server's tool, JSON API and MCP alike (it is the tool's {@link
 * dev.eryx.tool.RunListener}), for {@code GET /v1/stats}: counts by verdict in 60 buckets of 10 s,
 * durations for p50/p99, the slowest runs of that window, the last failed and the last runs. Every
 * part is bounded, whatever the rate of runs. The code and errors it is given are redacted already;
 * it keeps only their first {@value #TEXT_CHARS} characters. Thread-safe.
 */
final class RunLog {
    static final int BUCKETS = 60;
    static final long BUCKET_MILLIS = 10_000;
    static final int TOP = 10;
    static final int LAST = 20;

    /** The percentiles are over the latest this many runs of the window. */
    static final int SAMPLES = 4096;

    static final int TEXT_CHARS = 300;

    /** One run as the log keeps it. */
    record Run(
            Instant at,
            String session,
            Verdict verdict,
            long durationMs,
            long fuel,
            long memoryBytes,
            String code,
            String errorType,
            String error) {}

    /** The runs that ended in one 10 s span: counts by verdict and its slowest runs. */
    private static final class Bucket {
        final long start;
        final long[] counts = new long[Verdict.values().length];
        final List<Run> slowest = new ArrayList<>(TOP + 1); // slowest first

        Bucket(long start) {
            this.start = start;
        }
    }

    private static final Comparator<Run> SLOWEST_FIRST =
            Comparator.comparingLong(Run::durationMs).reversed();

    private final InstantSource clock;
    private final Bucket[] ring = new Bucket[BUCKETS]; // by (start / BUCKET_MILLIS) % BUCKETS
    private final long[] sampleAt = new long[SAMPLES]; // a ring of (end, duration) pairs
    private final long[] sampleMs = new long[SAMPLES];
    private int samples; // how many of the ring hold a run
    private int nextSample;
    private final ArrayDeque<Run> failed = new ArrayDeque<>(); // newest first
    private final ArrayDeque<Run> recent = new ArrayDeque<>(); // newest first

    RunLog(InstantSource clock) {
        this.clock = clock;
    }

    /**
     * Records a run that just ended (a {@link dev.eryx.tool.RunListener}); an MCP session is kept
     * under its {@link Sessions#publicId}.
     */
    void runFinished(String sessionId, String code, ToolOutput output) {
        record(
                Sessions.publicId(sessionId),
                code,
                output.verdict(),
                output.duration().toMillis(),
                output.stats().fuelConsumed(),
                output.stats().peakMemoryBytes(),
                output.errorType(),
                output.error());
    }

    /** Records a run that ended now. */
    void record(
            String sessionId,
            String code,
            Verdict verdict,
            long durationMs,
            long fuel,
            long memoryBytes,
            String errorType,
            String error) {
        Instant at = clock.instant();
        Run run =
                new Run(
                        at,
                        sessionId,
                        verdict,
                        durationMs,
                        fuel,
                        memoryBytes,
                        cut(code),
                        errorType,
                        cut(error));
        synchronized (this) {
            long now = at.toEpochMilli();
            Bucket bucket = bucket(Math.floorDiv(now, BUCKET_MILLIS) * BUCKET_MILLIS);
            bucket.counts[run.verdict().ordinal()]++;
            bucket.slowest.add(run);
            bucket.slowest.sort(SLOWEST_FIRST);
            if (bucket.slowest.size() > TOP) {
                bucket.slowest.remove(TOP);
            }
            sampleAt[nextSample] = now;
            sampleMs[nextSample] = run.durationMs();
            nextSample = (nextSample + 1) % SAMPLES;
            samples = Math.min(samples + 1, SAMPLES);
            keepLast(recent, run);
            if (run.verdict() != Verdict.OK) {
                keepLast(failed, run);
            }
        }
    }

    /** The bucket starting at {@code start}, emptied first when it still holds an older span. */
    private Bucket bucket(long start) {
        int i = index(start);
        if (ring[i] == null || ring[i].start != start) {
            ring[i] = new Bucket(start);
        }
        return ring[i];
    }

    private static int index(long start) {
        return (int) Math.floorMod(Math.floorDiv(start, BUCKET_MILLIS), (long) BUCKETS);
    }

    private static void keepLast(ArrayDeque<Run> runs, Run run) {
        runs.addFirst(run);
        if (runs.size() > LAST) {
            runs.removeLast();
        }
    }

    /**
     * Adds the window's fields of {@code GET /v1/stats} to {@code json}: {@code window_seconds},
     * {@code bucket_seconds}, {@code buckets}, {@code rate_per_second}, {@code duration_ms}, {@code
     * verdicts}, {@code slowest}, {@code failed}, {@code recent}. Only the copying holds the lock:
     * runs being recorded do not wait for the sorting and the JSON.
     */
    void writeTo(ObjectNode json) {
        long now = clock.millis();
        long current = Math.floorDiv(now, BUCKET_MILLIS) * BUCKET_MILLIS;
        long windowStart = current - (BUCKETS - 1) * BUCKET_MILLIS;

        long[][] window = new long[BUCKETS][]; // counts by verdict, oldest bucket first
        List<Run> slowest = new ArrayList<>();
        long[] durations;
        List<Run> lastFailed;
        List<Run> lastRecent;
        synchronized (this) {
            for (int i = 0; i < BUCKETS; i++) {
                long start = windowStart + i * BUCKET_MILLIS;
                Bucket bucket = ring[index(start)];
                if (bucket != null && bucket.start == start) {
                    window[i] = bucket.counts.clone();
                    slowest.addAll(bucket.slowest);
                } else {
                    window[i] = new long[Verdict.values().length];
                }
            }
            durations = durationsSince(windowStart);
            lastFailed = new ArrayList<>(failed);
            lastRecent = new ArrayList<>(recent);
        }

        json.put("window_seconds", BUCKETS * BUCKET_MILLIS / 1000);
        json.put("bucket_seconds", BUCKET_MILLIS / 1000);
        long[] totals = new long[Verdict.values().length];
        long lastMinute = 0; // runs in the current bucket and the five before it
        ArrayNode buckets = json.putArray("buckets");
        for (int i = 0; i < BUCKETS; i++) {
            long start = windowStart + i * BUCKET_MILLIS;
            long[] counts = window[i];
            long total = Arrays.stream(counts).sum();
            ObjectNode b = buckets.addObject();
            b.put("start", start);
            b.put("total", total);
            b.set("verdicts", verdicts(counts));
            for (int v = 0; v < counts.length; v++) {
                totals[v] += counts[v];
            }
            if (start > current - 6 * BUCKET_MILLIS) {
                lastMinute += total;
            }
        }
        // The six latest buckets span 50 to 60 s: divide by the time they really cover.
        double spanSeconds = (now - (current - 5 * BUCKET_MILLIS)) / 1000.0;
        json.put("rate_per_second", Math.round(lastMinute / spanSeconds * 1000) / 1000.0);

        Arrays.sort(durations);
        ObjectNode duration = json.putObject("duration_ms");
        duration.put("p50", percentile(durations, 50));
        duration.put("p99", percentile(durations, 99));
        duration.put("count", Arrays.stream(totals).sum());
        json.set("verdicts", verdicts(totals));

        slowest.sort(SLOWEST_FIRST);
        runs(json.putArray("slowest"), slowest.subList(0, Math.min(TOP, slowest.size())));
        runs(json.putArray("failed"), lastFailed);
        runs(json.putArray("recent"), lastRecent);
    }

    /** Guarded by this. */
    private long[] durationsSince(long windowStart) {
        long[] out = new long[samples];
        int n = 0;
        for (int i = 0; i < samples; i++) {
            if (sampleAt[i] >= windowStart) {
                out[n++] = sampleMs[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Nearest rank; 0 when there is nothing to rank. */
    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /** Every verdict by its wire name, zeros included, so a chart needs no defaults. */
    private static ObjectNode verdicts(long[] counts) {
        ObjectNode node = Json.object();
        for (Verdict v : Verdict.values()) {
            node.put(v.wireName(), counts[v.ordinal()]);
        }
        return node;
    }

    private static void runs(ArrayNode array, Iterable<Run> runs) {
        for (Run run : runs) {
            ObjectNode r = array.addObject();
            r.put("at", run.at().toString());
            r.put("session", run.session());
            r.put("verdict", run.verdict().wireName());
            r.put("duration_ms", run.durationMs());
            r.put("fuel", run.fuel());
            r.put("memory_bytes", run.memoryBytes());
            r.put("code", run.code());
            r.put("error_type", run.errorType());
            r.put("error", run.error());
        }
    }

    /** The first {@value #TEXT_CHARS} characters and "…" when there were more; null stays null. */
    static String cut(String text) {
        if (text == null || text.length() <= TEXT_CHARS) {
            return text;
        }
        int end = TEXT_CHARS;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never half a character
        }
        return text.substring(0, end) + "…";
    }
}
