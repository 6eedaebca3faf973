package dev.eryx.spark;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.SandboxPool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.broadcast.Broadcast;

/**
 * The sandbox pools of this JVM (an executor, or the driver in local mode): one per job
 * configuration, created by the first task that needs it and closed when the JVM exits.
 */
final class ExecutorPools {
    /** How long one acquisition waits before the task looks whether it was killed meanwhile. */
    static final Duration ACQUIRE_SLICE = Duration.ofSeconds(1);

    private static final long WASM32_MAX_MEMORY = 4L << 30;

    private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(?:,\\d+)?]");
    private static final Pattern LOCAL_CLUSTER =
            Pattern.compile("local-cluster\\[\\d+,\\s*(\\d+),\\s*\\d+]");

    /** Spark's reserved system memory, taken from the heap before its fractions apply. */
    static final long SPARK_RESERVED_BYTES = 300L << 20;

    /** Most pools a JVM keeps: a new one closes the least recently used idle one beyond it. */
    static final int MAX_POOLS = 4;

    /** A pool no task used for this long is closed when another task leases a pool. */
    static final Duration IDLE_CLOSE = Duration.ofMinutes(5);

    /**
     * Static because a JVM's tasks have nowhere else to meet: Spark deserializes a fresh copy of
     * the job's objects for every task, and offers no per-executor object of the user's. Keyed by
     * what a pool fixes for its sandboxes ({@link Key}); a future, so that the image is captured
     * outside the map's lock and concurrent tasks wait for the one creation (a failed creation is
     * removed, so a later task tries again).
     */
    private static final Map<Key, CompletableFuture<Entry>> POOLS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(ExecutorPools::closeAll, "eryx-spark-pools-close"));
    }

    private ExecutorPools() {}

    /**
     * What a pool fixes for every sandbox: the memory and filesystem caps (an execution keeps its
     * sandbox's), the packages and the size. The timeout, fuel, output and callback limits travel
     * with each execution, so jobs that differ only in those share the warm sandboxes. The
     * application id keeps two Spark applications of one JVM (local mode, tests) apart.
     */
    record Key(
            long maxMemoryBytes,
            long maxVfsBytes,
            String packagesSha256,
            int poolSize,
            String applicationId) {}

    /**
     * A pool and the test-report registry its sandboxes' callback writes to; leased by a task for
     * each row, closed only when no task holds it.
     */
    static final class Entry {
        private final SandboxPool pool;
        private final TestReports reports;
        private final ResourceLimits limits;
        private final long budgetBytes;
        private int leases;
        private long lastUsedNanos = System.nanoTime();
        private boolean closed;

        Entry(SandboxPool pool, TestReports reports, ResourceLimits limits, long budgetBytes) {
            this.pool = pool;
            this.reports = reports;
            this.limits = limits;
            this.budgetBytes = budgetBytes;
        }

        SandboxPool pool() {
            return pool;
        }

        TestReports reports() {
            return reports;
        }

        /** The limits the pool was built with (its memory and filesystem caps count). */
        ResourceLimits limits() {
            return limits;
        }

        private synchronized boolean lease() {
            if (closed) {
                return false;
            }
            leases++;
            return true;
        }

        private synchronized void release() {
            leases--;
            lastUsedNanos = System.nanoTime();
        }

        private synchronized boolean closeIfIdleFor(long nanos) {
            if (closed || leases > 0 || System.nanoTime() - lastUsedNanos < nanos) {
                return false;
            }
            closed = true;
            pool.close();
            return true;
        }

        private synchronized boolean isOpen() {
            return !closed;
        }

        private synchronized long lastUsedNanos() {
            return leases > 0 ? System.nanoTime() : lastUsedNanos;
        }
    }

    /**
     * This JVM's pool for {@code config}, leased until {@link #release}: created (which captures an
     * image: seconds) by the first caller, others wait for it.
     */
    static Entry lease(EvaluationConfig config, Broadcast<PackageBundle> packages) {
        SparkConf conf = SparkEnv.get() == null ? null : SparkEnv.get().conf();
        Key key = key(config, conf);
        closeIdle(key, IDLE_CLOSE.toNanos());
        while (true) {
            CompletableFuture<Entry> mine = new CompletableFuture<>();
            CompletableFuture<Entry> held = POOLS.putIfAbsent(key, mine);
            Entry entry;
            if (held == null) {
                try {
                    entry = create(config, packages, conf);
                } catch (RuntimeException | Error e) {
                    POOLS.remove(key, mine);
                    mine.completeExceptionally(e);
                    throw e;
                }
                mine.complete(entry);
            } else {
                try {
                    entry = held.join();
                } catch (CompletionException e) {
                    if (e.getCause() instanceof RuntimeException cause) {
                        throw cause; // the same failure the creating task saw
                    }
                    throw e;
                }
            }
            if (entry.lease()) {
                return entry;
            }
            POOLS.remove(key, held == null ? mine : held); // closed as idle meanwhile
        }
    }

    private static Key key(EvaluationConfig config, SparkConf conf) {
        LimitsSpec limits = config.limits();
        return new Key(
                limits.maxMemoryBytes(),
                limits.maxVfsBytes(),
                config.packagesSha256(),
                config.poolSize(),
                conf == null ? null : conf.getAppId());
    }

    /** This JVM's open pool for {@code config}, or null: for tests, which watch its stats. */
    static SandboxPool find(EvaluationConfig config) {
        SparkConf conf = SparkEnv.get() == null ? null : SparkEnv.get().conf();
        CompletableFuture<Entry> held = POOLS.get(key(config, conf));
        Entry entry = held == null ? null : held.getNow(null);
        return entry == null || !entry.isOpen() ? null : entry.pool();
    }

    /** Ends a {@link #lease}. */
    static void release(Entry entry) {
        if (entry != null) {
            entry.release();
        }
    }

    /**
     * Closes pools idle for {@link #IDLE_CLOSE}, and beyond {@link #MAX_POOLS} the least recently
     * used idle ones, so that a long-lived executor running many configurations keeps few.
     */
    private static void closeIdle(Key wanted, long idleNanos) {
        List<Map.Entry<Key, Entry>> open = new ArrayList<>();
        for (Map.Entry<Key, CompletableFuture<Entry>> e : POOLS.entrySet()) {
            Entry entry = e.getValue().getNow(null);
            if (entry != null && !e.getKey().equals(wanted)) { // wanted: null when none
                open.add(Map.entry(e.getKey(), entry));
            }
        }
        open.sort(Comparator.comparingLong(e -> e.getValue().lastUsedNanos()));
        int beyond = POOLS.size() + (POOLS.containsKey(wanted) ? 0 : 1) - MAX_POOLS;
        for (Map.Entry<Key, Entry> e : open) {
            long idle = beyond > 0 ? 0 : idleNanos;
            if (e.getValue().closeIfIdleFor(idle)) {
                POOLS.remove(e.getKey());
                beyond--;
            }
        }
    }

    private static Entry create(
            EvaluationConfig config, Broadcast<PackageBundle> packages, SparkConf conf) {
        ResourceLimits limits = config.limits().toLimits();
        TestReports reports = new TestReports();
        long cap = Math.min(limits.maxMemoryBytes(), WASM32_MAX_MEMORY);
        long total = budgetBytes(conf);
        long free = total - othersBudget();
        if (free < cap) {
            closeIdle(null, 0); // make room: idle pools of other configurations go
            free = total - othersBudget();
        }
        if (free < cap) {
            throw new IllegalStateException(
                    "eryx-spark: not one sandbox with a "
                            + (cap >> 20)
                            + " MiB memory cap fits this executor's sandbox memory: "
                            + (total >> 20)
                            + " MiB ((heap - 300 MiB) x (1 - spark.memory.fraction)), of which"
                            + " pools of other configurations running now hold "
                            + ((total - free) >> 20)
                            + " MiB; give the executor more heap (spark.executor.memory), lower"
                            + " spark.memory.fraction, or lower the memory limit");
        }
        int size = config.poolSize() > 0 ? config.poolSize() : slots(conf);
        // The pool's share of the JVM's budget: what its sandboxes need at their cap, or what is
        // left (then fewer sandboxes than asked live at once, even with an explicit poolSize).
        long budget = Math.min(free, size * cap);
        SandboxPool.Builder builder =
                SandboxPool.builder()
                        .resourceLimits(limits)
                        .acquireTimeout(ACQUIRE_SLICE)
                        .maxSize(size)
                        // Sandboxes live on the heap (their memory is a byte array): at their
                        // cap, as many as the budget holds, even with an explicit poolSize.
                        .maxTotalMemoryBytes(budget)
                        .template(b -> b.callback(reports.callback()));
        if (packages != null) {
            Path root =
                    SparkEnv.get() == null
                            ? Path.of(System.getProperty("java.io.tmpdir"))
                            : Path.of(SparkFiles.getRootDirectory());
            PythonPackages read = packages.value().materialize(root);
            builder.packages(read);
        }
        return new Entry(builder.build(), reports, limits, budget);
    }

    /** What the other open pools of this JVM reserved of {@link #budgetBytes}. */
    private static long othersBudget() {
        long sum = 0;
        for (CompletableFuture<Entry> held : POOLS.values()) {
            Entry entry = held.getNow(null);
            if (entry != null && entry.isOpen()) {
                sum += entry.budgetBytes;
            }
        }
        return sum;
    }

    /**
     * The heap this JVM's sandboxes may take together: Spark's user memory, {@code (heap - 300 MiB)
     * x (1 - spark.memory.fraction)} (fraction default 0.6), which Spark leaves to user data
     * structures; half the heap outside Spark.
     */
    static long budgetBytes(SparkConf conf) {
        long heap = Runtime.getRuntime().maxMemory();
        if (conf == null) {
            return heap / 2;
        }
        double fraction = conf.getDouble("spark.memory.fraction", 0.6);
        return (long) ((heap - SPARK_RESERVED_BYTES) * (1 - fraction));
    }

    /**
     * Task slots of this executor: N of {@code local[N]} (the driver is the executor), C of {@code
     * local-cluster[E,C,M]}, else {@code spark.executor.cores} (default: 1 on YARN and Kubernetes,
     * as there; the machine's processors in standalone mode), divided by {@code spark.task.cpus}.
     */
    static int slots(SparkConf conf) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (conf == null) {
            return processors;
        }
        String master = conf.get("spark.master", "");
        int cores;
        Matcher local = LOCAL.matcher(master);
        Matcher cluster = LOCAL_CLUSTER.matcher(master);
        if (master.equals("local")) {
            cores = 1;
        } else if (local.matches()) {
            cores = local.group(1).equals("*") ? processors : Integer.parseInt(local.group(1));
        } else if (cluster.matches()) {
            cores = Integer.parseInt(cluster.group(1));
        } else if (master.startsWith("yarn") || master.startsWith("k8s://")) {
            cores = conf.getInt("spark.executor.cores", 1); // their default: one core each
        } else {
            cores = conf.getInt("spark.executor.cores", processors);
        }
        return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }

    /** Closes every pool: at JVM exit. */
    private static void closeAll() {
        List<CompletableFuture<Entry>> entries = new ArrayList<>(POOLS.values());
        POOLS.clear();
        for (CompletableFuture<Entry> held : entries) {
            Entry entry = held.getNow(null);
            if (entry == null) {
                continue; // still being created: its JVM is going away
            }
            try {
                entry.pool().close();
            } catch (RuntimeException e) {
                // The JVM is going away; one pool failing to close must not keep the others open.
            }
        }
    }
}
