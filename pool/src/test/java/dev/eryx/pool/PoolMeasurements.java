package dev.eryx.pool;

import dev.eryx.Sandbox;
import dev.eryx.SandboxImage;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Throwaway measurements for docs/pool.md (not a test): run with
 * {@code java -Xss16m -cp <test classpath> dev.eryx.pool.PoolMeasurements}.
 */
public final class PoolMeasurements {
    private static final int N = 30;

    public static void main(String[] args) throws Exception {
        boolean poolOnly = args.length > 0;
        long t0 = System.nanoTime();
        try (Sandbox first = Sandbox.builder().build()) {
            first.execute("print(1)");
        }
        report("cold: boot CPython + capture image + restore + print(1) (first sandbox in the JVM)", ms(t0));

        if (poolOnly) {
            poolPart();
            System.exit(0);
        }
        // Warm the JIT a little.
        for (int i = 0; i < 10; i++) {
            try (Sandbox s = Sandbox.builder().build()) {
                s.execute("print(1)");
            }
        }
        double[] build = new double[N], firstExec = new double[N], secondExec = new double[N], close = new double[N];
        for (int i = 0; i < N; i++) {
            long a = System.nanoTime();
            Sandbox s = Sandbox.builder().build();
            long b = System.nanoTime();
            s.execute("print(1)");
            long c = System.nanoTime();
            s.execute("print(1)");
            long d = System.nanoTime();
            s.close();
            long e = System.nanoTime();
            build[i] = (b - a) / 1e6;
            firstExec[i] = (c - b) / 1e6;
            secondExec[i] = (d - c) / 1e6;
            close[i] = (e - d) / 1e6;
        }
        stats("restore from image: Sandbox.builder().build()", build);
        stats("first print(1) after restore (adopts env)", firstExec);
        stats("restore + first print(1)", sum(build, firstExec));
        stats("second print(1) on a live sandbox", secondExec);
        stats("close", close);

        SandboxImage image = SandboxImage.defaultImage();
        byte[] copy = new byte[(int) image.memoryBytes()];
        byte[] src = new byte[copy.length];
        double[] memcpy = new double[N];
        for (int i = 0; i < N; i++) {
            long a = System.nanoTime();
            System.arraycopy(src, 0, copy, 0, copy.length);
            memcpy[i] = ms(a);
        }
        stats("copy of the image's " + (image.memoryBytes() >> 20) + " MiB (lower bound of an in-place reset)", memcpy);

        long c0 = System.nanoTime();
        SandboxImage preloaded = SandboxImage.capture("json", "re", "asyncio");
        report("capture an image with json, re, asyncio preloaded", ms(c0));

        poolPart();
        saveRestorePart();
        System.exit(0);
    }

    private static void poolPart() throws Exception {
        try (SandboxPool pool = SandboxPool.builder().minIdle(2).maxSize(4).build()) {
            Thread.sleep(500);
            double[] acquire = new double[N], acquireExec = new double[N], release = new double[N];
            for (int i = 0; i < N; i++) {
                long a = System.nanoTime();
                PooledSandbox s = pool.acquire();
                long b = System.nanoTime();
                s.execute("print(1)");
                acquireExec[i] = ms(a);
                acquire[i] = (b - a) / 1e6;
                long c = System.nanoTime();
                s.close(); // reset in place (the sandbox is idle again at once)
                release[i] = ms(c);
            }
            stats("pool acquire (idle sandbox ready)", acquire);
            stats("pool acquire + print(1) (first output)", acquireExec);
            stats("pool release (reset in place)", release);
            System.out.println("    " + pool.stats());
        }

        for (int threads : new int[] {1, 4}) {
            try (SandboxPool pool = SandboxPool.builder().minIdle(2).maxSize(2)
                    .acquireTimeout(Duration.ofSeconds(60)).build()) {
                Thread.sleep(500);
                ExecutorService clients = Executors.newFixedThreadPool(threads);
                int total = 40;
                long a = System.nanoTime();
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    fs.add(clients.submit(() -> pool.execute("print(1)")));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
                double seconds = (System.nanoTime() - a) / 1e9;
                clients.shutdown();
                System.out.printf("pool.execute(print(1)) throughput, %d client threads, maxSize 2: %.1f/s (%s)%n",
                        threads, total / seconds, pool.stats());
            }
        }

    }

    private static void saveRestorePart() {
        try (Sandbox s = Sandbox.builder().build()) {
            s.execute("import json, fractions\nx = [fractions.Fraction(i, 7) for i in range(1000)]\n"
                    + "open('/tmp/a.txt','w').write('a' * 100000)");
            double[] save = new double[10], restore = new double[10];
            byte[] state = null;
            for (int i = 0; i < 10; i++) {
                long a = System.nanoTime();
                state = s.saveState();
                save[i] = ms(a);
                long b = System.nanoTime();
                try (Sandbox r = Sandbox.builder().restoreFrom(state).build()) {
                    restore[i] = ms(b);
                }
            }
            System.out.printf("saved state: %d bytes (memory %d MiB)%n", state.length, s.execute("x").stats().peakMemoryBytes() >> 20);
            stats("saveState()", save);
            stats("restoreFrom(state).build()", restore);
        }
    }

    private static double[] sum(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] + b[i];
        }
        return r;
    }

    private static double ms(long since) {
        return (System.nanoTime() - since) / 1e6;
    }

    private static void report(String what, double ms) {
        System.out.printf("%s: %.1f ms%n", what, ms);
    }

    private static void stats(String what, double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        System.out.printf("%s: median %.2f ms, p90 %.2f ms, min %.2f ms (n=%d)%n", what, s[s.length / 2],
                s[(int) (s.length * 0.9)], s[0], s.length);
    }
}
