package dev.eryx.bench.jmh;

import dev.eryx.ExecutionResult;
import dev.eryx.Sandbox;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * Sandbox life-cycle costs. The trial set-up builds the first sandbox of the JVM (cold boot and
 * image), so every measured sandbox is restored from the image. Sample mode: read p0.50.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class SandboxBenchmarks {
    private Sandbox warm;

    @Setup(Level.Trial)
    public void setUp() {
        warm = Sandbox.builder().build();
        warm.execute("pass");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        warm.close();
    }

    /** Restore only: build a sandbox from the image and close it. */
    @Benchmark
    public boolean restore() {
        try (Sandbox s = Sandbox.builder().build()) {
            return s.isUsable();
        }
    }

    /** A fresh sandbox restored from the image, to its first line of output. */
    @Benchmark
    public boolean firstOutputFresh() {
        AtomicBoolean seen = new AtomicBoolean();
        try (Sandbox s = Sandbox.builder().stdout(text -> seen.set(true)).build()) {
            s.execute("print('ready')");
        }
        return seen.get();
    }

    /** A warm (pooled) sandbox printing one line. */
    @Benchmark
    public ExecutionResult firstOutputWarm() {
        return warm.execute("print('ready')");
    }

    /** A warm sandbox executing a trivial statement: the fixed cost of one execution. */
    @Benchmark
    public ExecutionResult executeTrivial() {
        return warm.execute("pass");
    }
}
