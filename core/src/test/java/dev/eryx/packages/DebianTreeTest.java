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
 * scripts outside the tree or absent, hex digests) reads cleanly. The tree is the fixtures' ({@link
 * DebianPackages#all()}, whose {@code .so} files are deleted), or one of one's own with its {@code
 * .so} files: {@code -Deryx.packages.debianTree=<root>/usr/lib/python3/dist-packages}, made with
 * {@code apt-get download python3-requests ...} and {@code dpkg-deb -x}.
 */
class DebianTreeTest {
    @Test
    void debiansDistPackagesReads() {
        String property = System.getProperty("eryx.packages.debianTree");
        Path tree = property != null ? Path.of(property) : DebianPackages.all().distPackages();
        Assumptions.assumeTrue(Files.isDirectory(tree), "no Debian tree at " + tree);

        List<PythonPackages.Distribution> list = PythonPackages.of(tree).list();
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
        if (Files.exists(tree.resolve("yaml/_yaml.cpython-311-x86_64-linux-gnu.so"))) {
            assertTrue(
                    byName.get("pyyaml").warnings().stream()
                            .anyMatch(w -> w.contains(".so") && w.contains("native")),
                    byName.get("pyyaml").warnings()::toString);
        }
    }
}
