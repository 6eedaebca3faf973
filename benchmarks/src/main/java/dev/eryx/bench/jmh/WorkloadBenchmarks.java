package dev.eryx.bench.jmh;

import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.bench.Workloads;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Each workload of the suite executed repeatedly in one warm sandbox. Sample mode: read p0.50. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class WorkloadBenchmarks {
    @Param({
        "fib",
        "loops",
        "json_roundtrip",
        "regex",
        "strings",
        "dicts_lists",
        "agent_step",
        "decimal_ops",
        "sqlite_mem"
    })
    public String workload;

    private Sandbox sandbox;
    private String source;

    @Setup(Level.Trial)
    public void setUp() {
        source = Workloads.source(workload);
        sandbox =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .maxMemoryBytes(1L << 30)
                                        .build())
                        .build();
        sandbox.execute(source);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sandbox.close();
    }

    @Benchmark
    public ExecutionResult run() {
        return sandbox.execute(source);
    }
}
