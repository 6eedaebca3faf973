package dev.eryx.bench;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.eryx.EryxException;
import dev.eryx.ExecutionResult;
import dev.eryx.FuelExhaustedException;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.engine.HeapAllowance;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.engine.MemoryOptions;
import dev.eryx.internal.engine.PagedMemory;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What guest memory costs, for docs/performance.md "Guest memory" (a harness, not a test): private
 * bytes of restored sandboxes against the shared image, N live idle sandboxes on the heap, restore
 * against reset in place, the journal's cost per execution (A/B with journal copies off), pages
 * written by typical executions, the cost of a rollback after a hard stop, and growth.
 *
 * <p>Variants run interleaved round by round, so a burst of load on the shared machine hits them
 * alike; every figure is a median. {@link MemoryLayouts} compares page sizes; this harness measures
 * the default layout's costs.
 *
 * <p>usage: GuestMemoryMeasurements [rounds] [liveSandboxes] [workloads,comma,separated|-]
 * [footprints,reset,journal,growth,stops,micro,live]
 */
public final class GuestMemoryMeasurements {
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofMinutes(10))
                    .maxMemoryBytes(1L << 30)
                    .build();
    private static final MemoryOptions PAGED = MemoryOptions.defaults();

    /** Copy-on-write and epochs as usual, but no journal copies: isolates what journaling costs. */
    private static final MemoryOptions NO_JOURNAL =
            MemoryOptions.builder().maxJournalBytes(0).build();

    private static final MemoryOptions BYTE_ARRAY =
            MemoryOptions.builder().chicoryByteArray(true).build();

    /**
     * Leaves freed memory behind, so the next execution rewrites existing pages (what a journal
     * copies).
     */
    private static final String CHURN = "junk = [str(i) * 4 for i in range(400_000)]\ndel junk\n";

    /** Writes memory as fast as it can until its fuel runs out. */
    private static final String HARD_STOPPED =
            "d = {}\nfor i in range(100_000_000):\n    d[i] = str(i) * 3\n";

    private final InterpreterState image = DefaultImage.get();
    private final int rounds;

    private GuestMemoryMeasurements(int rounds) {
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int live = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Map<String, String> workloads =
                Workloads.select(
                        args.length > 2 && !args[2].equals("-")
                                ? args[2]
                                : "fib,json_roundtrip,dicts_lists,agent_step");
        List<String> sections =
                List.of(
                        args.length > 3
                                ? args[3].split(",")
                                : new String[] {
                                    "footprints",
                                    "reset",
                                    "journal",
                                    "growth",
                                    "stops",
                                    "micro",
                                    "live"
                                });
        GuestMemoryMeasurements m = new GuestMemoryMeasurements(rounds);
        System.out.printf(
                "## %s %s, max heap %d MiB, load at start %s%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20,
                loadAverage());
        System.out.printf("image: %.1f MiB of linear memory%n", mib(m.image.memoryBytes()));
        for (String section : sections) {
            switch (section) {
                case "footprints":
                    m.footprints(workloads);
                    break;
                case "reset":
                    m.restoreAgainstReset();
                    break;
                case "journal":
                    m.journalAb(workloads);
                    break;
                case "growth":
                    m.growth();
                    break;
                case "stops":
                    m.hardStops();
                    break;
                case "micro":
                    rollbackMicro();
                    break;
                case "live":
                    m.liveSandboxes(PAGED, live);
                    m.liveSandboxes(BYTE_ARRAY, live);
                    break;
                default:
                    throw new IllegalArgumentException("unknown section: " + section);
            }
        }
        System.out.println("## load at end: " + loadAverage());
        System.exit(0);
    }

    private SandboxRuntime start(MemoryOptions options) {
        return SandboxRuntime.start(
                SandboxSpec.builder().image(image).limits(LIMITS).memoryOptions(options).build());
    }

    /**
     * Private bytes of a sandbox right after restore, after print(1), and pages each workload
     * writes.
     */
    private void footprints(Map<String, String> workloads) {
        System.out.println(
                "\n### Private memory and pages written per execution (default PagedMemory)");
        try (SandboxRuntime r = start(PAGED)) {
            long[] f = r.memoryFootprint();
            System.out.printf(
                    "restored, before any execution: %.2f MiB private (page %d KiB)%n",
                    mib(f[0]), f[3] >> 10);
            r.submit("print(1)", LIMITS).get();
            f = r.memoryFootprint();
            System.out.printf(
                    "after its first print(1) (adopts the env): %.2f MiB private, %d pages written%n",
                    mib(f[0]), f[1]);
            r.submit("print(1)", LIMITS).get();
            f = r.memoryFootprint();
            System.out.printf(
                    "a second print(1): %d pages written, journal %.2f MiB; %.2f MiB private%n",
                    f[1], mib(f[2]), mib(f[0]));
        }
        System.out.println(
                "\n| workload | pages written (1st run) | journal (1st) | pages written (3rd run) | journal (3rd) "
                        + "| private after 3 runs | peak memory |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (Map.Entry<String, String> w : workloads.entrySet()) {
            try (SandboxRuntime r = start(PAGED)) {
                r.submit("pass", LIMITS).get();
                r.submit(w.getValue(), LIMITS).get();
                long[] first = r.memoryFootprint();
                r.submit(w.getValue(), LIMITS).get();
                ExecutionResult last = r.submit(w.getValue(), LIMITS).get();
                long[] third = r.memoryFootprint();
                System.out.printf(
                        "| %s | %d (%.1f MiB) | %.1f MiB | %d (%.1f MiB) | %.1f MiB | %.1f MiB | %.1f MiB |%n",
                        w.getKey(),
                        first[1],
                        mib(first[1] * first[3]),
                        mib(first[2]),
                        third[1],
                        mib(third[1] * third[3]),
                        mib(third[2]),
                        mib(third[0]),
                        mib(last.stats().peakMemoryBytes()));
            }
        }
    }

    /**
     * What the pool does with a returned sandbox (reset in place) against the alternative (close
     * it, restore a new one), each followed by the next user's first print(1).
     */
    private void restoreAgainstReset() throws Exception {
        System.out.println("\n### Restore vs reset in place");
        Map<String, List<Double>> t = new LinkedHashMap<>();
        String dirty = Workloads.source("agent_step");
        // Warm the paths first, so the JIT has seen every variant.
        for (int i = 0; i < 20; i++) {
            try (SandboxRuntime r = start(PAGED)) {
                r.submit("print(1)", LIMITS).get();
                r.reset();
                r.submit("print(1)", LIMITS).get();
            }
            start(BYTE_ARRAY).close();
        }
        for (int round = 0; round < rounds * 3; round++) {
            SandboxRuntime paged = restoreAndPrint(PAGED, t);
            SandboxRuntime bytes = restoreAndPrint(BYTE_ARRAY, t);
            long a = System.nanoTime();
            bytes.close();
            addSince(t, "close (ByteArrayMemory)", a);

            a = System.nanoTime();
            check(paged.reset(), "reset after print(1)");
            addSince(t, "reset in place after print(1)", a);
            a = System.nanoTime();
            paged.submit("print(1)", LIMITS).get();
            addSince(t, "first print(1) after reset", a);

            paged.submit(dirty, LIMITS).get();
            long[] f = paged.memoryFootprint();
            add(t, "private MiB before the reset after agent_step", f[0] / 1048576.0);
            a = System.nanoTime();
            check(paged.reset(), "reset after agent_step");
            addSince(t, "reset in place after agent_step", a);
            a = System.nanoTime();
            paged.close();
            addSince(t, "close (PagedMemory)", a);
        }
        printTable(t);
    }

    private SandboxRuntime restoreAndPrint(MemoryOptions options, Map<String, List<Double>> t) {
        long a = System.nanoTime();
        SandboxRuntime r = start(options);
        addSince(t, "restore (" + options + ")", a);
        a = System.nanoTime();
        r.submit("print(1)", LIMITS).get();
        addSince(t, "first print(1) after restore (" + options + ")", a);
        return r;
    }

    /**
     * A normal execution's cost of the journal (A/B), and of paged memory at all (against
     * Chicory's). Each sample is a batch (20 executions of a trivial statement, one of a workload)
     * per variant, the variants' order rotating every round; wall time and the process's CPU time
     * (guest thread, collector and compiler threads: the garbage of journal copies counts), which
     * the machine's load disturbs less.
     */
    private void journalAb(Map<String, String> workloads) {
        System.out.println(
                "\n### Journal on/off and ByteArrayMemory, warm sandboxes, rotating order "
                        + "(median ms per execution: wall / process CPU)");
        Map<String, MemoryOptions> variants = new LinkedHashMap<>();
        variants.put("paged, journal (default)", PAGED);
        variants.put("paged, no journal copies", NO_JOURNAL);
        variants.put("ByteArrayMemory", BYTE_ARRAY);
        List<String> names = new ArrayList<>(variants.keySet());
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put("print(1)", "print(1)");
        codes.put("x = 1", "x = 1");
        codes.put("churn (rewrites freed memory)", CHURN);
        codes.putAll(workloads);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        System.out.println(
                "\n| code | "
                        + String.join(" | ", names)
                        + " | journal ÷ no journal (wall / CPU) | journal ÷ ByteArrayMemory (wall / CPU) |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Map.Entry<String, String> code : codes.entrySet()) {
            Map<String, SandboxRuntime> sandboxes = new LinkedHashMap<>();
            variants.forEach((name, options) -> sandboxes.put(name, start(options)));
            boolean trivial = code.getValue().length() < 20;
            int batch = trivial ? 20 : 1;
            int warmup = trivial ? 300 : 3;
            int timed = trivial ? rounds * 4 : rounds;
            for (int i = 0; i < warmup; i++) {
                sandboxes.values().forEach(r -> r.submit(code.getValue(), LIMITS).get());
            }
            Map<String, List<Double>> wall = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            for (int i = 0; i < timed; i++) {
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get((i + k) % names.size());
                    SandboxRuntime r = sandboxes.get(name);
                    long c = os.getProcessCpuTime();
                    long a = System.nanoTime();
                    for (int b = 0; b < batch; b++) {
                        r.submit(code.getValue(), LIMITS).get();
                    }
                    add(wall, name, (System.nanoTime() - a) / 1e6 / batch);
                    add(cpu, name, (os.getProcessCpuTime() - c) / 1e6 / batch);
                }
            }
            sandboxes.values().forEach(SandboxRuntime::close);
            double[] w = names.stream().mapToDouble(k -> median(wall.get(k))).toArray();
            double[] c = names.stream().mapToDouble(k -> median(cpu.get(k))).toArray();
            System.out.printf(
                    "| %s | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.2f / %.2f | %.2f / %.2f |%n",
                    code.getKey(),
                    w[0],
                    c[0],
                    w[1],
                    c[1],
                    w[2],
                    c[2],
                    w[0] / w[1],
                    c[0] / c[1],
                    w[0] / w[2],
                    c[0] / c[2]);
        }
    }

    /**
     * Growing memory by 256 MiB in a fresh sandbox: new pages only, against one new array plus a
     * copy.
     */
    private void growth() {
        System.out.println(
                "\n### Growth: `b = bytearray(256 << 20)` in a fresh sandbox (median ms)");
        Map<String, List<Double>> t = new LinkedHashMap<>();
        String grow = "b = bytearray(256 << 20)";
        for (int round = 0; round < rounds + 2; round++) {
            for (MemoryOptions options : List.of(PAGED, BYTE_ARRAY)) {
                try (SandboxRuntime r = start(options)) {
                    r.submit("pass", LIMITS).get();
                    long a = System.nanoTime();
                    r.submit(grow, LIMITS).get();
                    if (round >= 2) {
                        addSince(t, options.toString(), a);
                    }
                }
            }
        }
        printTable(t);
    }

    /**
     * A hard stop (fuel exhausted mid-loop) with the journal (rolled back, the sandbox goes on) and
     * without (poisoned: the caller must restore a new one). Fuel is deterministic, so both stop at
     * the same point after the same work; the time from the stop to the caller is the partial
     * result's end (taken before the rollback) to the exception's arrival.
     */
    private void hardStops() {
        System.out.println(
                "\n### Rollback after a hard stop (fuel exhausted in a loop writing memory)");
        long fuel;
        long[] written;
        try (SandboxRuntime r = start(PAGED)) {
            r.submit(CHURN, LIMITS).get();
            ExecutionResult probe =
                    r.submit(HARD_STOPPED.replace("100_000_000", "150_000"), LIMITS).get();
            fuel = probe.stats().fuelConsumed();
            written = r.memoryFootprint();
        }
        System.out.printf(
                "calibration: the loop's first 150,000 iterations take %,d fuel; that execution wrote %d pages"
                        + " (%.1f MiB), journal %.1f MiB%n",
                fuel, written[1], mib(written[1] * written[3]), mib(written[2]));
        ResourceLimits stopAt = LIMITS.toBuilder().maxFuel(fuel).build();
        Map<String, List<Double>> t = new LinkedHashMap<>();
        SandboxRuntime journaled = start(PAGED);
        journaled.submit(CHURN, LIMITS).get();
        for (int round = 0; round < rounds + 2; round++) {
            boolean timed = round >= 2;
            // With the journal: stopped, rolled back, usable.
            long a = System.nanoTime();
            double partialMs = stopAndPartialMs(journaled, stopAt);
            double wall = ms(a);
            a = System.nanoTime();
            ExecutionResult after = journaled.submit("print('d' in globals())", LIMITS).get();
            double next = ms(a);
            check(after.stdout().equals("False\n"), "rolled back: " + after.stdout());
            if (timed) {
                add(t, "journal: stopped execution, wall", wall);
                add(t, "journal: stop → exception (includes rollback)", wall - partialMs);
                add(t, "journal: next execution on the same sandbox", next);
            }
            // Without: poisoned, so the caller restores a new sandbox (and redoes its set-up).
            SandboxRuntime poisoned = start(NO_JOURNAL);
            poisoned.submit(CHURN, LIMITS).get();
            a = System.nanoTime();
            partialMs = stopAndPartialMs(poisoned, stopAt);
            wall = ms(a);
            check(!poisoned.isUsable(), "no journal: the sandbox is poisoned");
            poisoned.close();
            a = System.nanoTime();
            SandboxRuntime replacement = start(NO_JOURNAL);
            replacement.submit("print('d' in globals())", LIMITS).get();
            next = ms(a);
            replacement.close();
            if (timed) {
                add(t, "no journal: stopped execution, wall", wall);
                add(t, "no journal: stop → exception", wall - partialMs);
                add(t, "no journal: restore a new sandbox + first execution", next);
            }
        }
        journaled.close();
        printTable(t);
    }

    private static double stopAndPartialMs(SandboxRuntime r, ResourceLimits stopAt) {
        try {
            r.submit(HARD_STOPPED, stopAt).get();
        } catch (FuelExhaustedException e) {
            return e.partialResult().duration().toNanos() / 1e6;
        } catch (EryxException e) {
            throw new IllegalStateException("expected fuel exhaustion, got " + e, e);
        }
        throw new IllegalStateException("the loop finished within its fuel");
    }

    /**
     * Rollback alone, on a bare PagedMemory: K pages written in an epoch (each page's first write
     * copies it into the journal), then put back; and the same first writes with no journal budget
     * (the slow path without the copy), which isolates the copy's cost.
     */
    private static void rollbackMicro() {
        System.out.println(
                "\n### PagedMemory alone: journaling K pages and rolling them back (median ms)");
        System.out.println(
                "\n| pages (16 KiB) | first writes, journal on | first writes, no journal copies "
                        + "| copy cost per page µs | rollback | rollback per page µs |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        for (int pages : new int[] {16, 256, 1024, 4096}) {
            List<Double> journaled = new ArrayList<>();
            List<Double> plain = new ArrayList<>();
            List<Double> rollbacks = new ArrayList<>();
            PagedMemory withJournal = bareMemory(1L << 30);
            PagedMemory withoutJournal = bareMemory(0);
            for (int round = 0; round < 60; round++) {
                withJournal.beginEpoch();
                double w = firstWrites(withJournal, pages, round);
                long a = System.nanoTime();
                check(withJournal.rollback(), "rollback");
                double rb = ms(a);
                withoutJournal.beginEpoch();
                double p = firstWrites(withoutJournal, pages, round);
                if (round >= 20) {
                    journaled.add(w);
                    plain.add(p);
                    rollbacks.add(rb);
                }
            }
            double j = median(journaled);
            double p = median(plain);
            double r = median(rollbacks);
            System.out.printf(
                    "| %d | %.3f | %.3f | %.2f | %.3f | %.3f |%n",
                    pages, j, p, (j - p) * 1000 / pages, r, r * 1000 / pages);
        }
    }

    private static PagedMemory bareMemory(long maxJournalBytes) {
        return PagedMemory.fresh(
                new MemoryLimits(1100, 1100),
                PagedMemory.DEFAULT_PAGE_SHIFT,
                HeapAllowance.defaultHeadroom(),
                maxJournalBytes);
    }

    private static double firstWrites(PagedMemory memory, int pages, int value) {
        int pageBytes = 1 << PagedMemory.DEFAULT_PAGE_SHIFT;
        long a = System.nanoTime();
        for (int p = 0; p < pages; p++) {
            memory.writeByte(p * pageBytes, (byte) value);
        }
        return ms(a);
    }

    /** Heap held by N live sandboxes restored from one image, after one print(1) each. */
    private void liveSandboxes(MemoryOptions options, int count) throws Exception {
        long before = usedAfterGc();
        List<SandboxRuntime> held = new ArrayList<>();
        long a = System.nanoTime();
        for (int i = 0; i < count; i++) {
            SandboxRuntime r = start(options);
            r.submit("print(1)", LIMITS).get();
            held.add(r);
        }
        double seconds = ms(a) / 1000;
        long after = usedAfterGc();
        long privateBytes = 0;
        for (SandboxRuntime r : held) {
            privateBytes +=
                    options.chicoryByteArray() ? image.memoryBytes() : r.memoryFootprint()[0];
        }
        System.out.printf(
                "%n%s: %d live sandboxes (one print(1) each): heap +%.1f MiB (%.2f MiB each); private guest"
                        + " pages %.1f MiB (%.2f MiB each); %d x image = %.1f MiB; created in %.1f s%n",
                options,
                count,
                mib(after - before),
                mib(after - before) / count,
                mib(privateBytes),
                mib(privateBytes) / count,
                count,
                mib(count * image.memoryBytes()),
                seconds);
        held.forEach(SandboxRuntime::close);
    }

    /** Heap in use after full collections (System.gc() is a request: a few, with pauses). */
    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            heap.gc();
            Thread.sleep(100);
        }
        return heap.getHeapMemoryUsage().getUsed();
    }

    private static void printTable(Map<String, List<Double>> t) {
        System.out.println("\n| measure | median | p10 | p90 | n |");
        System.out.println("|---|---:|---:|---:|---:|");
        t.forEach(
                (name, xs) ->
                        System.out.printf(
                                "| %s | %.3f | %.3f | %.3f | %d |%n",
                                name,
                                median(xs),
                                percentile(xs, 0.1),
                                percentile(xs, 0.9),
                                xs.size()));
    }

    private static void addSince(Map<String, List<Double>> t, String name, long startNanos) {
        t.computeIfAbsent(name, k -> new ArrayList<>()).add(ms(startNanos));
    }

    private static void add(Map<String, List<Double>> t, String name, double value) {
        t.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("unexpected: " + what);
        }
    }

    private static String loadAverage() {
        return String.format(
                "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private static double mib(double bytes) {
        return bytes / 1048576.0;
    }

    private static double median(List<Double> values) {
        return percentile(values, 0.5);
    }

    private static double percentile(List<Double> values, double q) {
        double[] xs = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(xs);
        if (q == 0.5 && xs.length % 2 == 0) {
            return (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
        }
        return xs[Math.min(xs.length - 1, (int) Math.floor(q * xs.length))];
    }
}
