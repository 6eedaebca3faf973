package dev.eryx.bench.jmh;

import dev.eryx.ExecutionResult;
import dev.eryx.pool.SandboxPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a service pays per request on a warm pool (docs/performance.md, "Pools, images and saved
 * state"): every pooled execution runs on a sandbox that was reset in place after the previous
 * user, so it is that sandbox's first execution after a reset (the guest adopts its environment
 * again). The pool holds two sandboxes, as many as this machine has cores. Sample mode: read p0.50.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class PoolBenchmarks {
    private SandboxPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        pool = SandboxPool.builder().minIdle(2).maxSize(2).build();
        pool.execute("pass");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** The pooled executor: acquire, {@code print(1)}, reset in place on release. */
    @Benchmark
    public ExecutionResult poolExecutePrint() {
        return pool.execute("print(1)");
    }
}
