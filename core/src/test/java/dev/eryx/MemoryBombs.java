package dev.eryx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Eight memory bombs at once in a JVM whose heap holds far less than their eight caps; run in its
 * own JVM by {@link MemoryBombsTest} (a heap this small must not be shared with other tests).
 * Prints one line per sandbox and {@code ALL OK} at the end; exits 1 on any failure, including an
 * {@link OutOfMemoryError} in any thread.
 */
public final class MemoryBombs {
    static final int BOMBS = 8;
    static final long CAP = 256L << 20;

    /** Grows in 1 MiB steps until the guest is refused, then reports how far it got. */
    static final String LIST_BOMB =
            "chunks = []\n"
                    + "try:\n"
                    + "    while True:\n"
                    + "        chunks.append(bytearray(1 << 20))\n"
                    + "except MemoryError:\n"
                    + "    pass\n"
                    + "got = len(chunks)\n"
                    + "del chunks\n"
                    + "result = got";

    static final String BIG_BOMB = "x = bytearray(10**9)";

    private MemoryBombs() {}

    public static void main(String[] args) throws Exception {
        AtomicReference<Throwable> stray = new AtomicReference<>();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> stray.compareAndSet(null, e));
        ResourceLimits limits =
                ResourceLimits.builder()
                        .maxMemoryBytes(CAP)
                        .executionTimeout(Duration.ofMinutes(3))
                        .build();
        List<Sandbox> bombs = new ArrayList<>();
        for (int i = 0; i < BOMBS; i++) {
            bombs.add(Sandbox.builder().resourceLimits(limits).build());
        }
        Sandbox bystander = Sandbox.builder().resourceLimits(limits).build();
        bystander.execute("calm = 'still here'");
        ExecutorService threads = Executors.newFixedThreadPool(BOMBS);
        AtomicInteger failures = new AtomicInteger();
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < BOMBS; i++) {
            Sandbox sandbox = bombs.get(i);
            boolean big = i % 4 == 3;
            outcomes.add(threads.submit(() -> detonate(sandbox, big)));
        }
        // The bystander keeps working while the bombs go off.
        int bystanderRuns = 0;
        while (!outcomes.stream().allMatch(Future::isDone)) {
            String out = bystander.execute("print(calm)").stdout().strip();
            if (!out.equals("still here")) {
                System.out.println("FAIL bystander printed " + out);
                failures.incrementAndGet();
            }
            bystanderRuns++;
        }
        for (int i = 0; i < BOMBS; i++) {
            try {
                String outcome = outcomes.get(i).get();
                System.out.println("bomb " + i + ": " + outcome);
            } catch (java.util.concurrent.ExecutionException e) {
                System.out.println("FAIL bomb " + i + ": " + e.getCause());
                failures.incrementAndGet();
            }
        }
        threads.shutdown();
        threads.awaitTermination(1, TimeUnit.MINUTES);
        // Every sandbox, bombs included, still runs code afterwards.
        for (int i = 0; i < BOMBS; i++) {
            try {
                int two = bombs.get(i).execute("result = 1 + 1").result().asInt();
                if (two != 2) {
                    throw new IllegalStateException("got " + two);
                }
            } catch (RuntimeException e) {
                System.out.println("FAIL bomb " + i + " unusable afterwards: " + e);
                failures.incrementAndGet();
            }
        }
        System.out.println("bystander ran " + bystanderRuns + " times during the bombs");
        Runtime rt = Runtime.getRuntime();
        System.out.printf(
                "heap: max %d MiB, used %d MiB%n",
                rt.maxMemory() >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20);
        if (stray.get() != null) {
            System.out.println("FAIL uncaught in some thread: " + stray.get());
            failures.incrementAndGet();
        }
        bombs.forEach(Sandbox::close);
        bystander.close();
        System.out.println(failures.get() == 0 ? "ALL OK" : "FAILURES " + failures.get());
        System.exit(failures.get() == 0 ? 0 : 1);
    }

    /** One bomb; returns a description of how it ended, or throws if it ended wrongly. */
    private static String detonate(Sandbox sandbox, boolean big) {
        try {
            if (big) {
                sandbox.execute(BIG_BOMB);
                throw new IllegalStateException("a 1 GB bytearray fitted under a 256 MiB cap");
            }
            ExecutionResult r = sandbox.execute(LIST_BOMB);
            return "MemoryError after "
                    + r.result().asInt()
                    + " MiB, peak "
                    + (r.stats().peakMemoryBytes() >> 20)
                    + " MiB of linear memory";
        } catch (PythonException e) {
            if (!"MemoryError".equals(e.pythonType())) {
                throw e;
            }
            return "MemoryError (" + e.getMessage().lines().findFirst().orElse("") + ")";
        } catch (MemoryLimitException e) {
            return "MemoryLimitException: " + e.getMessage();
        }
    }
}
