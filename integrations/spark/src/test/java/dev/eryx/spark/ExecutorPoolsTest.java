package dev.eryx.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** How many sandboxes an executor's pool holds by default, and the memory they may take. */
class ExecutorPoolsTest {
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

    @Test
    void localModeHasTheMastersThreads() {
        assertEquals(1, ExecutorPools.slots(conf("local")));
        assertEquals(3, ExecutorPools.slots(conf("local[3]")));
        assertEquals(2, ExecutorPools.slots(conf("local[2,4]"))); // 4 is the attempts per task
        assertEquals(PROCESSORS, ExecutorPools.slots(conf("local[*]")));
        assertEquals(3, ExecutorPools.slots(conf("local-cluster[2, 3, 1024]")));
    }

    @Test
    void clusterExecutorsHaveTheirCoresPerTaskCpus() {
        assertEquals(PROCESSORS, ExecutorPools.slots(conf("spark://host:7077")));
        assertEquals(5, ExecutorPools.slots(conf("yarn").set("spark.executor.cores", "5")));
        assertEquals(
                2,
                ExecutorPools.slots(
                        conf("yarn").set("spark.executor.cores", "5").set("spark.task.cpus", "2")));
        assertEquals(
                1,
                ExecutorPools.slots(
                        conf("yarn").set("spark.executor.cores", "1").set("spark.task.cpus", "2")));
        assertEquals(PROCESSORS, ExecutorPools.slots(null)); // outside Spark
        // YARN and Kubernetes give an executor one core unless told otherwise.
        assertEquals(1, ExecutorPools.slots(conf("yarn")));
        assertEquals(1, ExecutorPools.slots(conf("k8s://https://kube:6443")));
        assertEquals(4, ExecutorPools.slots(conf("k8s://x").set("spark.executor.cores", "4")));
    }

    @Test
    void sandboxesGetSparksUserMemory() {
        long heap = Runtime.getRuntime().maxMemory();
        assertEquals(
                (long) ((heap - (300L << 20)) * 0.4), ExecutorPools.budgetBytes(conf("local[2]")));
        assertEquals(
                (long) ((heap - (300L << 20)) * 0.75),
                ExecutorPools.budgetBytes(conf("yarn").set("spark.memory.fraction", "0.25")));
        assertEquals(heap / 2, ExecutorPools.budgetBytes(null)); // outside Spark
    }

    private static SparkConf conf(String master) {
        return new SparkConf(false).set("spark.master", master);
    }
}
