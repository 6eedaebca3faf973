package dev.eryx.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source lookup without a download, and the tar reader. */
class CPythonTestSourcesTest {
    @Test
    void thePinIsTheTarballTheWasmIsBuiltFrom() throws IOException {
        String recipe = Files.readString(Path.of("..", "wasm-assets", "build", "build.sh"));
        assertTrue(
                recipe.contains(
                        "/" + CPythonTestSources.TARBALL + " " + CPythonTestSources.SHA256 + "\""),
                "wasm-assets/build/build.sh pins another CPython source than"
                        + " cpython-source.properties");
    }

    @Test
    void aCacheMissWithFetchingOffSaysHowToFetch(@TempDir Path cache) {
        var settings = new CPythonTestSources.Settings(null, cache, false, null);
        IOException e =
                assertThrows(
                        CPythonTestSources.NotCachedException.class,
                        () -> CPythonTestSources.libDir(settings));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "CPython test sources not cached: run"
                                        + " core/src/test/conformance/fetch-cpython-tests.sh"),
                e.getMessage());
    }

    /** Runs the real fetch script against a port nothing listens on: a skip, not a failure. */
    @Test
    void anUnreachableMirrorIsNotCachedRatherThanAnError(@TempDir Path cache) {
        var settings = new CPythonTestSources.Settings(null, cache, true, "http://127.0.0.1:9");
        IOException e =
                assertThrows(
                        CPythonTestSources.NotCachedException.class,
                        () -> CPythonTestSources.libDir(settings));
        assertTrue(e.getMessage().contains("the download failed"), e.getMessage());
        assertFalse(Files.exists(cache.resolve(CPythonTestSources.TARBALL)));
    }

    @Test
    void extractsUstarGnuLongNamesAndPaxPathsUnderThePrefix(@TempDir Path dir) throws IOException {
        String longName = "P/Lib/test/" + "d".repeat(120) + "/long.py";
        String paxName = "P/Lib/test/pax/" + "é".repeat(70) + ".txt";
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        entry(tar, "P/Lib/test/", '5', new byte[0]);
        entry(tar, "P/Lib/test/a.py", '0', "print(1)\n".getBytes(StandardCharsets.UTF_8));
        entry(tar, "P/Lib/other.py", '0', "no".getBytes(StandardCharsets.UTF_8));
        entry(tar, "././@LongLink", 'L', (longName + "\0").getBytes(StandardCharsets.UTF_8));
        entry(tar, "truncated", '0', "long".getBytes(StandardCharsets.UTF_8));
        byte[] rec = pax("path", paxName);
        entry(tar, "PaxHeaders/x", 'x', rec);
        entry(tar, "short-ustar-name", '0', "pax".getBytes(StandardCharsets.UTF_8));
        entry(tar, "P/Lib/test/link", '2', new byte[0]);
        tar.write(new byte[1024]);

        Path out = dir.resolve("out");
        int n =
                CPythonTestSources.extractTar(
                        new ByteArrayInputStream(tar.toByteArray()), "P/Lib/test/", out);
        assertEquals(3, n);
        assertEquals("print(1)\n", Files.readString(out.resolve("a.py")));
        assertEquals("long", Files.readString(out.resolve("d".repeat(120) + "/long.py")));
        assertEquals("pax", Files.readString(out.resolve("pax/" + "é".repeat(70) + ".txt")));
        assertFalse(Files.exists(out.resolve("link")));
        assertFalse(Files.exists(dir.resolve("other.py")));
    }

    @Test
    void rejectsEntriesThatLeaveTheDestination(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        entry(tar, "P/Lib/test/../../escape.py", '0', "x".getBytes(StandardCharsets.UTF_8));
        tar.write(new byte[1024]);
        assertThrows(
                IOException.class,
                () ->
                        CPythonTestSources.extractTar(
                                new ByteArrayInputStream(tar.toByteArray()),
                                "P/Lib/test/",
                                dir.resolve("out")));
        assertFalse(Files.exists(dir.resolve("escape.py")));
    }

    @Test
    void paxRecordsCountBytes() {
        byte[] recs = concat(pax("mtime", "1.5"), pax("path", "ü/x"), pax("comment", "a=b"));
        assertEquals("ü/x", CPythonTestSources.paxValue(recs, "path"));
        assertEquals("a=b", CPythonTestSources.paxValue(recs, "comment"));
        assertNull(CPythonTestSources.paxValue(recs, "linkpath"));
    }

    private static byte[] pax(String key, String value) {
        byte[] body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
        int len = body.length + 1;
        while (String.valueOf(len).length() + body.length != len) {
            len++;
        }
        return (len + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static void entry(ByteArrayOutputStream tar, String name, char type, byte[] data) {
        byte[] h = new byte[512];
        byte[] nb = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(nb, 0, h, 0, Math.min(100, nb.length));
        put(h, 100, String.format("%07o", 0644));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, "00000000000");
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        tar.writeBytes(h);
        tar.writeBytes(data);
        tar.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
