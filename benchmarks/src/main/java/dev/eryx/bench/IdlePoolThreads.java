package dev.eryx.bench;

import dev.eryx.pool.PoolStats;
import dev.eryx.pool.SandboxPool;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many threads a pool of idle sandboxes costs: builds a pool with {@code minIdle = maxSize = n}
 * (default 100), waits until all n are idle, and prints the JVM's live thread count with the
 * threads grouped by name prefix (a trailing "-" number or hex id stripped). Then runs one short
 * execution with a timeout through the pool, so timers have been used, and prints the count again.
 * For the note on issue 14 (the shared watchdog scheduler).
 *
 * <p>usage: IdlePoolThreads [n (default 100)]
 */
public final class IdlePoolThreads {
    private IdlePoolThreads() {}

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        print("before the pool");
        long start = System.nanoTime();
        try (SandboxPool pool = SandboxPool.builder().minIdle(n).maxSize(n).build()) {
            while (true) {
                PoolStats stats = pool.stats();
                if (stats.idle() >= n) {
                    break;
                }
                if (System.nanoTime() - start > 600_000_000_000L) {
                    throw new IllegalStateException("pool not filled after 10 min: " + stats);
                }
                Thread.sleep(100);
            }
            Thread.sleep(1_000); // let the pool's own background work settle
            print(n + " idle pooled sandboxes");
            pool.execute("x = 1");
            Thread.sleep(1_000);
            print(n + " idle pooled sandboxes, after one execution");
        }
    }

    private static void print(String label) {
        Map<String, Integer> byPrefix = new TreeMap<>();
        ThreadInfo[] threads = ManagementFactory.getThreadMXBean().dumpAllThreads(false, false);
        for (ThreadInfo thread : threads) {
            String prefix = thread.getThreadName().replaceAll("-[0-9a-f]+$", "");
            byPrefix.merge(prefix, 1, Integer::sum);
        }
        System.out.printf(
                "%s: %d live threads (ThreadMXBean %d, Thread.activeCount %d)%n",
                label,
                threads.length,
                ManagementFactory.getThreadMXBean().getThreadCount(),
                Thread.activeCount());
        byPrefix.forEach((prefix, count) -> System.out.printf("  %4d  %s%n", count, prefix));
    }
}
