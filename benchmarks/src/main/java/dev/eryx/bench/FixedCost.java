package dev.eryx.bench;

import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a trivial pooled execution's time goes, for docs/performance.md "Round 2", lever 6: {@code
 * java -cp <benchmarks class path> dev.eryx.bench.FixedCost [warmSeconds=30] [samples=500]}.
 *
 * <p>After {@code warmSeconds} of pooled {@code print(1)}, interleaved per sample: acquire, {@code
 * print(1)} (to the return of {@code execute}), release (the reset); the same source with a unique
 * comment (so the compiled-code cache never holds it: every execution compiles in the guest);
 * {@code pass} and {@code print(1)} on a long-lived sandbox; and a fresh sandbox to its first
 * output. Then, inside the guest, the per-call cost of the pieces of an execution, each timed over
 * a loop: {@code compile} of the source, {@code marshal.loads} of its code, a bare bridge round
 * trip, {@code REQUEST} with the decode of its JSON, {@code print(1)} with a flush (the output path
 * to the host's capture), and the runtime's own work around an execution. Medians in ms.
 */
public final class FixedCost {
    private static final String PRINT = "print(1)";

    /** Per-call microseconds of the pieces, measured in the guest over {@code n} calls each. */
    private static final String GUEST_PIECES =
            """
            import time, marshal, sys, ast, _eryx
            from eryx import _bridge, _callbacks, _loop, _runtime as _rt
            def _per_call(f, n=500):
                f()
                t = time.perf_counter_ns()
                for _ in range(n):
                    f()
                return (time.perf_counter_ns() - t) / n / 1000
            _src = 'print(1)'
            _flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            _code = compile(_src, '<string>', 'exec', flags=_flags, dont_inherit=True)
            _data = marshal.dumps(_code)
            def _print():
                print(1)
                sys.stdout.flush()
            def _prologue_epilogue():
                # What _runtime.execute does around compile and exec, without the bridge.
                _rt._retake_reserve()
                _callbacks.reset()
                _rt._forget_result()
                _rt._set_signal(_rt._SIGINT, _rt._on_interrupt)
                _loop.ensure_current()
                _rt._set_signal(_rt._SIGINT, _rt._on_interrupt)
                _rt._flush()
                _rt._finished(None)
                _bridge.encode({'ok': True, 'maxDepth': 1000})
            result = {
                'compile_us': _per_call(
                    lambda: compile(_src, '<string>', 'exec', flags=_flags, dont_inherit=True)),
                'marshal_loads_us': _per_call(lambda: marshal.loads(_data)),
                'marshal_bytes': len(_data),
                # A bare round trip: CANCEL of a host call that does not exist (ignored).
                'bridge_round_trip_us': _per_call(lambda: _eryx.invoke(_bridge.CANCEL, b'999999')),
                # REQUEST as the runtime sends it, with this probe's own ~2.5 KB source.
                'request_of_this_source_us': _per_call(
                    lambda: _bridge.decode(_eryx.invoke(_bridge.REQUEST, b'')), 200),
                'exec_us': _per_call(lambda: exec(_code, {})),
                'print_flush_us': _per_call(_print, 500),
                'runtime_prologue_epilogue_us': _per_call(_prologue_epilogue),
            }
            """;

    private FixedCost() {}

    public static void main(String[] args) throws Exception {
        int warmSeconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        System.out.printf(
                "## %s %s, load at start %s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"), load());
        try (SandboxPool pool = SandboxPool.builder().minIdle(1).maxSize(2).build();
                Sandbox live = pool.newSandbox()) {
            long until = System.nanoTime() + warmSeconds * 1_000_000_000L;
            long served = 0;
            while (System.nanoTime() < until) {
                pool.execute(PRINT);
                live.execute(PRINT);
                served++;
            }
            System.out.printf("warm-up: %d pooled executions in %d s%n", served, warmSeconds);
            long[] acquire = new long[samples];
            long[] execute = new long[samples];
            long[] release = new long[samples];
            long[] uncached = new long[samples];
            long[] livePass = new long[samples];
            long[] livePrint = new long[samples];
            long[] fresh = new long[samples / 5];
            for (int i = 0; i < samples; i++) {
                PooledPhases phases = PooledPhases.time(pool, PRINT);
                acquire[i] = phases.acquireNanos();
                execute[i] = phases.executeNanos();
                release[i] = phases.releaseNanos();
                try (PooledSandbox u = pool.acquire()) {
                    long e = System.nanoTime();
                    try {
                        u.execute(PRINT + " # " + i);
                    } catch (PythonException failed) {
                        System.out.println("sample " + i + " failed: " + failed.traceback());
                    }
                    uncached[i] = System.nanoTime() - e;
                }
                long f = System.nanoTime();
                live.execute("pass");
                long g = System.nanoTime();
                live.execute(PRINT);
                livePass[i] = g - f;
                livePrint[i] = System.nanoTime() - g;
                if (i % 5 == 0) {
                    fresh[i / 5] = freshToFirstOutput(pool);
                }
            }
            row("pooled: acquire", acquire);
            row("pooled: print(1) on the acquired sandbox (cache may hold it)", execute);
            row("pooled: print(1) # <unique> (compiled in the guest every time)", uncached);
            row("pooled: release (reset)", release);
            row("long-lived sandbox: pass", livePass);
            row("long-lived sandbox: print(1)", livePrint);
            row("fresh sandbox from the pool's image to first output", fresh);
            ExecutionResult pieces = live.execute(GUEST_PIECES);
            System.out.println("guest pieces (us per call): " + pieces.result());
        }
        System.out.printf("load at end %s%n", load());
    }

    private static long freshToFirstOutput(SandboxPool pool) {
        AtomicLong printed = new AtomicLong();
        long a = System.nanoTime();
        try (Sandbox s =
                Sandbox.builder()
                        .image(pool.image())
                        .stdout(text -> printed.compareAndSet(0, System.nanoTime()))
                        .build()) {
            s.execute(PRINT);
        }
        return printed.get() - a;
    }

    private static void row(String name, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(
                "%-66s p50 %.3f ms (p10 %.3f, p90 %.3f)%n",
                name,
                Percentiles.millis(sorted, 50),
                Percentiles.millis(sorted, 10),
                Percentiles.millis(sorted, 90));
    }

    private static String load() {
        return String.format(
                "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
