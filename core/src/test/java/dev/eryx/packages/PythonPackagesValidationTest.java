package dev.eryx.packages;

import static dev.eryx.packages.Refusals.assertContainsAll;
import static dev.eryx.packages.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonPackages;
import dev.eryx.internal.packages.PackageSet;
import dev.eryx.internal.packages.ReadLimits;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every validation of issue 16 item 2 on wheels, each with the message it gives. */
class PythonPackagesValidationTest {
    private static final ReadLimits SMALL = new ReadLimits(100, 1 << 20, 200, 1 << 20);

    @TempDir Path dir;

    @Test
    void aPureWheelIsListedAndServed() throws IOException {
        Path wheel =
                TestWheel.of("demo-pkg", "1.2.3")
                        .requires("extra-thing ; extra == 'docs'")
                        .file("demo_pkg/__init__.py", "VALUE = 42\n")
                        .file("demo_pkg/data.txt", "hello")
                        .file("demo_pkg/__pycache__/x.cpython-311.pyc", "bytecode")
                        .write(dir);

        PackageSet set = PackageSet.read(List.of(wheel));
        PythonPackages.Distribution d = PythonPackages.of(wheel).list().get(0);

        assertEquals("demo-pkg", d.name());
        assertEquals("1.2.3", d.version());
        assertEquals(List.of("extra-thing ; extra == 'docs'"), d.requires());
        assertEquals(
                List.of(
                        "demo_pkg-1.2.3.dist-info/METADATA",
                        "demo_pkg-1.2.3.dist-info/RECORD",
                        "demo_pkg-1.2.3.dist-info/WHEEL",
                        "demo_pkg/__init__.py",
                        "demo_pkg/data.txt"),
                d.files());
        assertTrue(d.sha256().matches("[0-9a-f]{64}"), d.sha256());
        assertEquals(List.of(), d.warnings());
        assertEquals("VALUE = 42\n", content(set, "demo_pkg/__init__.py"));
        assertNull(lookup(set, "demo_pkg/__pycache__"));
        assertEquals(List.of(""), set.layer().pathEntries());
        assertEquals("demo-pkg", set.layer().identities().get(0).name());
        assertEquals(d.sha256(), set.layer().identities().get(0).sha256());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo-1.0.tar.gz", "demo-1.0.zip", "demo-1.0.tar.bz2"})
    void sdistsAreRefused(String name) throws IOException {
        Path sdist = Files.write(dir.resolve(name), new byte[] {1, 2, 3});

        assertRefused(
                () -> PythonPackages.of(sdist),
                name,
                "is a source distribution",
                "build a wheel first",
                "pip wheel");
    }

    @Test
    void anSdistInADirectoryOfWheelsIsRefused() throws IOException {
        TestWheel.of("demo", "1.0").file("demo.py", "").write(dir);
        Files.write(dir.resolve("other-2.0.tar.gz"), new byte[] {1});

        assertRefused(() -> PythonPackages.of(dir), "other-2.0.tar.gz", "build a wheel first");
    }

    @Test
    void anythingElseIsRefusedNamingIt() throws IOException {
        Path other = Files.writeString(dir.resolve("notes.txt"), "hi");

        assertRefused(() -> PythonPackages.of(other), other.toString(), "neither a wheel");
        assertRefused(
                () -> PythonPackages.of(dir.resolve("absent.whl")), "absent.whl", "no such file");
        assertRefused(() -> PythonPackages.of(List.of()), "no package sources");
    }

    @Test
    void aDirectoryOfWheelsReadsEveryWheel() throws IOException {
        TestWheel.of("alpha", "1.0").file("alpha.py", "").write(dir);
        TestWheel.of("beta", "2.0").file("beta.py", "").requires("alpha>=1").write(dir);

        assertEquals("[alpha 1.0, beta 2.0]", PythonPackages.of(dir).list().toString());
    }

    @Test
    void aDirectoryWithBothOrNeitherIsRefused() throws IOException {
        Path both = Files.createDirectories(dir.resolve("both"));
        TestWheel.of("alpha", "1.0").file("alpha.py", "").write(both);
        Files.createDirectories(both.resolve("x-1.0.dist-info"));
        Path neither = Files.createDirectories(dir.resolve("neither"));
        Files.writeString(neither.resolve("mod.py"), "");

        assertRefused(() -> PythonPackages.of(both), both.toString(), "both wheels and");
        assertRefused(() -> PythonPackages.of(neither), neither.toString(), "neither wheels");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "../evil.py|escapes its root",
                "demo/../../evil.py|escapes its root",
                "/etc/evil.py|absolute path",
                "demo\\evil.py|backslash",
                "C:/evil.py|drive letter",
                "demo/ev\0il.py|NUL"
            })
    void entriesEscapingTheRootAreRefused(String spec) throws IOException {
        String entry = spec.substring(0, spec.indexOf('|'));
        String reason = spec.substring(spec.indexOf('|') + 1);
        TestWheel wheel = TestWheel.of("demo", "1.0").file("demo.py", "").rawEntry(entry, "x");
        Path file = wheel.write(dir);

        assertRefused(() -> PythonPackages.of(file), wheel.fileName(), reason, "refused");
    }

    @Test
    void duplicateEntriesAreRefusedAlsoAfterNormalization() throws IOException {
        TestWheel wheel =
                TestWheel.of("demo", "1.0").file("demo/a.py", "").rawEntry("demo/./a.py", "x");
        Path file = wheel.write(dir);

        assertRefused(
                () -> PythonPackages.of(file), wheel.fileName(), "duplicate entry demo/./a.py");
    }

    @Test
    void exactDuplicateZipEntriesAreRefused() throws IOException {
        // ZipOutputStream refuses exact duplicates, a zip may still hold them: patch the names.
        Path file = dir.resolve("dup-1.0-py3-none-any.whl");
        try (OutputStream out = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("dup.py"));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("dup.PY"));
            zip.closeEntry();
        }
        byte[] bytes = Files.readAllBytes(file);
        replaceAll(bytes, "dup.PY", "dup.py");
        Files.write(file, bytes);

        assertRefused(() -> PythonPackages.of(file), file.toString(), "duplicate entry dup.py");
    }

    @Test
    void aHighlyCompressedEntryIsRefusedAsABomb() throws IOException {
        TestWheel wheel = TestWheel.of("demo", "1.0").file("demo/zeros.bin", new byte[4 << 20]);
        Path file = wheel.write(dir);

        assertRefused(
                () -> PythonPackages.of(file), wheel.fileName(), "demo/zeros.bin", "zip bomb");
    }

    @Test
    void entryCountAndTotalSizeAreCapped() throws IOException {
        TestWheel wheel = TestWheel.of("demo", "1.0");
        for (int i = 0; i < 10; i++) {
            wheel.file("demo/m" + i + ".py", "x = " + i + "\n".repeat(100));
        }
        Path file = wheel.write(dir);

        assertRefused(
                () -> read(file, new ReadLimits(5, 1 << 20, 200, 1 << 20)),
                wheel.fileName(),
                "more than 5 files");
        assertRefused(
                () -> read(file, new ReadLimits(100, 500, 200, 1 << 20)),
                wheel.fileName(),
                "more than 500 bytes");
        assertEquals(1, read(file, SMALL).distributions().size());
    }

    @Test
    void theCapsCountTheWholeSet() throws IOException {
        Path a = TestWheel.of("alpha", "1.0").file("alpha.py", "").write(dir);
        Path b = TestWheel.of("beta", "1.0").file("beta.py", "").write(dir);
        ReadLimits six = new ReadLimits(6, 1 << 20, 200, 1 << 20);

        // Four files each (module, METADATA, WHEEL, RECORD): one wheel fits, two do not.
        assertEquals(1, read(a, six).distributions().size());
        assertRefused(
                () -> PackageSet.read(List.of(a, b), new PackageSet.Options(six, Set.of())),
                "more than 6 files");
    }

    @Test
    void corruptArchivesAreRefusedNamingTheFile() throws IOException {
        Path garbage = Files.write(dir.resolve("demo-1.0-py3-none-any.whl"), new byte[100]);
        assertRefused(() -> PythonPackages.of(garbage), garbage.toString(), "corrupt");

        Path good = TestWheel.of("other", "1.0").file("other.py", "x = 1\n".repeat(500)).write(dir);
        byte[] bytes = Files.readAllBytes(good);
        Path truncated =
                Files.write(
                        dir.resolve("trunc-1.0-py3-none-any.whl"),
                        Arrays.copyOf(bytes, bytes.length - 30));
        assertRefused(() -> PythonPackages.of(truncated), truncated.toString(), "corrupt");

        byte[] flipped = bytes.clone();
        flipped[45] ^= 0x55; // inside the first entry's compressed data
        Path damaged = Files.write(dir.resolve("other-1.0-py3-none-any.whl"), flipped);
        assertRefused(() -> PythonPackages.of(damaged), damaged.toString(), "corrupt");
    }

    @Test
    void aFileMissingFromRecordIsRefused() throws IOException {
        TestWheel wheel = TestWheel.of("demo", "1.0").file("demo/a.py", "").unlisted("demo/a.py");
        Path file = wheel.write(dir);

        assertRefused(
                () -> PythonPackages.of(file),
                wheel.fileName(),
                "demo/a.py is not listed in demo-1.0.dist-info/RECORD");
    }

    @Test
    void aDigestMismatchIsRefused() throws IOException {
        TestWheel wheel = TestWheel.of("demo", "1.0").file("demo/a.py", "x").wrongHash("demo/a.py");
        Path file = wheel.write(dir);

        assertRefused(
                () -> PythonPackages.of(file),
                wheel.fileName(),
                "demo/a.py does not match its demo-1.0.dist-info/RECORD entry");
    }

    @Test
    void theWheelFileAndDistInfoAreChecked() throws IOException {
        TestWheel v2 =
                TestWheel.of("demo", "1.0")
                        .file("demo.py", "")
                        .wheelFile("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n");
        Path file = v2.write(dir);
        assertRefused(() -> PythonPackages.of(file), v2.fileName(), "Wheel-Version 2.0");

        Path other = Files.createDirectories(dir.resolve("other"));
        TestWheel mismatched =
                TestWheel.of("demo", "1.0").file("demo.py", "").distInfo("demo-2.0.dist-info");
        Path file2 = mismatched.write(other);
        assertRefused(
                () -> PythonPackages.of(file2),
                mismatched.fileName(),
                "demo-2.0.dist-info does not match the file name");
    }

    @Test
    void dataPurelibAndPlatlibAreInstalledTheRestIgnoredWithAWarning() throws IOException {
        Path wheel =
                TestWheel.of("demo", "1.0")
                        .file("demo/__init__.py", "")
                        .file("demo-1.0.data/purelib/demo/pure.py", "P = 1\n")
                        .file("demo-1.0.data/platlib/demo_plat.py", "Q = 1\n")
                        .file("demo-1.0.data/scripts/demo-cli", "#!python\n")
                        .write(dir);

        PackageSet set = PackageSet.read(List.of(wheel));
        PythonPackages.Distribution d = PythonPackages.of(wheel).list().get(0);

        assertEquals("P = 1\n", content(set, "demo/pure.py"));
        assertEquals("Q = 1\n", content(set, "demo_plat.py"));
        assertNull(lookup(set, "demo-1.0.data"));
        assertTrue(d.files().containsAll(List.of("demo/pure.py", "demo_plat.py")));
        assertFalse(d.files().stream().anyMatch(f -> f.contains(".data")), d.files()::toString);
        assertEquals(1, d.warnings().size(), d.warnings()::toString);
        assertContainsAll(d.warnings().get(0), "demo-1.0.data/scripts ignored");
    }

    @Test
    void nativeFilesInAPureWheelAreLeftOutWithAWarning() throws IOException {
        String so = "demo/_speedups.cpython-314-x86_64-linux-gnu.so";
        Path wheel =
                TestWheel.of("demo", "1.0")
                        .file("demo/__init__.py", "")
                        .file(so, "ELF")
                        .file("demo/helper.pyd", "MZ")
                        .write(dir);

        PackageSet set = PackageSet.read(List.of(wheel));
        PythonPackages.Distribution d = PythonPackages.of(wheel).list().get(0);

        assertEquals(2, d.warnings().size(), d.warnings()::toString);
        assertContainsAll(String.join("\n", d.warnings()), so, "demo/helper.pyd", "native");
        assertFalse(d.files().contains(so));
        assertNull(lookup(set, so));
    }

    @Test
    void namespacePackagesMergeAcrossDistributions() throws IOException {
        Path a = TestWheel.of("ns-a", "1.0").file("ns/a/__init__.py", "A = 1\n").write(dir);
        Path b = TestWheel.of("ns-b", "1.0").file("ns/b/__init__.py", "B = 1\n").write(dir);

        PackageSet set = PackageSet.read(List.of(a, b));

        assertEquals("A = 1\n", content(set, "ns/a/__init__.py"));
        assertEquals("B = 1\n", content(set, "ns/b/__init__.py"));
        assertNull(lookup(set, "ns/__init__.py"));
        assertEquals(2, set.layer().identities().size());
    }

    @Test
    void oneFileWithTwoContentsIsRefusedNamingBothSources() throws IOException {
        Path a = TestWheel.of("alpha", "1.0").file("shared/util.py", "A\n").write(dir);
        Path b = TestWheel.of("beta", "1.0").file("shared/util.py", "B\n").write(dir);
        Path c = TestWheel.of("gamma", "1.0").file("shared", "a file\n").write(dir);

        assertRefused(
                () -> PythonPackages.of(a, b),
                "shared/util.py",
                "different content",
                a.toString(),
                b.toString());
        assertRefused(
                () -> PythonPackages.of(a, c), "shared is a file in", a.toString(), c.toString());
    }

    @Test
    void twoVersionsOfOneProjectAreRefusedTheSameWheelTwiceIsFine() throws IOException {
        Path one = TestWheel.of("demo", "1.0").file("demo.py", "V = 1\n").write(dir);
        Path two = TestWheel.of("Demo", "2.0").file("demo2.py", "V = 2\n").write(dir);
        Path copy = Files.createDirectories(dir.resolve("copy"));
        Path again = Files.copy(one, copy.resolve(one.getFileName()));

        assertRefused(
                () -> PythonPackages.of(one, two),
                "two versions of",
                "1.0",
                "2.0",
                one.toString(),
                two.toString());
        assertEquals(1, PythonPackages.of(one, one, again).list().size());
    }

    @Test
    void everyMissingDependencyIsReportedAtOnce() throws IOException {
        Path app =
                TestWheel.of("app", "1.0")
                        .file("app.py", "")
                        .requires(
                                "charset_normalizer<4,>=2",
                                "idna (>=2.5)",
                                "helper>=2",
                                "docs-only ; extra == 'docs'",
                                "windows-only ; sys_platform == 'win32'")
                        .write(dir);
        Path helper = TestWheel.of("helper", "1.5").file("helper.py", "").write(dir);

        String message =
                assertRefused(
                        () -> PythonPackages.of(app, helper),
                        "app 1.0 requires charset_normalizer<4,>=2, which is not among the"
                                + " packages",
                        "app 1.0 requires idna (>=2.5), which is not among the packages",
                        "app 1.0 requires helper>=2, but the packages hold helper 1.5",
                        "ignoreMissing");
        assertFalse(message.contains("docs-only"), message);
        assertFalse(message.contains("windows-only"), message);
    }

    @Test
    void ignoreMissingIsTheEscapeHatch() throws IOException {
        Path app =
                TestWheel.of("app", "1.0")
                        .file("app.py", "")
                        .requires("Charset_Normalizer<4", "idna")
                        .write(dir);

        PythonPackages pkgs =
                PythonPackages.builder()
                        .add(app)
                        .ignoreMissing("charset-normalizer", "IDNA")
                        .build();

        assertEquals(1, pkgs.list().size());
        assertRefused(() -> PythonPackages.of(app), "idna", "Charset_Normalizer<4");
        assertRefused(
                () -> PythonPackages.builder().add(app).ignoreMissing("idna").build(),
                "Charset_Normalizer<4");
    }

    @Test
    void pthFilesAddDirectoriesAndIgnoreImports() throws IOException {
        Path wheel =
                TestWheel.of("demo", "1.0")
                        .file(
                                "demo.pth",
                                "# comment\n\nextra_dir\nimport os; os.system('x')\n"
                                        + "../outside\nmissing\n")
                        .file("extra_dir/plugin.py", "")
                        .write(dir);

        PackageSet set = PackageSet.read(List.of(wheel));
        PythonPackages.Distribution d = PythonPackages.of(wheel).list().get(0);

        assertEquals(List.of("", "extra_dir"), set.layer().pathEntries());
        assertEquals(3, d.warnings().size(), d.warnings()::toString);
        assertContainsAll(d.warnings().get(0), "demo.pth", "import line ignored");
        assertContainsAll(d.warnings().get(1), "demo.pth", "../outside");
        assertContainsAll(d.warnings().get(2), "demo.pth", "missing");
    }

    @Test
    void identitiesDependOnContentOnly() throws IOException {
        Path a1 = Files.createDirectories(dir.resolve("a1"));
        Path a2 = Files.createDirectories(dir.resolve("a2"));
        Path b = Files.createDirectories(dir.resolve("b"));
        TestWheel.of("demo", "1.0").file("demo.py", "X = 1\n").write(a1);
        TestWheel.of("demo", "1.0").file("demo.py", "X = 1\n").write(a2);
        TestWheel.of("demo", "1.0").file("demo.py", "X = 2\n").write(b);

        PackageSet one = PackageSet.read(List.of(a1));
        PackageSet same = PackageSet.read(List.of(a2));
        PackageSet other = PackageSet.read(List.of(b));

        assertEquals(one.layer().fingerprint(), same.layer().fingerprint());
        assertEquals(one.distributions().get(0).sha256(), same.distributions().get(0).sha256());
        assertNotEquals(one.layer().fingerprint(), other.layer().fingerprint());
    }

    @Test
    void identitiesAreSortedByNormalizedName() throws IOException {
        TestWheel.of("Zeta", "1.0").file("zeta.py", "").write(dir);
        TestWheel.of("alpha_beta", "1.0").metadataName("Alpha.Beta").file("ab.py", "").write(dir);

        PackageSet set = PackageSet.read(List.of(dir));

        assertEquals("alpha-beta", set.layer().identities().get(0).name());
        assertEquals("zeta", set.layer().identities().get(1).name());
        assertEquals("Alpha.Beta", set.distributions().get(0).name());
    }

    @Test
    void nothingIsKeptFromASetWithOneBadSource() throws IOException {
        Path good = TestWheel.of("good", "1.0").file("good.py", "").write(dir);
        Path bad =
                TestWheel.of("bad", "1.0")
                        .tags("cp314-cp314-linux_x86_64")
                        .file("bad.py", "")
                        .write(dir);

        assertRefused(() -> PythonPackages.of(good, bad), bad.toString(), "native");
    }

    static PackageSet read(Path source, ReadLimits limits) {
        return PackageSet.read(List.of(source), new PackageSet.Options(limits, Set.of()));
    }

    static Node lookup(PackageSet set, String path) {
        Node node = set.layer().tree().root();
        for (String part : path.split("/")) {
            if (!(node instanceof DirectoryNode)) {
                return null;
            }
            node = ((DirectoryNode) node).lookup(part);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    static String content(PackageSet set, String path) {
        FileNode file = assertInstanceOf(FileNode.class, lookup(set, path), path);
        byte[] buffer = new byte[(int) file.stat().size()];
        file.open(false).read(0, buffer, 0, buffer.length);
        return new String(buffer, StandardCharsets.UTF_8);
    }

    private static void replaceAll(byte[] bytes, String from, String to) {
        byte[] f = TestWheel.bytes(from);
        byte[] t = TestWheel.bytes(to);
        for (int i = 0; i + f.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, bytes, i, t.length);
            }
        }
    }
}
