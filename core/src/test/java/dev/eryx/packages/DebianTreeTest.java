package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonPackages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A real Debian {@code dist-packages} tree (egg-info and dist-info metadata, RECORDs listing
 * scripts outside the tree or absent, hex digests, {@code .so} files) reads cleanly. The tree comes
 * from {@code -Deryx.packages.debianTree=<root>/usr/lib/python3/dist-packages}, made with {@code
 * apt-get download python3-requests ...} and {@code dpkg-deb -x}; skipped without it.
 */
class DebianTreeTest {
    @Test
    void debiansDistPackagesReads() {
        String property = System.getProperty("eryx.packages.debianTree");
        Assumptions.assumeTrue(
                property != null && Files.isDirectory(Path.of(property)),
                "no Debian tree: set -Deryx.packages.debianTree to an extracted"
                        + " usr/lib/python3/dist-packages (apt-get download python3-requests ...;"
                        + " dpkg-deb -x)");

        List<PythonPackages.Distribution> list = PythonPackages.of(Path.of(property)).list();
        Map<String, PythonPackages.Distribution> byName =
                list.stream()
                        .collect(
                                Collectors.toMap(
                                        d -> d.name().toLowerCase(Locale.ROOT),
                                        Function.identity()));

        for (String name : List.of("requests", "urllib3", "idna", "certifi", "jinja2", "six")) {
            assertNotNull(byName.get(name), name + " in " + list);
        }
        assertTrue(byName.get("requests").files().contains("requests/__init__.py"));
        assertTrue(byName.get("requests").version().matches("\\d+\\.\\d+.*"));
        for (PythonPackages.Distribution d : list) {
            assertFalse(d.files().stream().anyMatch(f -> f.endsWith(".so")), d::toString);
        }
        if (Files.exists(Path.of(property, "yaml", "_yaml.cpython-311-x86_64-linux-gnu.so"))) {
            assertTrue(
                    byName.get("pyyaml").warnings().stream()
                            .anyMatch(w -> w.contains(".so") && w.contains("native")),
                    byName.get("pyyaml").warnings()::toString);
        }
    }
}
