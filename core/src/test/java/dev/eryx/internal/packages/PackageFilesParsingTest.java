package dev.eryx.internal.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The small parsers behind reading packages: RECORD's CSV, core metadata, entry paths. */
class PackageFilesParsingTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void recordRowsMayBeQuoted() {
        List<Record.Entry> entries =
                Record.parse(
                        bytes(
                                "\"odd,name.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
                                        + "\"say \"\"hi\"\".txt\",,\n"
                                        + "plain.py,,\n"),
                        "RECORD",
                        false);

        assertEquals("odd,name.py", entries.get(0).path());
        assertTrue(entries.get(0).matches(new byte[0]));
        assertFalse(entries.get(0).matches(bytes("x")));
        assertEquals("say \"hi\".txt", entries.get(1).path());
        assertEquals(-1, entries.get(2).size());
    }

    @Test
    void recordRefusesWeakOrMalformedDigests() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Record.parse(bytes("a.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,0\n"), "RECORD", false));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        Record.parse(
                                bytes(
                                        "a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=,0\n"),
                                "RECORD",
                                false));
        String hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assertThrows(
                IllegalArgumentException.class,
                () -> Record.parse(bytes("a.py,sha256=" + hex + ",0\n"), "RECORD", false));
        assertTrue(
                Record.parse(bytes("a.py,sha256=" + hex + ",0\n"), "RECORD", true)
                        .get(0)
                        .matches(new byte[0]));
        // Installed trees: a digest that cannot be used is dropped, the size still checked.
        Record.Entry md5 =
                Record.parse(bytes("a.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,0\n"), "RECORD", true).get(0);
        assertTrue(md5.matches(new byte[0]));
        assertFalse(md5.matches(bytes("x")));
    }

    @Test
    void metadataHeadersContinueAndStopAtTheBody() {
        DistributionMetadata m =
                DistributionMetadata.parse(
                        bytes(
                                "Metadata-Version: 2.1\r\nName: Demo\r\nVersion: 1.0\r\n"
                                        + "License: line one\r\n  line two\r\n"
                                        + "Requires-Dist: a>=1\r\nRequires-Dist: b ; extra == 'x'\r\n"
                                        + "\r\nRequires-Dist: not-a-header\r\n"),
                        "METADATA");

        assertEquals("Demo", m.name());
        assertEquals("1.0", m.version());
        assertEquals(List.of("a>=1", "b ; extra == 'x'"), m.requiresDist());
        Map<String, List<String>> headers =
                DistributionMetadata.headers(bytes("License: line one\n  line two\n"));
        assertEquals(List.of("line one\nline two"), headers.get("license"));
        assertThrows(
                IllegalArgumentException.class,
                () -> DistributionMetadata.parse(bytes("Name: x\n"), "METADATA"));
    }

    @Test
    void entryPathsNormalizeAndResolve() {
        assertEquals("a/b", EntryPath.normalize("a/./b"));
        assertEquals("a/b", EntryPath.normalize("a//b/"));
        assertEquals(Optional.of("x/y.py"), EntryPath.resolve("", "x/y.py"));
        assertEquals(
                Optional.of("pkg/mod.py"), EntryPath.resolve("pkg-1.egg-info", "../pkg/mod.py"));
        assertEquals(Optional.empty(), EntryPath.resolve("", "../../../bin/x"));
        assertEquals(Optional.empty(), EntryPath.resolve("", "/usr/bin/x"));
        assertTrue(EntryPath.isBytecode("pkg/__pycache__/m.cpython-311.pyc"));
        assertTrue(EntryPath.isBytecode("m.pyc"));
        assertFalse(EntryPath.isBytecode("my__pycache__/m.py"));
    }
}
