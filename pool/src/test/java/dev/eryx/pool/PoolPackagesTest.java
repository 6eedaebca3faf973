package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.eryx.PythonPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A pool with packages: in its image, in every sandbox, across resets; a template's refused. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolPackagesTest {

    @Test
    void everyPooledSandboxHasThePoolsPackagesAcrossResets(@TempDir Path dir) throws IOException {
        PythonPackages packages = read(tree(dir, "1.0"));
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .packages(packages)
                        .preload("mypkg")
                        .build()) {
            assertSame(packages, pool.image().packages().orElseThrow());
            assertEquals(List.of("mypkg"), pool.image().preloadedModules());
            String probe =
                    "import sys\n"
                            + "preloaded = 'mypkg' in sys.modules\n"
                            + "import mypkg\n"
                            + "result = [preloaded, mypkg.VALUE, sys.path[-1]]";
            try (PooledSandbox first = pool.acquire()) {
                assertEquals(
                        "[true,42,\"/usr/local/lib/site-packages\"]",
                        first.execute(probe).result().toString());
                first.execute("mypkg.VALUE = 0\nsys.path.append('/tmp')");
            }
            try (PooledSandbox second = pool.acquire()) {
                assertEquals(
                        "[true,42,\"/usr/local/lib/site-packages\"]",
                        second.execute(probe).result().toString());
            }
            assertEquals(1, pool.stats().creations(), "one sandbox, reset in between");
        }
    }

    @Test
    void aTemplateWithOtherPackagesIsRefusedAtBuild(@TempDir Path dir) throws IOException {
        PythonPackages pools = read(tree(dir.resolve("a"), "1.0"));
        PythonPackages others = read(tree(dir.resolve("b"), "2.0"));
        SandboxPool.Builder builder =
                SandboxPool.builder().minIdle(0).packages(pools).template(b -> b.packages(others));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "the template sets other packages than the pool's; set them once,"
                                        + " with SandboxPool.Builder.packages, and not in the"
                                        + " template (the image was captured with the packages"
                                        + " mypkg 1.0 but the builder was given mypkg 2.0"),
                e.getMessage());
        // The pool's own packages in the template are no mismatch.
        SandboxPool.builder()
                .minIdle(0)
                .packages(pools)
                .template(b -> b.packages(pools))
                .build()
                .close();
    }

    /** A site-packages tree holding {@code mypkg} at {@code version}. */
    private static Path tree(Path site, String version) throws IOException {
        Files.createDirectories(site.resolve("mypkg"));
        Files.writeString(site.resolve("mypkg/__init__.py"), "VALUE = 42\n");
        Path info = site.resolve("mypkg-" + version + ".dist-info");
        Files.createDirectories(info);
        Files.writeString(
                info.resolve("METADATA"),
                "Metadata-Version: 2.1\nName: mypkg\nVersion: " + version + "\n");
        return site;
    }

    /** Until issue 16's packages-core lands, {@code PythonPackages.of} is a stub. */
    private static PythonPackages read(Path source) {
        try {
            return PythonPackages.of(source);
        } catch (UnsupportedOperationException stub) {
            assumeTrue(false, "needs PackageSet.read (issue 16, packages-core)");
            throw stub;
        }
    }
}
