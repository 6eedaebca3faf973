package dev.eryx;

import dev.eryx.internal.packages.PackageIdentity;
import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@link PythonPackages} made in memory, without {@code PackageSet.read}: a zip of the given files
 * as the shared tree, the given {@code sys.path} entries and identities. For tests of how
 * sandboxes, images, saved states and pools use packages.
 */
public final class TestPackages {
    private TestPackages() {}

    /**
     * A tree of two distributions as pip and Debian lay them out: {@code mypkg} (a {@code
     * .dist-info} with entry points, and {@code mypkg/data.bin} of {@code dataBytes}) at {@code
     * version}, {@code mypkg2} 2.5 (an {@code .egg-info}), and a namespace package {@code ns} split
     * between the root and {@code extra/}, a directory a {@code .pth} file names.
     */
    public static PythonPackages sample(String version, String sha256, int dataBytes) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        put(
                files,
                "mypkg/__init__.py",
                "VALUE = 42\nVERSION = '"
                        + version
                        + "'\n\ndef hello():\n    return 'hello from mypkg'\n");
        files.put("mypkg/data.bin", new byte[dataBytes]);
        put(
                files,
                "mypkg-" + version + ".dist-info/METADATA",
                "Metadata-Version: 2.1\nName: mypkg\nVersion: "
                        + version
                        + "\nRequires-Dist: mypkg2\n");
        put(
                files,
                "mypkg-" + version + ".dist-info/entry_points.txt",
                "[eryx.test]\nhello = mypkg:hello\n\n[console_scripts]\nmypkg = mypkg:hello\n");
        put(files, "mypkg-" + version + ".dist-info/top_level.txt", "mypkg\n");
        put(files, "mypkg2/__init__.py", "NAME = 'mypkg2'\n");
        put(
                files,
                "mypkg2-2.5.egg-info/PKG-INFO",
                "Metadata-Version: 1.1\nName: mypkg2\nVersion: 2.5\n");
        put(files, "ns/alpha.py", "WHO = 'alpha'\n");
        put(files, "extra.pth", "extra\n");
        put(files, "extra/ns/beta.py", "WHO = 'beta'\n");
        return of(
                files,
                List.of("", "extra"),
                List.of(
                        new PackageIdentity("mypkg", version, sha256),
                        new PackageIdentity("mypkg2", "2.5", "b".repeat(64))));
    }

    /** Packages of the given files, path entries and identities (in the order given). */
    public static PythonPackages of(
            Map<String, byte[]> files, List<String> pathEntries, List<PackageIdentity> ids) {
        PackageLayer layer = new PackageLayer(ReadOnlyLayer.fromZip(zip(files)), pathEntries, ids);
        List<PythonPackages.Distribution> distributions = new ArrayList<>();
        for (PackageIdentity id : ids) {
            distributions.add(
                    new PythonPackages.Distribution(
                            id.name(), id.version(), id.sha256(), List.of(), List.of(), List.of()));
        }
        return new PythonPackages(layer, distributions);
    }

    private static void put(Map<String, byte[]> files, String name, String text) {
        files.put(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] zip(Map<String, byte[]> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
