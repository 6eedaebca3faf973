package dev.eryx.bench;

import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * What third-party packages cost, for docs/packages.md and docs/performance.md: {@code java -cp
 * <benchmarks class path> dev.eryx.bench.PackageMeasurements <dist-packages> [samples] [module]}.
 *
 * <p>{@code <dist-packages>} is an unpacked site-packages tree holding {@code requests} and its
 * dependencies, e.g. the one the core tests extract from Debian's packages (run {@code
 * RealPackagesTest} once; it prints nothing, but the tree is {@code
 * ~/.cache/eryx/debian-packages/root-<key>/usr/lib/python3/dist-packages}, and {@code
 * root-<key>-compiled/dist-packages} is the same with CPython 3.14 bytecode beside the sources).
 *
 * <p>Measured, medians of {@code samples}: {@code import <module>} (default {@code requests}) cold
 * in a fresh sandbox, timed in the guest; the same with native CPython on this machine ({@code
 * python3} on PATH, whatever version it is: the output says) with the same tree on {@code
 * PYTHONPATH}, from source (bytecode writing off, an empty bytecode cache) and from cached
 * bytecode.
 */
public final class PackageMeasurements {
    private static final String SITE_PACKAGES = "/usr/local/lib/site-packages";

    private PackageMeasurements() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: PackageMeasurements <dist-packages> [samples] [module]");
            System.exit(2);
        }
        Path dist = Path.of(args[0]).toAbsolutePath();
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String module = args.length > 2 ? args[2] : "requests";
        System.out.printf(
                "## %s %s, load at start %s; %s, %s%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                loadAverage(),
                dist,
                hasBytecode(dist) ? "with __pycache__ (3.14 bytecode)" : "sources only");

        // The first sandbox of a JVM pays for class loading and the image; not part of the figure.
        try (Sandbox warm = Sandbox.builder().build()) {
            warm.execute("pass");
        }
        double[] cold = new double[samples];
        for (int i = 0; i < samples; i++) {
            cold[i] = importInFreshSandbox(dist, module);
            System.out.printf("  sample %d: %.0f ms%n", i + 1, cold[i]);
        }
        stats("eryx: import " + module + " in a fresh sandbox (guest-timed)", cold);

        String version = nativeVersion();
        Path emptyCache = Files.createTempDirectory("eryx-pyc-");
        double[] nativeSource = new double[samples];
        for (int i = 0; i < samples; i++) {
            nativeSource[i] = nativeImport(dist, module, emptyCache, true);
        }
        stats("native " + version + ": import " + module + " from source", nativeSource);
        Path warmCache = Files.createTempDirectory("eryx-pyc-");
        nativeImport(dist, module, warmCache, false); // writes the bytecode
        double[] nativeBytecode = new double[samples];
        for (int i = 0; i < samples; i++) {
            nativeBytecode[i] = nativeImport(dist, module, warmCache, false);
        }
        stats("native " + version + ": import " + module + " from cached bytecode", nativeBytecode);
        System.out.printf("load at end %s%n", loadAverage());
    }

    /** Milliseconds {@code import module} takes in a new sandbox, timed by the guest. */
    private static double importInFreshSandbox(Path dist, String module) {
        try (Sandbox s =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(10))
                                        .build())
                        // Until Sandbox.Builder.packages lands: the tree mounted where
                        // PythonPackages puts it.
                        .mount(dist, SITE_PACKAGES, true)
                        .build()) {
            ExecutionResult r =
                    s.execute(
                            String.join(
                                    "\n",
                                    "import sys, time",
                                    "sys.path.append('" + SITE_PACKAGES + "')",
                                    "t = time.perf_counter()",
                                    "import " + module,
                                    "result = (time.perf_counter() - t) * 1000"));
            return r.result().asDouble();
        }
    }

    private static double nativeImport(Path dist, String module, Path pycache, boolean fromSource)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("python3"));
        if (fromSource) {
            cmd.add("-B");
        }
        cmd.addAll(
                List.of(
                        "-c",
                        "import time; t = time.perf_counter(); import "
                                + module
                                + "; print((time.perf_counter() - t) * 1000)"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", dist.toString());
        // A prefix keeps native 3.x bytecode out of the tree (and, empty, forces compiling).
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

    private static boolean hasBytecode(Path dist) throws IOException {
        try (Stream<Path> s = Files.walk(dist)) {
            return s.anyMatch(p -> p.toString().endsWith(".cpython-314.pyc"));
        }
    }

    private static void stats(String what, double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        System.out.printf(
                "%s: median %.0f ms (min %.0f, max %.0f, n=%d)%n",
                what, s[s.length / 2], s[0], s[s.length - 1], s.length);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
