package dev.eryx.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs CPython 3.14.7's own regression tests (from the pinned source tarball) inside the sandbox,
 * one fresh sandbox per module, and requires 0 failures and 0 errors. Skips are allowed: CPython's
 * own (no threads, no subprocesses, optional resources off, as regrtest does by default) and the
 * few in {@link ConformanceDenyList}, each with its reason; docs/conformance.md lists them.
 *
 * <p>Run alone: {@code mvn -o test -pl core -Dtest='dev.eryx.conformance.*'}.
 */
@Tag("conformance")
class CPythonConformanceTest {
    static final String TESTS_GUEST_DIR = "/usr/local/lib/python3.14-tests";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path libDir;
    private static String notCached;
    private static String runner;

    /** The modules; {@code -Deryx.conformance.modules=test_json,test_re} runs a subset. */
    static List<String> modules() {
        String only = System.getProperty("eryx.conformance.modules", "").trim();
        if (!only.isEmpty()) {
            return List.of(only.split("\\s*,\\s*"));
        }
        return List.of(
                "test_json",
                "test_re",
                "test_datetime",
                "test_decimal",
                "test_textwrap",
                "test_fractions",
                "test_base64",
                "test_heapq",
                "test_bisect",
                "test_string",
                "test_operator",
                "test_zlib",
                "test_sqlite3");
    }

    @BeforeAll
    static void fetchSources() throws IOException {
        long t0 = System.nanoTime();
        try {
            libDir = CPythonTestSources.libDir(CPythonTestSources.Settings.fromSystem());
        } catch (CPythonTestSources.NotCachedException e) {
            // Offline and nothing cached: every module is reported skipped, with this reason.
            notCached = e.getMessage();
            System.out.println("[conformance] SKIPPED: " + notCached);
            return;
        }
        System.out.printf(
                "[conformance] CPython %s Lib/test at %s (%.1f s)%n",
                CPythonTestSources.VERSION, libDir, (System.nanoTime() - t0) / 1e9);
        try (InputStream in =
                CPythonConformanceTest.class.getResourceAsStream("run_cpython_tests.py")) {
            assertNotNull(in, "run_cpython_tests.py resource");
            runner = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The first sandbox of the JVM boots CPython and images it; do that once, up front.
        long t1 = System.nanoTime();
        try (Sandbox warm = Sandbox.builder().build()) {
            warm.execute("pass");
        }
        System.out.printf("[conformance] first sandbox %.1f s%n", (System.nanoTime() - t1) / 1e9);
        precompile();
        cpuStart = processCpuNanos();
        wallStart = System.nanoTime();
    }

    /**
     * Byte-compiles the test files the modules import, once per cache (compileall skips up-to-date
     * .pyc files), in a sandbox with the test tree mounted read-write. The test runs mount it
     * read-only and cannot write __pycache__, so without this every sandbox would compile
     * test.support and the big test files from source again (seconds each under Chicory).
     */
    private static void precompile() {
        long t0 = System.nanoTime();
        StringBuilder targets = new StringBuilder("['support', '__init__.py', 'datetimetester.py'");
        for (String m : modules()) {
            targets.append(", '")
                    .append(m)
                    .append(Files.isDirectory(libDir.resolve("test").resolve(m)) ? "" : ".py")
                    .append('\'');
        }
        targets.append(']');
        String code =
                "import compileall, os, sys\n"
                        + "base = '"
                        + TESTS_GUEST_DIR
                        + "/test'\n"
                        + "ok = True\n"
                        + "for t in "
                        + targets
                        + ":\n"
                        + "    p = os.path.join(base, t)\n"
                        + "    if os.path.isdir(p):\n"
                        + "        ok &= bool(compileall.compile_dir(p, quiet=2))\n"
                        + "    elif os.path.exists(p):\n"
                        + "        ok &= bool(compileall.compile_file(p, quiet=2))\n"
                        + "result = ok\n";
        try (Sandbox s =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .maxMemoryBytes(1L << 30)
                                        .build())
                        .mount(libDir, TESTS_GUEST_DIR, false)
                        .build()) {
            ExecutionResult r = s.execute(code);
            System.out.printf(
                    "[conformance] precompile %.1f s (ok=%s)%n",
                    (System.nanoTime() - t0) / 1e9, r.result());
        }
    }

    private static long cpuStart;
    private static long wallStart;

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }

    @AfterAll
    static void summary() throws IOException {
        if (runs == null) {
            return;
        }
        StringBuilder md =
                new StringBuilder(
                        "| module | run | passed | failures | errors | skipped | guest s |\n"
                                + "|---|---:|---:|---:|---:|---:|---:|\n");
        int[] tot = new int[5];
        for (String module : modules()) {
            CompletableFuture<Outcome> f = runs.get(module);
            JsonNode r = f.isDone() && !f.isCompletedExceptionally() ? f.join().result : null;
            if (r == null || r.has("crash")) {
                md.append("| ").append(module).append(" | crashed |||||||\n");
                continue;
            }
            int run = r.get("run").asInt();
            int fl = r.get("failures").asInt();
            int er = r.get("errors").asInt();
            int sk = r.get("skipped").asInt();
            int passed = run - fl - er - sk - r.get("expected_failures").asInt();
            int[] row = {run, passed, fl, er, sk};
            for (int i = 0; i < 5; i++) {
                tot[i] += row[i];
            }
            md.append(
                    String.format(
                            "| %s | %d | %d | %d | %d | %d | %.1f |%n",
                            module, run, passed, fl, er, sk, r.get("seconds").asDouble()));
        }
        md.append(
                String.format(
                        "| **total** | %d | %d | %d | %d | %d | |%n",
                        tot[0], tot[1], tot[2], tot[3], tot[4]));
        long cpu = processCpuNanos();
        String footer =
                String.format(
                        "%nwall %.1f s, JVM process CPU %.1f s (after the first boot and precompile)%n",
                        (System.nanoTime() - wallStart) / 1e9,
                        cpu < 0 ? -1 : (cpu - cpuStart) / 1e9);
        System.out.println("[conformance] summary\n" + md + footer);
        Path out = Path.of("target", "conformance");
        Files.createDirectories(out);
        StringBuilder skips =
                new StringBuilder("\n| module | skipped | reason |\n|---|---:|---|\n");
        for (String module : modules()) {
            CompletableFuture<Outcome> f = runs.get(module);
            JsonNode r = f.isDone() && !f.isCompletedExceptionally() ? f.join().result : null;
            if (r == null || !r.has("skip_reasons")) {
                continue;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = r.get("skip_reasons").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                skips.append("| ")
                        .append(module)
                        .append(" | ")
                        .append(e.getValue().size())
                        .append(" | ")
                        .append(oneLine(e.getKey()).replace("|", "\\|"))
                        .append(" |\n");
            }
        }
        Files.writeString(out.resolve("summary.md"), md + footer + skips);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modules")
    void passes(String module) throws Exception {
        assumeTrue(notCached == null, notCached);
        Outcome o = start().get(module).get();
        JsonNode res = o.result;
        assertNotNull(res, () -> module + ": no result; stderr:\n" + tail(o.stderr));
        if (res.has("crash")) {
            fail(
                    module
                            + ": runner crashed:\n"
                            + res.get("crash").asText()
                            + "\nstderr:\n"
                            + tail(o.stderr));
        }
        StringBuilder details = new StringBuilder();
        for (String kind : List.of("failure_details", "error_details")) {
            for (JsonNode d : res.get(kind)) {
                details.append("--- ")
                        .append(kind)
                        .append(": ")
                        .append(d.get("id").asText())
                        .append('\n')
                        .append(d.get("trace").asText())
                        .append('\n');
            }
        }
        assertEquals(0, res.get("failures").asInt(), () -> module + " failures:\n" + details);
        assertEquals(0, res.get("errors").asInt(), () -> module + " errors:\n" + details);
        assertEquals(
                0,
                res.get("unexpected_successes").asInt(),
                () -> module + " unexpected successes: " + res.get("unexpected_success_ids"));
        assertTrue(res.get("run").asInt() > 0, module + " ran no test");
        assertEquals(
                0,
                res.get("unused_deny").size(),
                () -> module + ": deny-list entries that match no test: " + res.get("unused_deny"));
    }

    private record Outcome(JsonNode result, String stderr) {}

    private static Map<String, CompletableFuture<Outcome>> runs;

    /**
     * Starts every selected module at once on a small pool (modules are independent sandboxes, each
     * single-threaded), longest first; the parameterized tests then wait for their own module.
     */
    private static synchronized Map<String, CompletableFuture<Outcome>> start() {
        if (runs != null) {
            return runs;
        }
        int threads =
                Integer.getInteger(
                        "eryx.conformance.threads",
                        Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
        ExecutorService pool =
                Executors.newFixedThreadPool(
                        threads,
                        r -> {
                            Thread t = new Thread(r, "conformance");
                            t.setDaemon(true);
                            return t;
                        });
        List<String> order = new ArrayList<>(modules());
        order.sort(Comparator.comparingInt(m -> -EXPECTED_COST.getOrDefault(m, 0)));
        Map<String, CompletableFuture<Outcome>> m = new LinkedHashMap<>();
        for (String module : order) {
            m.put(
                    module,
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return runModule(module);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            },
                            pool));
        }
        pool.shutdown();
        System.out.printf(
                "[conformance] running %d modules on %d threads%n", order.size(), threads);
        runs = m;
        return m;
    }

    /** Rough guest seconds per module, to start the long ones first. */
    private static final Map<String, Integer> EXPECTED_COST =
            Map.of(
                    "test_decimal",
                    170,
                    "test_datetime",
                    125,
                    "test_json",
                    70,
                    "test_re",
                    85,
                    "test_heapq",
                    25,
                    "test_sqlite3",
                    25,
                    "test_zlib",
                    20);

    private static Outcome runModule(String module) throws IOException {
        ObjectNode params = JSON.createObjectNode();
        params.put("tests_dir", TESTS_GUEST_DIR);
        params.put("module", module);
        ObjectNode deny = params.putObject("deny");
        ConformanceDenyList.forModule(module).forEach(deny::put);
        params.putArray("resources");
        String code =
                "import json\nERYX_CONFORMANCE = json.loads("
                        + JSON.writeValueAsString(JSON.writeValueAsString(params))
                        + ")\n"
                        + runner;

        ResourceLimits limits =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofMinutes(10))
                        .maxMemoryBytes(1L << 30)
                        .maxOutputBytes(64L << 20)
                        .maxVfsBytes(256L << 20)
                        .build();
        long t0 = System.nanoTime();
        ExecutionResult r;
        try (Sandbox sandbox =
                Sandbox.builder()
                        .resourceLimits(limits)
                        .mount(libDir, TESTS_GUEST_DIR, true)
                        .build()) {
            r = sandbox.execute(code);
        }
        JsonNode res = r.result();
        if (res != null && !res.has("crash")) {
            record(module, res, (System.nanoTime() - t0) / 1e9);
        }
        return new Outcome(res, r.stderr());
    }

    private static synchronized void record(String module, JsonNode res, double seconds)
            throws IOException {
        int run = res.get("run").asInt();
        int skipped = res.get("skipped").asInt();
        System.out.printf(
                "[conformance] %-14s run=%d passed=%d failures=%d errors=%d skipped=%d"
                        + " xfail=%d guest=%.1fs total=%.1fs%n",
                module,
                run,
                run
                        - skipped
                        - res.get("failures").asInt()
                        - res.get("errors").asInt()
                        - res.get("expected_failures").asInt(),
                res.get("failures").asInt(),
                res.get("errors").asInt(),
                skipped,
                res.get("expected_failures").asInt(),
                res.get("seconds").asDouble(),
                seconds);
        StringBuilder slow = new StringBuilder();
        for (JsonNode d : res.get("slowest")) {
            if (slow.length() > 0) {
                slow.append(", ");
            }
            if (slow.length() > 300) {
                break;
            }
            slow.append(d.get(0).asText().replaceFirst("^\\S+ \\(", "("))
                    .append(' ')
                    .append(d.get(1).asText())
                    .append('s');
        }
        System.out.printf(
                "[conformance]   import+load %.1fs; slowest: %s%n",
                res.get("load_seconds").asDouble(), slow);
        for (Iterator<Map.Entry<String, JsonNode>> it = res.get("skip_reasons").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode ids = e.getValue();
            System.out.printf(
                    "[conformance]   skip x%d: %s  (e.g. %s)%n",
                    ids.size(), oneLine(e.getKey()), ids.get(0).asText());
        }
        // Machine-readable record for docs/conformance.md.
        Path out = Path.of("target", "conformance");
        Files.createDirectories(out);
        ObjectNode rec = ((ObjectNode) res.deepCopy());
        rec.remove("log_tail");
        rec.put("total_seconds", Math.round(seconds * 10) / 10.0);
        Files.writeString(
                out.resolve(module + ".json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rec),
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    }

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ');
        return t.length() > 160 ? t.substring(0, 160) + "..." : t;
    }

    private static String tail(String s) {
        return s.length() > 8000 ? s.substring(s.length() - 8000) : s;
    }
}
