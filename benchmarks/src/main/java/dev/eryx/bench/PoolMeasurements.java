package dev.eryx.bench;

import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import dev.eryx.pool.SandboxPool;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pool, image and saved-state latencies for docs/performance.md "Pools, images and saved state" and
 * docs/pool.md: {@code java -cp <benchmarks class path> dev.eryx.bench.PoolMeasurements [samples]
 * [bootSamples] [steadySeconds]} ({@code benchmarks/run.sh --pool} runs it on the JDKs of the run).
 *
 * <p>Cold creation (booting CPython without an image), the first sandbox of a JVM (the image
 * shipped in core's jar), a fresh sandbox from the image to its first output, pooled acquire and
 * execute, reset on release, {@code pool.execute} throughput with 1-8 client threads, and saved
 * state. Medians; first output is timed to the stdout listener's call.
 */
public final class PoolMeasurements {
    private static final String PRINT = "print(1)";

    private PoolMeasurements() {}

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int bootSamples = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int steadySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        System.out.printf(
                "## %s %s, load at start %s%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                loadAverage());

        long t0 = System.nanoTime();
        try (Sandbox first = Sandbox.builder().build()) {
            first.execute(PRINT);
        }
        System.out.printf(
                "first sandbox of the JVM to print(1) done (image from the jar, cold JVM): %.1f ms%n",
                ms(t0));

        double[] boot = new double[bootSamples];
        for (int i = 0; i < bootSamples; i++) {
            long a = System.nanoTime();
            try (SandboxRuntime booted =
                    SandboxRuntime.start(
                            SandboxSpec.builder().limits(ResourceLimits.defaults()).build())) {
                booted.submit(PRINT, ResourceLimits.defaults()).get();
            }
            boot[i] = ms(a);
        }
        stats("cold creation: boot CPython (Py_Initialize, no image) + print(1)", boot);

        // Warm the JIT on the paths measured below.
        for (int i = 0; i < 30; i++) {
            try (Sandbox s = Sandbox.builder().build()) {
                s.execute(PRINT);
            }
        }
        double[] build = new double[samples];
        double[] firstOutput = new double[samples];
        double[] restoreToOutput = new double[samples];
        double[] secondExec = new double[samples];
        double[] close = new double[samples];
        for (int i = 0; i < samples; i++) {
            AtomicLong printed = new AtomicLong();
            long a = System.nanoTime();
            Sandbox s =
                    Sandbox.builder()
                            .stdout(text -> printed.compareAndSet(0, System.nanoTime()))
                            .build();
            long b = System.nanoTime();
            s.execute(PRINT);
            long c = System.nanoTime();
            s.execute(PRINT);
            long d = System.nanoTime();
            s.close();
            long e = System.nanoTime();
            build[i] = (b - a) / 1e6;
            firstOutput[i] = (printed.get() - b) / 1e6;
            restoreToOutput[i] = (printed.get() - a) / 1e6;
            secondExec[i] = (d - c) / 1e6;
            close[i] = (e - d) / 1e6;
        }
        stats("creation from the image: Sandbox.builder().build()", build);
        stats("first output of that sandbox: execute(print(1)) to stdout", firstOutput);
        stats("fresh sandbox from the image to first output (build + print(1))", restoreToOutput);
        stats("print(1) on that live sandbox, second execution", secondExec);
        stats("close", close);

        double pooled = poolLatencies(samples);
        steadyState(steadySeconds, Math.max(samples, 500));
        System.out.printf(
                "pooled print(1) vs a fresh sandbox from the image (build + print(1)): %.1fx;"
                        + " vs cold creation (boot): %.0fx%n",
                median(restoreToOutput) / pooled, median(boot) / pooled);
        for (int threads : new int[] {1, 2, 4, 8}) {
            throughput(threads, Math.max(100, samples * 2));
        }
        savedState();
        System.out.println("## load at end: " + loadAverage());
        System.exit(0);
    }

    /**
     * @return the median of pool.execute(print(1))
     */
    private static double poolLatencies(int samples) throws Exception {
        try (SandboxPool pool = SandboxPool.builder().minIdle(2).maxSize(2).build()) {
            for (int i = 0; i < 100; i++) {
                pool.execute(PRINT);
            }
            double[] acquire = new double[samples];
            double[] acquireExec = new double[samples];
            double[] exec = new double[samples];
            double[] release = new double[samples];
            double[] poolExecute = new double[samples];
            for (int i = 0; i < samples; i++) {
                PooledPhases phases = PooledPhases.time(pool, PRINT); // reset: idle again at once
                acquire[i] = phases.acquireNanos() / 1e6;
                exec[i] = phases.executeNanos() / 1e6;
                acquireExec[i] = (phases.acquireNanos() + phases.executeNanos()) / 1e6;
                release[i] = phases.releaseNanos() / 1e6;
                long e = System.nanoTime();
                pool.execute(PRINT);
                poolExecute[i] = ms(e);
            }
            stats("pool acquire (idle sandbox ready)", acquire);
            stats("print(1) on the acquired sandbox (first execution after a reset)", exec);
            stats("pool acquire + print(1)", acquireExec);
            stats("pool release (close: reset in place)", release);
            stats("pool.execute(print(1)) (acquire, execute, reset)", poolExecute);
            System.out.println("    " + pool.stats());
            return median(poolExecute);
        }
    }

    /**
     * The pooled figures once the JIT has compiled the interpreter's hot paths: the pool serves
     * {@code print(1)} for {@code seconds} first (a service's steady state; the figures above come
     * from the first seconds of a JVM and are several times higher).
     */
    private static void steadyState(int seconds, int samples) throws Exception {
        if (seconds <= 0) {
            return;
        }
        try (SandboxPool pool = SandboxPool.builder().minIdle(2).maxSize(2).build()) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int executions = 0;
            while (System.nanoTime() - end < 0) {
                pool.execute(PRINT);
                executions++;
            }
            double[] acquireExecute = new double[samples];
            double[] withRelease = new double[samples];
            for (int i = 0; i < samples; i++) {
                PooledPhases phases = PooledPhases.time(pool, PRINT);
                acquireExecute[i] = (phases.acquireNanos() + phases.executeNanos()) / 1e6;
                withRelease[i] = acquireExecute[i] + phases.releaseNanos() / 1e6;
            }
            System.out.printf(
                    "steady state, after %d pooled executions in %d s:%n", executions, seconds);
            stats(
                    "    pool acquire + print(1) returned (the first execution after a reset; its output came earlier)",
                    acquireExecute);
            stats("    the same with the release (reset)", withRelease);
        }
    }

    private static void throughput(int threads, int requests) throws Exception {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(2)
                        .maxSize(2)
                        .acquireTimeout(Duration.ofSeconds(60))
                        .build()) {
            for (int i = 0; i < 20; i++) {
                pool.execute(PRINT);
            }
            ExecutorService clients = Executors.newFixedThreadPool(threads);
            List<Future<Double>> latencies = new ArrayList<>();
            long a = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                latencies.add(
                        clients.submit(
                                () -> {
                                    long s = System.nanoTime();
                                    ExecutionResult r = pool.execute(PRINT);
                                    if (!r.stdout().equals("1\n")) {
                                        throw new IllegalStateException(
                                                "unexpected output: " + r.stdout());
                                    }
                                    return ms(s);
                                }));
            }
            double[] each = new double[requests];
            for (int i = 0; i < requests; i++) {
                each[i] = latencies.get(i).get();
            }
            double seconds = (System.nanoTime() - a) / 1e9;
            clients.shutdown();
            Arrays.sort(each);
            System.out.printf(
                    "pool.execute(print(1)), %d client threads, maxSize 2: %.0f/s, latency p50 %.2f ms,"
                            + " p99 %.2f ms (%s)%n",
                    threads,
                    requests / seconds,
                    median(each),
                    each[(int) Math.min(each.length - 1, Math.ceil(each.length * 0.99) - 1)],
                    pool.stats());
        }
    }

    private static void savedState() {
        try (Sandbox s = Sandbox.builder().build()) {
            s.execute(
                    "import json, fractions\nx = [fractions.Fraction(i, 7) for i in range(1000)]\n"
                            + "open('/tmp/a.txt','w').write('a' * 100000)");
            int n = 10;
            double[] save = new double[n];
            double[] restore = new double[n];
            byte[] state = null;
            for (int i = 0; i < n; i++) {
                long a = System.nanoTime();
                state = s.saveState();
                save[i] = ms(a);
                long b = System.nanoTime();
                try (Sandbox r = Sandbox.builder().restoreFrom(state).build()) {
                    restore[i] = ms(b);
                }
            }
            System.out.printf(
                    "saved state: %d bytes (memory %d MiB)%n",
                    state.length, s.execute("x").stats().peakMemoryBytes() >> 20);
            stats("saveState()", save);
            stats("restoreFrom(state).build()", restore);
        }
    }

    private static double ms(long since) {
        return (System.nanoTime() - since) / 1e6;
    }

    private static double median(double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void stats(String what, double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        System.out.printf(
                "%s: median %.2f ms, p10 %.2f ms, p90 %.2f ms, min %.2f ms (n=%d)%n",
                what,
                median(s),
                s[(int) (s.length * 0.1)],
                s[Math.min(s.length - 1, (int) (s.length * 0.9))],
                s[0],
                s.length);
    }

    private static String loadAverage() {
        return String.format(
                "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
