package dev.eryx.packages;

import static dev.eryx.packages.PythonPackagesValidationTest.content;
import static dev.eryx.packages.PythonPackagesValidationTest.lookup;
import static dev.eryx.packages.Refusals.assertContainsAll;
import static dev.eryx.packages.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonPackages;
import dev.eryx.internal.packages.PackageSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacked site-packages trees: pip's (.dist-info with RECORD) and Debian's (.egg-info). */
class InstalledTreeTest {
    @TempDir Path dir;

    private Path write(String path, String content) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }

    private void distInfo(String name, String version, String record, String... requires)
            throws IOException {
        String base = name + "-" + version + ".dist-info/";
        StringBuilder metadata =
                new StringBuilder(
                        "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
        for (String r : requires) {
            metadata.append("Requires-Dist: ").append(r).append('\n');
        }
        write(base + "METADATA", metadata.toString());
        if (record != null) {
            write(base + "RECORD", record);
        }
    }

    private static String hash(String content) {
        byte[] bytes = TestWheel.bytes(content);
        return "sha256=" + TestWheel.sha256(bytes) + "," + bytes.length;
    }

    @Test
    void aDistInfoTreeIsReadWithItsRecord() throws IOException {
        String so = "demo/_native.cpython-311-x86_64-linux-gnu.so";
        write("demo/__init__.py", "D = 1\n");
        write("demo/__pycache__/__init__.cpython-311.pyc", "bytecode");
        write(so, "ELF");
        write("loose.py", "L = 1\n");
        distInfo(
                "demo",
                "1.0",
                "demo/__init__.py,"
                        + hash("D = 1\n")
                        + "\n"
                        + so
                        + ",sha256="
                        + TestWheel.sha256(TestWheel.bytes("unstripped"))
                        + ",10\n"
                        + "demo/__pycache__/__init__.cpython-311.pyc,,\n"
                        + "demo-1.0.dist-info/RECORD,,\n"
                        + "../../../bin/demo,,\n"
                        + "demo/gone.py,,\n");

        PackageSet set = PackageSet.read(List.of(dir));
        PythonPackages.Distribution d = PythonPackages.of(dir).list().get(0);

        assertEquals("demo 1.0", d.toString());
        assertEquals(
                List.of(
                        "demo-1.0.dist-info/METADATA",
                        "demo-1.0.dist-info/RECORD",
                        "demo/__init__.py"),
                d.files());
        assertEquals(3, d.warnings().size(), d.warnings()::toString);
        assertContainsAll(d.warnings().get(0), "../../../bin/demo", "outside the tree");
        assertContainsAll(d.warnings().get(1), "demo/gone.py", "does not hold");
        assertContainsAll(d.warnings().get(2), so, "native");
        assertEquals("L = 1\n", content(set, "loose.py")); // on sys.path, nobody's
        assertNull(lookup(set, "demo/__pycache__"));
        assertNull(lookup(set, so));
    }

    @Test
    void aNativeFileNoMetadataListsIsWarnedToItsPackagesOwner() throws IOException {
        // RECORD names the package's module but not the .so next to it (Debian can do that).
        write("demo/__init__.py", "D = 1\n");
        write("demo/_fast.cpython-311-x86_64-linux-gnu.so", "ELF");
        distInfo("demo", "1.0", "demo/__init__.py," + hash("D = 1\n") + "\n");

        PythonPackages.Distribution d = PythonPackages.of(dir).list().get(0);

        assertEquals(1, d.warnings().size(), d.warnings()::toString);
        assertContainsAll(d.warnings().get(0), "demo/_fast.cpython-311-x86_64-linux-gnu.so");
    }

    @Test
    void aRecordMismatchIsRefused() throws IOException {
        write("demo/__init__.py", "changed\n");
        distInfo("demo", "1.0", "demo/__init__.py," + hash("D = 1\n") + "\n");

        assertRefused(
                () -> PythonPackages.of(dir),
                "demo-1.0.dist-info/RECORD",
                "demo/__init__.py does not match");
    }

    @Test
    void hexDigestsOfOlderInstallersAreRead() throws IOException {
        write("demo/__init__.py", "D = 1\n");
        String hex = HexFormat.of().formatHex(sha256(TestWheel.bytes("D = 1\n")));
        distInfo("demo", "1.0", "demo/__init__.py,sha256=" + hex + ",6\n");

        assertTrue(PythonPackages.of(dir).list().get(0).files().contains("demo/__init__.py"));
    }

    @Test
    void eggInfoDirectoriesAndFilesAreRead() throws IOException {
        write("requests/__init__.py", "R = 1\n");
        write(
                "requests-2.28.1.egg-info/PKG-INFO",
                "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nSummary: long\n"
                        + "  continued\n");
        write("requests-2.28.1.egg-info/top_level.txt", "requests\n");
        write(
                "requests-2.28.1.egg-info/requires.txt",
                "urllib3<1.27,>=1.21.1\n\n[socks]\nPySocks!=1.5.7,>=1.5.6\n");
        write("urllib3/__init__.py", "");
        write("urllib3-1.26.12.egg-info/PKG-INFO", "Name: urllib3\nVersion: 1.26.12\n");
        write(
                "urllib3-1.26.12.egg-info/installed-files.txt",
                "../urllib3/__init__.py\nPKG-INFO\n../../../bin/x\n");
        write("six.py", "");
        write("six-1.16.0.egg-info", "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n");

        List<PythonPackages.Distribution> list = PythonPackages.of(dir).list();

        assertEquals("[requests 2.28.1, six 1.16.0, urllib3 1.26.12]", list.toString());
        assertEquals(2, list.get(0).requires().size(), list.get(0).requires()::toString);
        assertTrue(list.get(0).requires().get(0).startsWith("urllib3"));
        assertTrue(
                list.get(0)
                        .files()
                        .containsAll(
                                List.of(
                                        "requests/__init__.py",
                                        "requests-2.28.1.egg-info/PKG-INFO")));
        assertEquals(List.of("six-1.16.0.egg-info"), list.get(1).files());
        assertTrue(list.get(2).files().contains("urllib3/__init__.py"));
        assertEquals(1, list.get(2).warnings().size(), list.get(2).warnings()::toString);
        assertContainsAll(list.get(2).warnings().get(0), "../../../bin/x", "outside the tree");
    }

    @Test
    void aMissingDependencyOfATreeIsReported() throws IOException {
        write("requests-2.28.1.egg-info/PKG-INFO", "Name: requests\nVersion: 2.28.1\n");
        write("requests-2.28.1.egg-info/requires.txt", "charset_normalizer<4,>=2\nidna<4,>=2.5\n");

        assertRefused(
                () -> PythonPackages.of(dir),
                "requests 2.28.1 requires charset_normalizer<4,>=2, which is not among the"
                        + " packages",
                "requests 2.28.1 requires idna<4,>=2.5, which is not among the packages");
    }

    @Test
    void missingMetadataIsRefused() throws IOException {
        Files.createDirectories(dir.resolve("demo-1.0.dist-info"));
        write("demo-1.0.dist-info/RECORD", "");

        assertRefused(() -> PythonPackages.of(dir), "demo-1.0.dist-info has no METADATA");
    }

    @Test
    void twoVersionsInOneTreeAreRefused() throws IOException {
        distInfo("demo", "1.0", null);
        distInfo("demo", "2.0", null);

        assertRefused(
                () -> PythonPackages.of(dir),
                "two versions of demo",
                "demo-1.0.dist-info",
                "demo-2.0.dist-info");
    }

    @Test
    void symlinksOutOfTheTreeAreRefusedInsideCopied() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("demo-1.0.dist-info"));
        Files.writeString(
                tree.resolve("demo-1.0.dist-info/METADATA"), "Name: demo\nVersion: 1.0\n");
        Files.createDirectories(tree.resolve("demo"));
        Files.writeString(tree.resolve("demo/real.py"), "R = 1\n");
        Files.createSymbolicLink(tree.resolve("demo/alias.py"), tree.resolve("demo/real.py"));
        Files.createSymbolicLink(tree.resolve("demo_alias"), Path.of("demo"));

        PackageSet set = PackageSet.read(List.of(tree));
        assertEquals("R = 1\n", content(set, "demo/alias.py"));
        assertEquals("R = 1\n", content(set, "demo_alias/real.py"));

        Path link =
                Files.createSymbolicLink(
                        tree.resolve("demo/leak.txt"), outside.resolve("secret.txt"));
        assertRefused(() -> PythonPackages.of(tree), link.toString(), "outside the tree");
        Files.delete(link);
        Path up = Files.createSymbolicLink(tree.resolve("demo/up"), Path.of("../../outside"));
        assertRefused(() -> PythonPackages.of(tree), up.toString(), "outside the tree");
        Files.delete(up);
        Path loop = Files.createSymbolicLink(tree.resolve("demo/loop"), tree.resolve("demo"));
        assertRefused(() -> PythonPackages.of(tree), loop.toString(), "ancestor");
    }

    @Test
    void filesAreCopiedAtValidation() throws IOException {
        Path module = write("demo/__init__.py", "BEFORE\n");
        distInfo("demo", "1.0", null);

        PackageSet set = PackageSet.read(List.of(dir));
        Files.writeString(module, "AFTER\n");
        Files.delete(dir.resolve("demo-1.0.dist-info/METADATA"));

        assertEquals("BEFORE\n", content(set, "demo/__init__.py"));
    }

    @Test
    void aWheelAndATreeMayShareANamespaceButNotAFile() throws IOException {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("ns/a"));
        Files.writeString(tree.resolve("ns/a/__init__.py"), "A\n");
        Files.createDirectories(tree.resolve("nsa-1.0.dist-info"));
        Files.writeString(tree.resolve("nsa-1.0.dist-info/METADATA"), "Name: nsa\nVersion: 1.0\n");
        Path wheels = Files.createDirectories(dir.resolve("wheels"));
        Path ok = TestWheel.of("nsb", "1.0").file("ns/b/__init__.py", "B\n").write(wheels);
        Path clash = TestWheel.of("nsc", "1.0").file("ns/a/__init__.py", "C\n").write(dir);

        assertEquals(2, PythonPackages.of(tree, ok).list().size());
        assertRefused(
                () -> PythonPackages.of(tree, clash),
                "ns/a/__init__.py",
                tree.toString(),
                clash.toString());
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
