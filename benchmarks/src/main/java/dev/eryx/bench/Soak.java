package dev.eryx.bench;

import dev.eryx.Callback;
import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.pool.PoolStats;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import java.io.File;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak (issue 15, docs/security.md "Soak"): a {@link SandboxPool} of 4 under 8 client threads
 * for N minutes, serving a mix of benign requests, whose answers are known and checked, and the
 * attacks of the hardening issue. Every minute it prints the heap after a GC, live threads, open
 * file descriptors, the benign tally (ok / wrong / lost) and how each attack ended.
 *
 * <pre>
 *   java -cp &lt;benchmarks class path&gt; dev.eryx.bench.Soak [minutes] [--exclude attack,...]
 *   benchmarks/run.sh --soak [minutes]
 * </pre>
 *
 * Exits 1 if a benign answer was wrong or lost, or if growth is not flat: from the lowest sample
 * before the end to the last one (taken after the clients stopped, nothing in flight), heap after
 * GC may grow by at most 256 MiB or 50% (whichever is more), threads by 32 and descriptors by 64
 * (generous: the pool's sandboxes come and go, caches warm up). Attacks may end any way except by
 * hanging the client or hurting the JVM: some crash their sandbox, which the pool then replaces,
 * and that is counted, not failed.
 */
public final class Soak {
    private static final int POOL_SIZE = 4;
    private static final int CLIENTS = 8;

    /** Share of requests that are attacks. */
    private static final double ATTACK_SHARE = 0.3;

    private static final long MIB = 1 << 20;

    /**
     * The pool's limits: what a service would set. The timeout is generous so that benign requests
     * (and the pool's own start-up) are not lost to a loaded machine; attacks run under {@link
     * #ATTACK_LIMITS}.
     */
    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(60))
                    .maxMemoryBytes(256 * MIB)
                    .maxOutputBytes(MIB)
                    .maxVfsBytes(16 * MIB)
                    .maxCallbackInvocations(256)
                    .callbackTimeout(Duration.ofSeconds(3))
                    .build();

    /** Attacks run under a short timeout, as a service would give untrusted code. */
    private static final ResourceLimits ATTACK_LIMITS =
            LIMITS.toBuilder().executionTimeout(Duration.ofSeconds(5)).build();

    private final Map<String, Map<String, LongAdder>> attackOutcomes = new ConcurrentHashMap<>();
    private final LongAdder benignOk = new LongAdder();
    private final LongAdder benignWrong = new LongAdder();
    private final LongAdder benignLost = new LongAdder();
    private final Map<String, String> firstFailures = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Set<String> excluded;

    private Soak(Set<String> excluded) {
        this.excluded = excluded;
    }

    public static void main(String[] args) throws Exception {
        double minutes = 10;
        Set<String> excluded = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--exclude") && i + 1 < args.length) {
                excluded.addAll(Arrays.asList(args[++i].split(",")));
            } else {
                minutes = Double.parseDouble(args[i]);
            }
        }
        Set<String> unknown = new LinkedHashSet<>(excluded);
        unknown.removeAll(Attack.NAMES);
        if (!unknown.isEmpty()) {
            System.err.println("unknown attacks " + unknown + "; known: " + Attack.NAMES);
            System.exit(2);
        }
        System.exit(new Soak(excluded).run(minutes) ? 0 : 1);
    }

    private boolean run(double minutes) throws Exception {
        System.out.printf(
                "## soak: pool of %d, %d clients, %.1f min, %s %s, %d cores, attacks %s%s%n",
                POOL_SIZE,
                CLIENTS,
                minutes,
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Attack.NAMES,
                excluded.isEmpty() ? "" : " (excluded: " + excluded + ")");
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (minutes * 60e9);
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(POOL_SIZE)
                        .maxSize(POOL_SIZE)
                        .acquireTimeout(Duration.ofMinutes(2))
                        .maxTotalMemoryBytes(POOL_SIZE * LIMITS.maxMemoryBytes())
                        .resourceLimits(LIMITS)
                        .template(Soak::configure)
                        .build()) {
            samples.add(sample(0, pool));
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                long seed = 0x50A4L * 31 + c;
                Thread client = new Thread(() -> client(pool, seed), "soak-client-" + c);
                client.start();
                clients.add(client);
            }
            long nextSample = start + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                if (now >= nextSample) {
                    samples.add(sample((now - start) / 60e9, pool));
                    nextSample += TimeUnit.MINUTES.toNanos(1);
                }
                Thread.sleep(
                        Math.max(1, Math.min(end, nextSample) - System.nanoTime()) / 1_000_000 + 1);
            }
            stop.set(true);
            for (Thread client : clients) {
                client.join(TimeUnit.MINUTES.toMillis(3));
                if (client.isAlive()) {
                    System.out.println("client " + client.getName() + " is stuck:");
                    for (StackTraceElement e : client.getStackTrace()) {
                        System.out.println("    at " + e);
                    }
                    benignLost.increment(); // a hung client is a lost request
                }
            }
            samples.add(sample((System.nanoTime() - start) / 60e9, pool));
        }
        return verdict(samples);
    }

    /** Every sandbox of the pool: the callbacks the requests use, a stdin that blocks. */
    private static void configure(Sandbox.Builder builder) {
        builder.callback(
                        Callback.of(
                                "lookup",
                                "a slow host lookup: 2 * n after 20 ms",
                                args -> {
                                    sleep(20);
                                    return args.path("n").asLong() * 2;
                                }))
                .callback(
                        Callback.of(
                                "host_object",
                                "returns a host object that is not JSON (issue 15, item 9)",
                                args -> Thread.currentThread()))
                .callback(
                        Callback.of(
                                "deep_result",
                                "returns a 20,000-deep list (issue 15, item 8)",
                                args -> {
                                    List<Object> list = new ArrayList<>();
                                    for (int i = 0; i < 20_000; i++) {
                                        List<Object> outer = new ArrayList<>();
                                        outer.add(list);
                                        list = outer;
                                    }
                                    return list;
                                }))
                .stdin(new BlockingInput());
    }

    /** A stdin that never has data: a read waits (20 s at most here), as on a silent pipe. */
    private static final class BlockingInput extends InputStream {
        @Override
        public int read() {
            sleep(20_000);
            return -1;
        }
    }

    // ---------------------------------------------------------------- clients

    private void client(SandboxPool pool, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Attack> attacks = new ArrayList<>();
        for (Attack a : Attack.values()) {
            if (!excluded.contains(a.label)) {
                attacks.add(a);
            }
        }
        while (!stop.get()) {
            if (!attacks.isEmpty() && random.nextDouble() < ATTACK_SHARE) {
                Attack attack = attacks.get(random.nextInt(attacks.size()));
                record(attack.label, attack(pool, attack));
            } else {
                benign(pool, random);
            }
        }
    }

    /** A benign request: its answer is computed here too, and must match. */
    private void benign(SandboxPool pool, SplittableRandom random) {
        int kind = random.nextInt(6);
        int n = 1 + random.nextInt(2000);
        String code;
        String expected;
        switch (kind) {
            case 0 -> {
                code = "result = sum(i * i for i in range(" + n + "))";
                long sum = 0;
                for (long i = 0; i < n; i++) {
                    sum += i * i;
                }
                expected = Long.toString(sum);
            }
            case 1 -> {
                code = "print(','.join(str(i) for i in range(" + (n % 200) + ")))";
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < n % 200; i++) {
                    s.append(i == 0 ? "" : ",").append(i);
                }
                expected = "stdout:" + s + "\n";
            }
            case 2 -> {
                String text = "line " + n + "\n";
                code =
                        "import hashlib\n"
                                + "with open('/tmp/soak.txt', 'w') as f:\n"
                                + "    f.write("
                                + pyString(text)
                                + " * "
                                + n
                                + ")\n"
                                + "result = hashlib.sha256(open('/tmp/soak.txt', 'rb').read())"
                                + ".hexdigest()";
                expected = '"' + sha256(text.repeat(n)) + '"';
            }
            case 3 -> {
                code = "result = await lookup(n=" + n + ")";
                expected = Long.toString(2L * n);
            }
            case 4 -> {
                code =
                        "import json, re\n"
                                + "result = json.loads(json.dumps({'a': [1, "
                                + n
                                + "]}))['a'][1] + len(re.findall(r'\\d', '"
                                + n
                                + "'))";
                expected = Integer.toString(n + Integer.toString(n).length());
            }
            default -> {
                // No state crosses users: whatever an earlier user (or attack) left is gone.
                code =
                        "import os\n"
                                + "result = [globals().get('leak'), os.path.exists('/tmp/leak')]";
                expected = "[null,false]";
            }
        }
        String got;
        try (PooledSandbox sandbox = pool.acquire()) {
            ExecutionResult r = sandbox.execute(code);
            got = kind == 1 ? "stdout:" + r.stdout() : String.valueOf(r.result());
        } catch (RuntimeException e) {
            benignLost.increment();
            firstFailures.putIfAbsent("lost benign " + kind, e.toString());
            return;
        }
        if (got.equals(expected)) {
            benignOk.increment();
        } else {
            benignWrong.increment();
            firstFailures.putIfAbsent(
                    "wrong benign " + kind, "expected " + expected + ", got " + got);
        }
    }

    /** The attacks of issue 15 (and of the attack suite before it); each leaves a trace. */
    enum Attack {
        INFINITE_LOOP(
                "infinite-loop", "leak = 1\nopen('/tmp/leak', 'w').close()\nwhile True: pass"),
        MEMORY_BOMB(
                "memory-bomb",
                "leak = 1\nchunks = []\nwhile True:\n    chunks.append(bytearray(1 << 24))"),
        OUTPUT_FLOOD("output-flood", "leak = 1\nwhile True:\n    print('x' * 10000)"),
        DEEP_RECURSION("deep-recursion", "leak = 1\ndef f(n):\n    return f(n + 1)\nf(0)"),
        DEEP_NESTING_FREE(
                "deep-nesting-free",
                "leak = 1\nl = []\nfor _ in range(1_000_000):\n    l = [l]\ndel l\nresult = 'freed'"),
        BIG_INT_RESULT("big-int-result", "import math\nleak = 1\nresult = math.factorial(1000)"),
        NESTED_RESULT(
                "nested-result",
                "leak = 1\nr = []\nfor _ in range(1500):\n    r = [r]\nresult = r"),
        HUGE_STRING_RESULT("huge-string-result", "leak = 1\nresult = 'x' * 21_000_000"),
        HUGE_KEY_RESULT("huge-key-result", "leak = 1\nresult = {'k' * 60_000: 1}"),
        CALLBACK_FLOOD(
                "callback-flood",
                "import asyncio\nleak = 1\n"
                        + "await asyncio.gather(*[lookup(n=i) for i in range(3000)])"),
        CALLBACK_HOST_OBJECT("callback-host-object", "leak = 1\nresult = str(await host_object())"),
        CALLBACK_DEEP_RESULT("callback-deep-result", "leak = 1\nresult = len(await deep_result())"),
        BLOCKING_STDIN("blocking-stdin", "import sys\nleak = 1\nsys.stdin.read()"),
        OS_EXIT("os-exit", "import os\nleak = 1\nos._exit(3)"),
        HOSTILE_STR(
                "hostile-str",
                "leak = 1\nclass E(Exception):\n    def __str__(self):\n"
                        + "        raise KeyboardInterrupt\nraise E()"),
        HOSTILE_SYSTEM_EXIT(
                "hostile-system-exit",
                "leak = 1\nclass O:\n    def __str__(self):\n        raise ValueError('no')\n"
                        + "raise SystemExit(O())"),
        HOSTILE_RESULT(
                "hostile-result",
                "leak = 1\nclass R(dict):\n    def __iter__(self):\n"
                        + "        raise KeyboardInterrupt\n    def items(self):\n"
                        + "        raise SystemExit(1)\nresult = R(a=1)"),
        SYMLINK_LOOP_SAVE_STATE("symlink-loop-save-state", null);

        static final Set<String> NAMES = new LinkedHashSet<>();

        static {
            for (Attack a : values()) {
                NAMES.add(a.label);
            }
        }

        final String label;
        final String code;

        Attack(String label, String code) {
            this.label = label;
            this.code = code;
        }
    }

    private static String attack(SandboxPool pool, Attack attack) {
        if (attack == Attack.SYMLINK_LOOP_SAVE_STATE) {
            return symlinkLoopSaveState();
        }
        try (PooledSandbox sandbox = pool.acquire()) {
            try {
                sandbox.execute(attack.code, ATTACK_LIMITS);
                return "ok";
            } catch (RuntimeException e) {
                return outcome(e) + (sandbox.isUsable() ? "" : " (sandbox retired)");
            }
        } catch (RuntimeException e) {
            return "acquire: " + outcome(e);
        }
    }

    /**
     * saveState() of a guest with symlink loops (issue 15, item 2), on a sandbox of its own (a
     * pooled sandbox does not save state), on a thread of its own so a hang is seen, not suffered.
     */
    private static String symlinkLoopSaveState() {
        Sandbox sandbox = Sandbox.builder().resourceLimits(ATTACK_LIMITS).build();
        AtomicReference<String> outcome = new AtomicReference<>("hang (over 60 s)");
        Thread saver =
                new Thread(
                        () -> {
                            try {
                                sandbox.execute(
                                        "import os\n"
                                                + "os.symlink('/tmp', '/tmp/loop0')\n"
                                                + "os.symlink('/tmp', '/tmp/loop1')\n"
                                                + "open('/tmp/f', 'w').write('x' * 1000)");
                                byte[] state = sandbox.saveState();
                                outcome.set(state.length < 64 * MIB ? "ok" : "ok but huge");
                            } catch (RuntimeException | OutOfMemoryError e) {
                                outcome.set(outcome(e));
                            }
                        },
                        "soak-save-state");
        saver.setDaemon(true);
        saver.start();
        try {
            saver.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sandbox.close();
        return outcome.get();
    }

    private static String outcome(Throwable e) {
        return e.getClass().getSimpleName();
    }

    private void record(String attack, String outcome) {
        attackOutcomes
                .computeIfAbsent(attack, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, k -> new LongAdder())
                .increment();
    }

    // ---------------------------------------------------------------- samples and verdict

    private record Sample(
            double minute, long heapAfterGc, int threads, long descriptors, String line) {}

    private Sample sample(double minute, SandboxPool pool) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        long heap = memory.getHeapMemoryUsage().getUsed();
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        long fds = descriptors();
        PoolStats stats = pool.stats();
        String line =
                String.format(
                        "[%5.1f min] heap after GC %d MiB, threads %d, fds %d | benign ok %d"
                                + " wrong %d lost %d | pool total %d idle %d creations %d"
                                + " poisoned %d discarded %d resets %d",
                        minute,
                        heap / MIB,
                        threads,
                        fds,
                        benignOk.sum(),
                        benignWrong.sum(),
                        benignLost.sum(),
                        stats.total(),
                        stats.idle(),
                        stats.creations(),
                        stats.poisoned(),
                        stats.discarded(),
                        stats.resets());
        System.out.println(line);
        System.out.println("          attacks: " + attacksLine());
        System.out.flush();
        return new Sample(minute, heap, threads, fds, line);
    }

    private String attacksLine() {
        Map<String, Map<String, Long>> sorted = new TreeMap<>();
        attackOutcomes.forEach(
                (attack, outcomes) -> {
                    Map<String, Long> counts = new TreeMap<>();
                    outcomes.forEach((o, n) -> counts.put(o, n.sum()));
                    sorted.put(attack, counts);
                });
        return sorted.toString();
    }

    private static long descriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private boolean verdict(List<Sample> samples) {
        boolean pass = true;
        System.out.println("## verdict");
        if (benignWrong.sum() > 0 || benignLost.sum() > 0) {
            System.out.printf(
                    "FAIL: %d wrong and %d lost benign answers (of %d)%n",
                    benignWrong.sum(),
                    benignLost.sum(),
                    benignOk.sum() + benignWrong.sum() + benignLost.sum());
            pass = false;
        }
        firstFailures.forEach((what, how) -> System.out.println("  first " + what + ": " + how));
        // The last sample is taken after the clients stopped, so nothing is in flight; the baseline
        // is the lowest of the earlier ones (the start included), so that an attack's result in
        // flight during a sample does not raise it and slow growth is measured from the start.
        Sample last = samples.get(samples.size() - 1);
        List<Sample> earlier = samples.subList(0, samples.size() - 1);
        Sample base =
                new Sample(
                        earlier.get(0).minute,
                        earlier.stream().mapToLong(Sample::heapAfterGc).min().orElseThrow(),
                        earlier.stream().mapToInt(Sample::threads).min().orElseThrow(),
                        earlier.stream().mapToLong(Sample::descriptors).min().orElseThrow(),
                        "");
        long heapAllowed = Math.max(base.heapAfterGc + 256 * MIB, base.heapAfterGc * 3 / 2);
        if (last.heapAfterGc > heapAllowed) {
            System.out.printf(
                    "FAIL: heap after GC grew from %d to %d MiB (allowed %d)%n",
                    base.heapAfterGc / MIB, last.heapAfterGc / MIB, heapAllowed / MIB);
            pass = false;
        }
        if (last.threads > base.threads + 32) {
            System.out.printf(
                    "FAIL: live threads grew from %d to %d%n", base.threads, last.threads);
            pass = false;
        }
        if (base.descriptors >= 0 && last.descriptors > base.descriptors + 64) {
            System.out.printf(
                    "FAIL: open descriptors grew from %d to %d%n",
                    base.descriptors, last.descriptors);
            pass = false;
        }
        System.out.printf(
                "%s: benign ok %d wrong %d lost %d; heap after GC %d -> %d MiB, threads %d -> %d,"
                        + " fds %d -> %d (baseline: the lowest before the"
                        + " end)%n",
                pass ? "PASS" : "FAIL",
                benignOk.sum(),
                benignWrong.sum(),
                benignLost.sum(),
                base.heapAfterGc / MIB,
                last.heapAfterGc / MIB,
                base.threads,
                last.threads,
                base.descriptors,
                last.descriptors);
        System.out.println("attacks: " + attacksLine());
        return pass;
    }

    // ---------------------------------------------------------------- helpers

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
