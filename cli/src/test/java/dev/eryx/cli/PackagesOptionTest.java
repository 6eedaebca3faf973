package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --package} and {@code --packages}: packages importable from {@code -c}, bad ones usage.
 */
class PackagesOptionTest {

    @Test
    void theHelpListsBothOptions() {
        CliRun r = CliRun.run("--help");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("--package=PATH"), r.out);
        assertTrue(r.out.contains("--packages=DIR"), r.out);
    }

    @Test
    void aMissingSourceIsAUsageErrorWithoutAStackTrace(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        CliRun notADirectory = CliRun.run("--packages", file.toString(), "-c", "pass");
        assertEquals(2, notADirectory.exitCode, notADirectory.toString());
        assertEquals(
                "eryx: --packages needs a directory: "
                        + file
                        + "\nTry 'eryx --help' for more information.\n",
                notADirectory.err);
        assertEquals("", notADirectory.out);
        Path missing = dir.resolve("missing.whl");
        CliRun noSuchFile = CliRun.run("--package", missing.toString(), "-c", "pass");
        assertEquals(2, noSuchFile.exitCode, noSuchFile.toString());
        assertEquals(
                "eryx: --package: no such file or directory: "
                        + missing
                        + "\nTry 'eryx --help' for more information.\n",
                noSuchFile.err);
        // The REPL path too: refused before the terminal opens.
        CliRun repl = CliRun.withStdin("", true, "--packages", file.toString());
        assertEquals(2, repl.exitCode, repl.toString());
        assertTrue(repl.err.startsWith("eryx: --packages needs a directory: "), repl.err);
    }

    @Test
    void packagesFromATreeAndAWheelDirectoryImport(@TempDir Path dir) throws IOException {
        Path site = dir.resolve("site");
        writeDistribution(
                site,
                "tabulate",
                "0.9.0",
                "def tabulate(rows):\n    return '|'.join(str(c) for c in rows[0])\n");
        Path other = dir.resolve("other");
        writeDistribution(other, "mypkg", "1.0", "VALUE = 42\n");
        CliRun r =
                CliRun.run(
                        "--packages",
                        site.toString(),
                        "--package",
                        other.toString(),
                        "-c",
                        "import tabulate, mypkg, importlib.metadata as md\n"
                                + "print(tabulate.tabulate([[1, 2]]), mypkg.VALUE, md.version('tabulate'))");
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("1|2 42 0.9.0\n", r.out);
    }

    @Test
    void aRefusedPackageIsAOneLineUsageError(@TempDir Path dir) throws IOException {
        Path sdist = Files.write(dir.resolve("mypkg-1.0.tar.gz"), new byte[] {0x1f, (byte) 0x8b});
        CliRun r = CliRun.run("--package", sdist.toString(), "-c", "pass");
        assertEquals(2, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("eryx: "), r.err);
        assertTrue(r.err.contains("mypkg-1.0.tar.gz"), r.err);
        assertTrue(r.err.endsWith("\nTry 'eryx --help' for more information.\n"), r.err);
        assertEquals(2, r.err.lines().count(), "one line of error, no stack trace: " + r.err);
    }

    @Test
    void anUnmetRequirementIsRefusedUnlessIgnored(@TempDir Path dir) throws IOException {
        Path site = dir.resolve("site");
        writeDistribution(site, "mypkg", "1.0", "VALUE = 42\n", "Requires-Dist: leftpad>=1\n");
        CliRun refused = CliRun.run("--packages", site.toString(), "-c", "pass");
        assertEquals(2, refused.exitCode, refused.toString());
        assertTrue(refused.err.contains("mypkg 1.0 requires leftpad>=1"), refused.err);
        assertTrue(refused.err.contains("--ignore-missing NAME"), refused.err);
        CliRun ignored =
                CliRun.run(
                        "--packages",
                        site.toString(),
                        "--ignore-missing",
                        "LeftPad",
                        "-c",
                        "import mypkg; print(mypkg.VALUE)");
        assertEquals(0, ignored.exitCode, ignored.toString());
        assertEquals("42\n", ignored.out);
    }

    /** An unpacked distribution as pip installs it: the module and its {@code .dist-info}. */
    static void writeDistribution(Path site, String name, String version, String module)
            throws IOException {
        writeDistribution(site, name, version, module, "");
    }

    static void writeDistribution(
            Path site, String name, String version, String module, String moreMetadata)
            throws IOException {
        Files.createDirectories(site.resolve(name));
        Files.writeString(site.resolve(name).resolve("__init__.py"), module);
        Path info = site.resolve(name + "-" + version + ".dist-info");
        Files.createDirectories(info);
        Files.writeString(
                info.resolve("METADATA"),
                "Metadata-Version: 2.1\nName: "
                        + name
                        + "\nVersion: "
                        + version
                        + "\n"
                        + moreMetadata,
                StandardCharsets.UTF_8);
    }
}
