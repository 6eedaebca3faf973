package dev.eryx.spark;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.pool.SandboxPool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /**
     * Static because a JVM's tasks have nowhere else to meet: Spark deserializes a fresh copy of
     * the job's objects for every task, and offers no per-executor object of the user's. Keyed by
     * everything a pool is built from, so two jobs with different limits or packages never share
     * sandboxes, and jobs with the same configuration reuse the warm ones.
     */
    private static final Map<Key, Entry> POOLS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(ExecutorPools::closeAll, "eryx-spark-pools-close"));
    }

    private ExecutorPools() {}

    /** A pool and the test-report registry its sandboxes' callback writes to. */
    record Entry(SandboxPool pool, TestReports reports, ResourceLimits limits) {}

    private record Key(LimitsSpec limits, String packagesSha256, int poolSize) {}

    /**
     * This JVM's pool for {@code config}, created (which captures an image: seconds) by the first
     * caller; others wait for it.
     */
    static Entry pool(EvaluationConfig config, Broadcast<PackageBundle> packages) {
        Key key = new Key(config.limits(), config.packagesSha256(), config.poolSize());
        return POOLS.computeIfAbsent(key, k -> create(config, packages));
    }

    private static Entry create(EvaluationConfig config, Broadcast<PackageBundle> packages) {
        ResourceLimits limits = config.limits().toLimits();
        TestReports reports = new TestReports();
        SandboxPool.Builder builder =
                SandboxPool.builder()
                        .resourceLimits(limits)
                        .acquireTimeout(ACQUIRE_SLICE)
                        .template(b -> b.callback(reports.callback()));
        SparkConf conf = SparkEnv.get() == null ? null : SparkEnv.get().conf();
        if (config.poolSize() > 0) {
            builder.maxSize(config.poolSize());
        } else {
            long cap = Math.min(limits.maxMemoryBytes(), WASM32_MAX_MEMORY);
            builder.maxSize(slots(conf))
                    // Sandboxes live on the heap (their memory is a byte array): they may reserve
                    // half of it at their cap, and Spark keeps the other half. At least one.
                    .maxTotalMemoryBytes(Math.max(Runtime.getRuntime().maxMemory() / 2, cap));
        }
        if (packages != null) {
            Path root =
                    SparkEnv.get() == null
                            ? Path.of(System.getProperty("java.io.tmpdir"))
                            : Path.of(SparkFiles.getRootDirectory());
            PythonPackages read = packages.value().materialize(root);
            builder.packages(read);
        }
        return new Entry(builder.build(), reports, limits);
    }

    /**
     * Task slots of this executor: N of {@code local[N]} (the driver is the executor), C of {@code
     * local-cluster[E,C,M]}, else {@code spark.executor.cores} (default: the machine's processors),
     * divided by {@code spark.task.cpus}.
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
        } else {
            cores = conf.getInt("spark.executor.cores", processors);
        }
        return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }

    /** Closes every pool: at JVM exit. */
    private static void closeAll() {
        List<Entry> entries = new ArrayList<>(POOLS.values());
        POOLS.clear();
        for (Entry entry : entries) {
            try {
                entry.pool().close();
            } catch (RuntimeException e) {
                // The JVM is going away; one pool failing to close must not keep the others open.
            }
        }
    }
}
