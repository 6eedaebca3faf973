package dev.eryx.bench;

import dev.eryx.Sandbox;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.execution.DefaultImage;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A library user's first sandbox in a fresh JVM, for docs/performance.md "CLI cold start" (a
 * harness: run it as a new process each time; benchmarks/cli-startup.sh does).
 *
 * <ul>
 *   <li>{@code first}: exactly what a user writes, {@code Sandbox.builder().build()} then {@code
 *       execute("print(1)")}, timed to the stdout listener's call; one line of figures.
 *   <li>{@code phases}: the same work split where the time goes: loading the AOT-compiled module,
 *       decoding the interpreter image shipped in core's jar, the restore, the first execution
 *       (cold JVM code), then a second sandbox for comparison.
 * </ul>
 *
 * <p>usage: StartupBreakdown first|phases
 */
public final class StartupBreakdown {
    private StartupBreakdown() {}

    public static void main(String[] args) {
        long mainEntered = System.nanoTime();
        // Read after taking the clock: loading the management classes is not the JVM's start-up.
        long jvmToMainMs = ManagementFactory.getRuntimeMXBean().getUptime();
        String mode = args.length > 0 ? args[0] : "first";
        switch (mode) {
            case "first":
                first(mainEntered, jvmToMainMs);
                break;
            case "phases":
                phases(mainEntered, jvmToMainMs);
                break;
            default:
                throw new IllegalArgumentException(
                        "usage: StartupBreakdown first|phases (got " + mode + ")");
        }
    }

    private static void first(long mainEntered, long jvmToMainMs) {
        AtomicLong printed = new AtomicLong();
        try (Sandbox sandbox =
                Sandbox.builder()
                        .stdout(text -> printed.compareAndSet(0, System.nanoTime()))
                        .build()) {
            sandbox.execute("print(1)");
        }
        System.out.printf(
                "jvm->main %d ms, main->first output %.1f ms%n",
                jvmToMainMs, ms(printed.get() - mainEntered));
    }

    private static void phases(long mainEntered, long jvmToMainMs) {
        long t = System.nanoTime();
        GuestModule.python();
        double module = ms(System.nanoTime() - t);
        t = System.nanoTime();
        DefaultImage.get();
        double image = ms(System.nanoTime() - t);
        t = System.nanoTime();
        AtomicLong printed = new AtomicLong();
        Sandbox sandbox =
                Sandbox.builder()
                        .stdout(text -> printed.compareAndSet(0, System.nanoTime()))
                        .build();
        double build = ms(System.nanoTime() - t);
        t = System.nanoTime();
        sandbox.execute("print(1)");
        double firstOutput = ms(printed.get() - t);
        double execute = ms(System.nanoTime() - t);
        t = System.nanoTime();
        sandbox.close();
        double close = ms(System.nanoTime() - t);
        double total = ms(System.nanoTime() - mainEntered);

        t = System.nanoTime();
        try (Sandbox second = Sandbox.builder().build()) {
            second.execute("print(1)");
        }
        double again = ms(System.nanoTime() - t);
        System.out.printf(
                "jvm->main %d | module %.1f | image %.1f | build %.1f | first output %.1f (execute %.1f)"
                        + " | close %.1f | main total %.1f | second sandbox build+print %.1f%n",
                jvmToMainMs, module, image, build, firstOutput, execute, close, total, again);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
