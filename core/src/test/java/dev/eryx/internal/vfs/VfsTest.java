package dev.eryx.internal.vfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class VfsTest {
    static Errno errnoOf(Runnable action) {
        return assertThrows(ErrnoException.class, action::run).errno();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] zip(String... namesAndContents) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                ZipEntry entry = new ZipEntry(namesAndContents[i]);
                if (i / 2 % 2 == 1) { // alternate stored and deflated entries
                    byte[] content = utf8(namesAndContents[i + 1]);
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(content);
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(content.length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(utf8(namesAndContents[i + 1]));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void hostApiReadsWritesListsDeletes() {
        Vfs vfs = Vfs.builder().build();
        vfs.mkdirs("/a/b/c");
        vfs.mkdirs("/a/b/c"); // idempotent
        vfs.writeFile("/a/b/file.txt", utf8("hello"));
        assertArrayEquals(utf8("hello"), vfs.readFile("/a/b/file.txt"));
        vfs.writeFile("/a/b/file.txt", utf8("hi"));
        assertArrayEquals(utf8("hi"), vfs.readFile("/a/b/file.txt"));
        assertEquals(List.of("c", "file.txt"), vfs.list("/a/b"));
        assertTrue(vfs.exists("/a/b/c"));
        assertEquals(NodeType.DIRECTORY, vfs.stat("/a/b/c").type());
        assertEquals(2, vfs.stat("/a/b/file.txt").size());
        assertEquals(Errno.NOTEMPTY, errnoOf(() -> vfs.delete("/a/b")));
        vfs.delete("/a/b/c");
        vfs.delete("/a/b/file.txt");
        assertEquals(List.of(), vfs.list("/a/b"));
        assertFalse(vfs.exists("/a/b/file.txt"));
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.readFile("/missing")));
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.writeFile("/no/such/dir/f", new byte[0])));
        assertEquals(Errno.ISDIR, errnoOf(() -> vfs.readFile("/a")));
        assertThrows(IllegalArgumentException.class, () -> vfs.readFile("relative"));
    }

    @Test
    void dotDotNeverGoesAboveRoot() {
        Vfs vfs = Vfs.builder().build();
        vfs.mkdirs("/x");
        vfs.writeFile("/x/f", utf8("1"));
        assertArrayEquals(utf8("1"), vfs.readFile("/../../../x/f"));
        assertArrayEquals(utf8("1"), vfs.readFile("/x/../x/./f"));
        Resolution r = vfs.resolve(vfs.rootChain(), "../../..", true);
        assertSame(vfs.root(), r.node());
        assertNull(r.name());
    }

    @Test
    void symlinksResolveInTheGuestNamespaceWithLoopDetection() {
        Vfs vfs = Vfs.builder().build();
        vfs.mkdirs("/d");
        vfs.writeFile("/d/target", utf8("t"));
        vfs.root().createSymlink("abs", "/d/target");
        DirectoryNode d = (DirectoryNode) vfs.resolve(vfs.rootChain(), "/d", true).node();
        d.createSymlink("rel", "target");
        d.createSymlink("up", "../d/target");
        d.createSymlink("escape", "../../../../d/target"); // .. stops at /
        d.createSymlink("dirlink", ".");
        d.createSymlink("self", "self");
        d.createSymlink("a", "b");
        d.createSymlink("b", "a");
        for (String path :
                List.of("/abs", "/d/rel", "/d/up", "/d/escape", "/d/dirlink/dirlink/target")) {
            assertArrayEquals(utf8("t"), vfs.readFile(path), path);
        }
        assertEquals(Errno.LOOP, errnoOf(() -> vfs.readFile("/d/self")));
        assertEquals(Errno.LOOP, errnoOf(() -> vfs.readFile("/d/a")));
        assertEquals(NodeType.SYMLINK, vfs.resolve(vfs.rootChain(), "/d/a", false).node().type());
        // Trailing slash forces following and a directory.
        assertEquals(Errno.NOTDIR, errnoOf(() -> vfs.resolve(vfs.rootChain(), "/d/rel/", false)));
    }

    @Test
    void pathAndNameLimits() {
        Vfs vfs = Vfs.builder().build();
        assertEquals(
                Errno.NAMETOOLONG,
                errnoOf(() -> vfs.resolve(vfs.rootChain(), "/" + "a".repeat(256), true)));
        assertEquals(
                Errno.NAMETOOLONG,
                errnoOf(() -> vfs.resolve(vfs.rootChain(), "/a".repeat(3000), true)));
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.resolve(vfs.rootChain(), "", true)));
        // Depth limit even when reached one relative step at a time.
        DirectoryNode[] chain = vfs.rootChain();
        ErrnoException deep = null;
        for (int i = 0; i < Vfs.MAX_DEPTH + 5 && deep == null; i++) {
            try {
                Resolution r = vfs.resolve(chain, "d", true);
                if (r.node() == null) {
                    r.parent().createDirectory("d");
                    r = vfs.resolve(chain, "d", true);
                }
                chain = r.chainIncludingNode();
                vfs.resolve(chain, "x", true);
            } catch (ErrnoException e) {
                deep = e;
            }
        }
        assertEquals(Errno.NAMETOOLONG, deep == null ? null : deep.errno());
    }

    @Test
    void quotaExceededIsEnospcAndDeletesRefund() {
        Vfs vfs = Vfs.builder().maxBytes(100).build();
        vfs.writeFile("/a", new byte[60]);
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.writeFile("/b", new byte[41])));
        vfs.writeFile("/b", new byte[40]);
        assertEquals(100, vfs.usedBytes());
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createSymlink("s", "x")));
        vfs.delete("/a");
        assertEquals(40, vfs.usedBytes());
        vfs.writeFile("/b", new byte[10]); // rewrite shrinks
        assertEquals(10, vfs.usedBytes());
        FileNode b = (FileNode) vfs.resolve(vfs.rootChain(), "/b", true).node();
        try (OpenFile f = b.open(true)) {
            assertEquals(Errno.NOSPC, errnoOf(() -> f.truncate(101)));
            f.truncate(100);
            f.truncate(5);
            assertEquals(5, vfs.usedBytes());
            byte[] buf = new byte[10];
            f.truncate(10); // re-extension reads zeros
            assertEquals(10, f.read(0, buf, 0, 10));
            assertArrayEquals(new byte[10], buf);
        }
    }

    @Test
    void renameSemantics() {
        Vfs vfs = Vfs.builder().build();
        vfs.mkdirs("/d/sub");
        vfs.mkdirs("/e");
        vfs.writeFile("/f", utf8("f"));
        vfs.writeFile("/g", utf8("g"));
        DirectoryNode[] root = vfs.rootChain();
        vfs.rename(vfs.resolve(root, "/f", false), vfs.resolve(root, "/g", false)); // replaces
        assertArrayEquals(utf8("f"), vfs.readFile("/g"));
        assertFalse(vfs.exists("/f"));
        assertEquals(
                Errno.INVAL,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(root, "/d", false),
                                        vfs.resolve(root, "/d/sub/x", false))));
        assertEquals(
                Errno.ISDIR,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(root, "/g", false),
                                        vfs.resolve(root, "/e", false))));
        assertEquals(
                Errno.NOTDIR,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(root, "/e", false),
                                        vfs.resolve(root, "/g", false))));
        assertEquals(
                Errno.NOTEMPTY,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(root, "/e", false),
                                        vfs.resolve(root, "/d", false))));
        vfs.rename(
                vfs.resolve(root, "/d", false), vfs.resolve(root, "/e", false)); // onto empty dir
        assertTrue(vfs.exists("/e/sub"));
        assertEquals(
                Errno.NOENT,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(root, "/nope", false),
                                        vfs.resolve(root, "/x", false))));
    }

    @Test
    void zipLayerIsSharedReadOnlyAndMountable() throws Exception {
        ReadOnlyLayer layer =
                ReadOnlyLayer.fromZip(
                        zip(
                                "os.py", "import posix\n",
                                "encodings/__init__.py", "# enc\n",
                                "encodings/utf_8.py", "x = 1\n",
                                "../evil.py", "nope",
                                "/abs.py", "nope"));
        assertEquals(3, layer.fileCount());
        Vfs one = Vfs.builder().build();
        Vfs two = Vfs.builder().build();
        one.mount(layer, "/usr/local/lib/python3.14");
        two.mount(layer, "/lib/py");
        assertArrayEquals(utf8("import posix\n"), one.readFile("/usr/local/lib/python3.14/os.py"));
        assertArrayEquals(utf8("x = 1\n"), two.readFile("/lib/py/encodings/utf_8.py"));
        assertSame(
                one.resolve(one.rootChain(), "/usr/local/lib/python3.14/os.py", true).node(),
                two.resolve(two.rootChain(), "/lib/py/os.py", true).node(),
                "nodes are shared, not copied");
        assertEquals(List.of("encodings", "os.py"), one.list("/usr/local/lib/python3.14"));
        assertEquals(
                Errno.ROFS,
                errnoOf(() -> one.writeFile("/usr/local/lib/python3.14/os.py", new byte[1])));
        assertEquals(
                Errno.ROFS,
                errnoOf(() -> one.writeFile("/usr/local/lib/python3.14/new.py", new byte[1])));
        assertEquals(Errno.ROFS, errnoOf(() -> one.delete("/usr/local/lib/python3.14/os.py")));
        assertEquals(Errno.BUSY, errnoOf(() -> one.delete("/usr/local/lib/python3.14")));
        assertEquals(Errno.ROFS, errnoOf(() -> one.mkdirs("/usr/local/lib/python3.14/x")));
        // Renaming out of the layer crosses devices.
        DirectoryNode[] root = one.rootChain();
        assertEquals(
                Errno.XDEV,
                errnoOf(
                        () ->
                                one.rename(
                                        one.resolve(root, "/usr/local/lib/python3.14/os.py", false),
                                        one.resolve(root, "/os.py", false))));
        assertEquals(
                Errno.BUSY,
                errnoOf(
                        () ->
                                one.rename(
                                        one.resolve(root, "/usr/local/lib/python3.14", false),
                                        one.resolve(root, "/elsewhere", false))));
        assertFalse(one.exists("/evil.py"));
        // ".." from inside the layer goes back into the memory tree.
        one.writeFile("/usr/local/lib/marker", utf8("m"));
        assertArrayEquals(
                utf8("m"), one.readFile("/usr/local/lib/python3.14/encodings/../../marker"));
    }

    @Test
    void memoryTimesComeFromTheConfiguredClock() {
        Instant fixed = Instant.parse("2030-01-02T03:04:05Z");
        Vfs vfs = Vfs.builder().clock(Clock.fixed(fixed, ZoneOffset.UTC)).build();
        vfs.writeFile("/f", utf8("x"));
        long nanos = fixed.getEpochSecond() * 1_000_000_000L;
        Stat stat = vfs.stat("/f");
        assertEquals(nanos, stat.modifyTimeNanos());
        assertEquals(nanos, stat.accessTimeNanos());
        assertEquals(MemoryTree.DEVICE, stat.device());
    }
}
