package dev.eryx.bench;

import dev.eryx.ExecutionResult;
import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What third-party packages cost, for docs/packages.md and docs/performance.md: {@code java -cp
 * <benchmarks class path> dev.eryx.bench.PackageMeasurements <dist-packages> [samples] [module]}.
 *
 * <p>{@code <dist-packages>} is an unpacked site-packages tree holding {@code requests} and its
 * dependencies, e.g. the one the core tests extract from Debian's packages (after a run of {@code
 * RealPackagesTest}: {@code
 * ~/.cache/eryx/debian-packages/root-<key>/usr/lib/python3/dist-packages}).
 *
 * <p>Measured in one run, medians with min, max and n: {@code PythonPackages.of} on the tree
 * ({@code samples} times); {@code PythonPackages.builder().add(tree).precompile().build()}
 * (min(samples, 3) times); {@code import <module>} (default {@code requests}) timed in the guest in
 * a fresh sandbox given the plain packages and one given the precompiled ones, interleaved after
 * one warm-up sandbox each; {@code SandboxImage.capture(pkgs, module)} (once); a fresh sandbox to
 * its first output from that image and from the default image ({@code print(1)} from both, and code
 * using the module from the first), interleaved, max(20, 4 samples) each after a warm-up; a full
 * {@code gc.collect()} timed in the guest in a fresh sandbox from either image; {@code import
 * importlib.metadata} and one {@code version()} call in a fresh sandbox given the packages; native
 * CPython on this machine ({@code python3} on PATH, whatever version it is: the output says)
 * importing the module from the same tree, bytecode cached (a warm-up run writes it).
 *
 * <p>{@code PackageMeasurements <dist-packages> memory [n] [module]}: heap bytes per live idle
 * sandbox (after GC, {@code n} sandboxes, default 100) without packages, with the packages, and
 * from an image with {@code module} preloaded: the package tree is shared, so the second should
 * cost what the first does.
 */
public final class PackageMeasurements {
    private PackageMeasurements() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: PackageMeasurements <dist-packages> [samples] [module]");
            System.exit(2);
        }
        Path dist = Path.of(args[0]).toAbsolutePath();
        if (args.length > 1 && args[1].equals("memory")) {
            memory(
                    dist,
                    args.length > 2 ? Integer.parseInt(args[2]) : 100,
                    args.length > 3 ? args[3] : "requests");
            return;
        }
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String module = args.length > 2 ? args[2] : "requests";
        int builds = Math.min(samples, 3); // a precompile takes tens of seconds
        System.out.printf(
                "## %s %s, %d cores, load at start %s; %s%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                loadAverage(),
                dist);

        // The first sandbox of a JVM pays for class loading and the image; not part of the figures.
        try (Sandbox warm = Sandbox.builder().build()) {
            warm.execute("pass");
        }
        double[] read = new double[samples];
        PythonPackages pkgs = null;
        for (int i = 0; i < samples; i++) {
            long a = System.nanoTime();
            pkgs = PythonPackages.of(dist);
            read[i] = ms(a);
        }
        stats("PythonPackages.of (" + pkgs.list().size() + " distributions)", read);

        double[] compile = new double[builds];
        PythonPackages compiled = null;
        for (int i = 0; i < builds; i++) {
            long a = System.nanoTime();
            compiled = PythonPackages.builder().add(dist).precompile().build();
            compile[i] = ms(a);
        }
        stats("PythonPackages.builder().add(tree).precompile().build()", compile);

        // Interleaved, so that drift in the machine's load hits both alike; one warm-up each.
        importInFreshSandbox(pkgs, module);
        importInFreshSandbox(compiled, module);
        double[] cold = new double[samples];
        double[] coldCompiled = new double[samples];
        for (int i = 0; i < samples; i++) {
            cold[i] = importInFreshSandbox(pkgs, module);
            coldCompiled[i] = importInFreshSandbox(compiled, module);
            System.out.printf(
                    "  sample %d: %.0f ms plain, %.0f ms precompiled%n",
                    i + 1, cold[i], coldCompiled[i]);
        }
        stats("eryx: import " + module + " in a fresh sandbox, plain (guest-timed)", cold);
        stats(
                "eryx: import " + module + " in a fresh sandbox, precompiled (guest-timed)",
                coldCompiled);

        // Stdlib, not in the default image; slow for the same reason (many modules' top-level
        // code).
        double[] metadata = new double[samples];
        for (int i = 0; i < samples; i++) {
            metadata[i] =
                    timedInFreshSandbox(
                            pkgs,
                            "import importlib.metadata\nimportlib.metadata.version('"
                                    + module
                                    + "')");
        }
        stats(
                "eryx: import importlib.metadata; importlib.metadata.version('"
                        + module
                        + "') in a fresh sandbox (guest-timed)",
                metadata);

        long c = System.nanoTime();
        SandboxImage image = SandboxImage.capture(pkgs, module);
        System.out.printf("SandboxImage.capture(pkgs, \"%s\"): %.0f ms (once)%n", module, ms(c));
        SandboxImage plain = SandboxImage.defaultImage();
        String use = "import " + module + "\nprint(" + module + ".__name__)";
        for (int i = 0; i < 10; i++) { // JIT warm-up of the restore path
            firstOutput(image, "print(1)");
            firstOutput(plain, "print(1)");
            firstOutput(image, use);
        }
        int n = Math.max(20, samples * 4);
        double[] fromImage = new double[n];
        double[] fromDefault = new double[n];
        double[] fromImageUse = new double[n];
        for (int i = 0; i < n; i++) {
            fromImage[i] = firstOutput(image, "print(1)");
            fromDefault[i] = firstOutput(plain, "print(1)");
            fromImageUse[i] = firstOutput(image, use);
        }
        stats(
                "eryx: fresh sandbox from the " + module + " image to first output of `print(1)`",
                fromImage);
        stats(
                "eryx: fresh sandbox from the default image to first output of `print(1)`",
                fromDefault);
        stats(
                "eryx: fresh sandbox from the "
                        + module
                        + " image to first output of `"
                        + use.replace("\n", "; ")
                        + "`",
                fromImageUse);

        int g = Math.max(10, samples * 2);
        double[] gcImage = new double[g];
        double[] gcDefault = new double[g];
        fullCollection(image);
        fullCollection(plain);
        for (int i = 0; i < g; i++) {
            gcImage[i] = fullCollection(image);
            gcDefault[i] = fullCollection(plain);
        }
        stats(
                "eryx: gc.collect() in a fresh sandbox from the " + module + " image (guest-timed)",
                gcImage);
        stats(
                "eryx: gc.collect() in a fresh sandbox from the default image (guest-timed)",
                gcDefault);

        String version = nativeVersion();
        Path pycache = Files.createTempDirectory("eryx-pyc-");
        nativeImport(dist, module, pycache); // writes the bytecode
        double[] nativeBytecode = new double[samples];
        for (int i = 0; i < samples; i++) {
            nativeBytecode[i] = nativeImport(dist, module, pycache);
        }
        stats("native " + version + ": import " + module + " (bytecode cached)", nativeBytecode);
        System.out.printf("load at end %s%n", loadAverage());
    }

    private static void memory(Path dist, int n, String module) throws InterruptedException {
        System.out.printf(
                "## %s %s, load at start %s; %d live sandboxes%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                loadAverage(),
                n);
        PythonPackages pkgs = PythonPackages.of(dist);
        SandboxImage image = SandboxImage.capture(pkgs, module);
        String[] variants = {"no packages", "with the packages", "from an image with " + module};
        for (int v = 0; v < variants.length; v++) {
            long before = usedAfterGc();
            List<Sandbox> live = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Sandbox.Builder b = Sandbox.builder();
                if (v == 1) {
                    b.packages(pkgs);
                } else if (v == 2) {
                    b.image(image);
                }
                Sandbox s = b.build();
                s.execute("pass");
                live.add(s);
            }
            long after = usedAfterGc();
            System.out.printf(
                    "%s: %.2f MiB heap per live sandbox (%d sandboxes, %.1f MiB in all)%n",
                    variants[v],
                    (after - before) / (double) n / (1 << 20),
                    n,
                    (after - before) / (double) (1 << 20));
            live.forEach(Sandbox::close);
        }
        System.out.printf("load at end %s%n", loadAverage());
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return java.lang.management.ManagementFactory.getMemoryMXBean()
                .getHeapMemoryUsage()
                .getUsed();
    }

    /** Milliseconds {@code import module} takes in a new sandbox, timed by the guest. */
    private static double importInFreshSandbox(PythonPackages pkgs, String module) {
        return timedInFreshSandbox(pkgs, "import " + module);
    }

    /** Milliseconds {@code code} takes in a new sandbox given {@code pkgs}, timed by the guest. */
    private static double timedInFreshSandbox(PythonPackages pkgs, String code) {
        try (Sandbox s =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .build())
                        .packages(pkgs)
                        .build()) {
            ExecutionResult r =
                    s.execute(
                            String.join(
                                    "\n",
                                    "import time",
                                    "t = time.perf_counter()",
                                    code,
                                    "result = (time.perf_counter() - t) * 1000"));
            return r.result().asDouble();
        }
    }

    /** Milliseconds a full {@code gc.collect()} takes in a new sandbox from {@code image}. */
    private static double fullCollection(SandboxImage image) {
        try (Sandbox s = Sandbox.builder().image(image).build()) {
            return s.execute(
                            String.join(
                                    "\n",
                                    "import gc, time",
                                    "t = time.perf_counter()",
                                    "gc.collect()",
                                    "result = (time.perf_counter() - t) * 1000"))
                    .result()
                    .asDouble();
        }
    }

    /**
     * Milliseconds from building a sandbox from {@code image} to its first output of {@code code}.
     */
    private static double firstOutput(SandboxImage image, String code) {
        AtomicLong printed = new AtomicLong();
        long a = System.nanoTime();
        try (Sandbox s =
                Sandbox.builder()
                        .image(image)
                        .stdout(text -> printed.compareAndSet(0, System.nanoTime()))
                        .build()) {
            s.execute(code);
        }
        return (printed.get() - a) / 1e6;
    }

    private static double ms(long since) {
        return (System.nanoTime() - since) / 1e6;
    }

    private static double nativeImport(Path dist, String module, Path pycache)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("python3"));
        cmd.addAll(
                List.of(
                        "-c",
                        "import time; t = time.perf_counter(); import "
                                + module
                                + "; print((time.perf_counter() - t) * 1000)"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", dist.toString());
        // A prefix keeps native 3.x bytecode out of the tree.
        pb.environment().put("PYTHONPYCACHEPREFIX", pycache.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            throw new IOException("native python3 failed: " + out);
        }
        return Double.parseDouble(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    private static String nativeVersion() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return v;
    }

    private static void stats(String what, double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        System.out.printf(
                "%s: median %s ms (min %s, max %s, n=%d)%n",
                what, fmt(s[s.length / 2]), fmt(s[0]), fmt(s[s.length - 1]), s.length);
    }

    /** Whole milliseconds, but two decimals below 10 ms (a collection can take 0.2 ms). */
    private static String fmt(double ms) {
        return ms < 10 ? String.format("%.2f", ms) : String.format("%.0f", ms);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
