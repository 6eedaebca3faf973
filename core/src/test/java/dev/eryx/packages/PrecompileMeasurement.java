package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonPackages;
import dev.eryx.Sandbox;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What {@link PythonPackages.Builder#precompile()} costs and saves on a real tree: the time to
 * precompile, and {@code import requests} in a fresh sandbox with and without the bytecode (same
 * JVM, after one warm-up sandbox each). Not a test: run with {@code
 * -Deryx.measure.precompile=<root>/usr/lib/python3/dist-packages} (Debian's tree, as for {@link
 * DebianTreeTest}); figures in docs/packages.md.
 */
class PrecompileMeasurement {
    private static final int RUNS = 2;

    @Test
    @EnabledIfSystemProperty(named = "eryx.measure.precompile", matches = ".+")
    void precompileAndImportRequests() {
        Path tree = Path.of(System.getProperty("eryx.measure.precompile"));
        long t0 = System.nanoTime();
        PythonPackages plain = PythonPackages.of(tree);
        long t1 = System.nanoTime();
        PythonPackages precompiled = PythonPackages.builder().add(tree).precompile().build();
        long t2 = System.nanoTime();
        long warnings =
                precompiled.list().stream().mapToLong(d -> d.warnings().size()).sum()
                        - plain.list().stream().mapToLong(d -> d.warnings().size()).sum();
        System.out.printf(
                "read: %d ms; read + precompile: %d ms (%d processors); %d files did not"
                        + " compile%n",
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                Runtime.getRuntime().availableProcessors(),
                warnings);
        for (PythonPackages.Distribution d : precompiled.list()) {
            for (String w : d.warnings()) {
                if (w.contains("does not compile")) {
                    System.out.println("  " + d + ": " + w);
                }
            }
        }
        importRequests("plain (warm-up)", plain);
        importRequests("precompiled (warm-up)", precompiled);
        for (int i = 0; i < RUNS; i++) {
            importRequests("plain", plain);
            importRequests("precompiled", precompiled);
        }
    }

    private static void importRequests(String label, PythonPackages packages) {
        long t0 = System.nanoTime();
        try (Sandbox sandbox = Sandbox.builder().packages(packages).build()) {
            long t1 = System.nanoTime();
            int modules =
                    sandbox.execute(
                                    "import sys, requests\n"
                                            + "result = sum(1 for m in sys.modules.values()"
                                            + " if (getattr(m, '__file__', None) or '')"
                                            + ".startswith('/usr/local/lib/site-packages/'))")
                            .result()
                            .asInt();
            long t2 = System.nanoTime();
            System.out.printf(
                    "%-22s sandbox %5d ms, import requests %6d ms (%s package modules)%n",
                    label, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, modules);
            assertTrue(modules > 0, "requests imported from the packages");
        }
    }
}
