package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MountMode.STAGED end to end: the guest writes, the host reviews, commits or discards. */
class StagedMountTest {
    @TempDir Path temp;
    private Path host;

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void hostDirectory() throws IOException {
        host = Files.createDirectory(temp.resolve("project"));
        Files.writeString(host.resolve("a.txt"), "one\ntwo\nthree\n");
        Files.writeString(host.resolve("old.txt"), "to be deleted\n");
        Files.write(host.resolve("b.bin"), new byte[] {0, 1, 2, 3});
        Files.createDirectories(host.resolve("sub"));
        Files.writeString(host.resolve("sub/x.txt"), "x\n");
        Files.createDirectories(host.resolve("gone/deeper"));
        Files.writeString(host.resolve("gone/deeper/f.txt"), "f\n");
    }

    private Sandbox staged() {
        return Sandbox.builder().mount(host, "/work", MountMode.STAGED).build();
    }

    /** Names, types, permissions, times and contents of everything below {@code root}. */
    static String treeHash(Path root) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted().collect(Collectors.toList());
        }
        for (Path p : paths) {
            String name = root.relativize(p).toString();
            digest.update(utf8(name + "\0"));
            if (Files.isSymbolicLink(p)) {
                digest.update(utf8("L" + Files.readSymbolicLink(p)));
                continue;
            }
            digest.update(
                    utf8(
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                                    + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS)
                                            .toMillis()));
            if (Files.isRegularFile(p)) {
                digest.update(Files.readAllBytes(p));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static final String EDITS =
            "import os\n"
                    + "open('/work/a.txt', 'a').write('four\\n')\n"
                    + "open('/work/new.txt', 'w').write('hello\\n')\n"
                    + "os.remove('/work/old.txt')\n"
                    + "open('/work/c.bin', 'wb').write(bytes([0, 255, 7]))\n"
                    + "os.rename('/work/sub/x.txt', '/work/sub/y.txt')\n"
                    + "os.mkdir('/work/newdir')\n"
                    + "os.remove('/work/gone/deeper/f.txt')\n"
                    + "os.rmdir('/work/gone/deeper')\n"
                    + "os.rmdir('/work/gone')\n";

    private static Map<String, PendingChange> byPath(List<PendingChange> changes) {
        Map<String, PendingChange> result = new TreeMap<>();
        for (PendingChange c : changes) {
            result.put(c.path(), c);
        }
        return result;
    }

    @Test
    void pendingChangesAreListedAndTheHostIsUntouched() throws Exception {
        String before = treeHash(host);
        try (Sandbox sandbox = staged()) {
            sandbox.execute(EDITS);
            assertEquals(before, treeHash(host), "the host directory is not written before commit");
            assertEquals(
                    "one\ntwo\nthree\nfour\nhello\n",
                    sandbox.execute(
                                    "result = open('/work/a.txt').read() +"
                                            + " open('/work/new.txt').read()")
                            .result()
                            .asText());
            assertEquals(
                    "['a.txt', 'b.bin', 'c.bin', 'new.txt', 'newdir', 'sub']",
                    sandbox.execute("import os\nresult = str(sorted(os.listdir('/work')))")
                            .result()
                            .asText());

            Map<String, PendingChange> changes = byPath(sandbox.files().pendingChanges());
            assertEquals(
                    List.of(
                            "/work/a.txt",
                            "/work/c.bin",
                            "/work/gone",
                            "/work/gone/deeper",
                            "/work/gone/deeper/f.txt",
                            "/work/new.txt",
                            "/work/newdir",
                            "/work/old.txt",
                            "/work/sub/x.txt",
                            "/work/sub/y.txt"),
                    List.copyOf(changes.keySet()));
            PendingChange a = changes.get("/work/a.txt");
            assertEquals(PendingChange.Kind.MODIFIED, a.kind());
            assertEquals(19, a.size());
            assertEquals(sha256(utf8("one\ntwo\nthree\nfour\n")), a.sha256().orElseThrow());
            assertEquals(
                    "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,4 @@\n one\n two\n three\n+four\n",
                    a.diff().orElseThrow());
            assertTrue(a.modeChange().isEmpty());

            PendingChange created = changes.get("/work/new.txt");
            assertEquals(PendingChange.Kind.CREATED, created.kind());
            assertEquals(
                    "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n",
                    created.diff().orElseThrow());
            assertEquals("new file mode 100644", created.modeChange().orElseThrow());

            PendingChange binary = changes.get("/work/c.bin");
            assertEquals(PendingChange.Kind.CREATED, binary.kind());
            assertEquals(3, binary.size());
            assertTrue(binary.diff().isEmpty(), "no diff for binary content");

            PendingChange deleted = changes.get("/work/old.txt");
            assertEquals(PendingChange.Kind.DELETED, deleted.kind());
            assertEquals(0, deleted.size());
            assertTrue(deleted.sha256().isEmpty());
            assertEquals(
                    "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-to be deleted\n",
                    deleted.diff().orElseThrow());
            assertTrue(deleted.modeChange().orElseThrow().startsWith("deleted file mode 100"));

            assertEquals(PendingChange.Kind.DELETED, changes.get("/work/sub/x.txt").kind());
            assertEquals(PendingChange.Kind.CREATED, changes.get("/work/sub/y.txt").kind());
            assertEquals(PendingChange.Kind.CREATED, changes.get("/work/newdir").kind());
            assertTrue(changes.get("/work/newdir").isDirectory());
            assertTrue(changes.get("/work/gone").isDirectory());
            assertEquals(PendingChange.Kind.DELETED, changes.get("/work/gone").kind());
        }
    }

    @Test
    void commitAppliesEverythingAndThenNothingIsPending() throws Exception {
        Files.setPosixFilePermissions(
                host.resolve("a.txt"), PosixFilePermissions.fromString("rwxr-x---"));
        try (Sandbox sandbox = staged()) {
            sandbox.execute(EDITS);
            sandbox.files().commit();
            assertEquals(List.of(), sandbox.files().pendingChanges());
            assertEquals("one\ntwo\nthree\nfour\n", Files.readString(host.resolve("a.txt")));
            assertEquals(
                    "rwxr-x---",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(host.resolve("a.txt"))),
                    "a replaced file keeps its permissions");
            assertEquals("hello\n", Files.readString(host.resolve("new.txt")));
            assertEquals(
                    "rw-r--r--",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(host.resolve("new.txt"))));
            assertArrayEquals(
                    new byte[] {0, (byte) 255, 7}, Files.readAllBytes(host.resolve("c.bin")));
            assertFalse(Files.exists(host.resolve("old.txt")));
            assertFalse(Files.exists(host.resolve("sub/x.txt")));
            assertEquals("x\n", Files.readString(host.resolve("sub/y.txt")));
            assertTrue(Files.isDirectory(host.resolve("newdir")));
            assertFalse(Files.exists(host.resolve("gone")));
            try (Stream<Path> files = Files.list(host)) {
                assertTrue(
                        files.noneMatch(p -> p.getFileName().toString().startsWith(".eryx")),
                        "no temporary file is left");
            }

            // The guest now sees the host, and keeps working on it.
            Files.writeString(host.resolve("new.txt"), "edited by the host\n");
            assertEquals(
                    "edited by the host\n",
                    sandbox.execute("result = open('/work/new.txt').read()").result().asText());
            sandbox.execute("open('/work/new.txt', 'a').write('and the guest\\n')");
            sandbox.files().commit();
            assertEquals(
                    "edited by the host\nand the guest\n",
                    Files.readString(host.resolve("new.txt")));
        }
    }

    @Test
    void commitOfSomePathsLeavesTheRestPending() throws Exception {
        try (Sandbox sandbox = staged()) {
            sandbox.execute(
                    "import os\nos.makedirs('/work/n1/n2')\nopen('/work/n1/n2/f.txt', 'w').write('f')\n"
                            + "open('/work/g.txt', 'w').write('g')");
            sandbox.files().commit(List.of("/work/n1/n2/f.txt"));
            assertEquals(
                    "f", Files.readString(host.resolve("n1/n2/f.txt")), "with its new parents");
            assertFalse(Files.exists(host.resolve("g.txt")));
            assertEquals(
                    List.of("/work/g.txt"),
                    sandbox.files().pendingChanges().stream()
                            .map(PendingChange::path)
                            .collect(Collectors.toList()));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> sandbox.files().commit(List.of("/work/a.txt")));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> sandbox.files().commit(List.of("/tmp/x")));
        }
    }

    @Test
    void aConcurrentHostEditRefusesTheWholeCommit() throws Exception {
        try (Sandbox sandbox = staged()) {
            sandbox.execute(EDITS);
            // Same size, same modification time: only the content tells.
            FileTime mtime = Files.getLastModifiedTime(host.resolve("a.txt"));
            Files.writeString(host.resolve("a.txt"), "ONE\ntwo\nthree\n");
            Files.setLastModifiedTime(host.resolve("a.txt"), mtime);
            Files.writeString(host.resolve("new.txt"), "the host made this too\n");
            String before = treeHash(host);
            CommitConflictException conflict =
                    assertThrows(CommitConflictException.class, () -> sandbox.files().commit());
            assertEquals(List.of("/work/a.txt", "/work/new.txt"), conflict.paths());
            assertEquals(before, treeHash(host), "nothing was written");
            assertEquals(
                    10, sandbox.files().pendingChanges().size(), "everything is still pending");

            // A file the guest only read is checked too: its size or time changed.
            sandbox.files().discard();
            sandbox.execute("data = open('/work/sub/x.txt').read()");
            Files.writeString(host.resolve("sub/x.txt"), "changed meanwhile\n");
            sandbox.execute("open('/work/sub/x.txt', 'w').write(data + 'more\\n')");
            assertThrows(CommitConflictException.class, () -> sandbox.files().commit());
            assertEquals("changed meanwhile\n", Files.readString(host.resolve("sub/x.txt")));
        }
    }

    @Test
    void discardLeavesTheHostByteForByteUnchanged() throws Exception {
        String before = treeHash(host);
        try (Sandbox sandbox = staged()) {
            sandbox.execute(EDITS);
            sandbox.files().discard();
            assertEquals(List.of(), sandbox.files().pendingChanges());
            assertEquals(before, treeHash(host));
            assertEquals(
                    "['a.txt', 'b.bin', 'gone', 'old.txt', 'sub']",
                    sandbox.execute("import os\nresult = str(sorted(os.listdir('/work')))")
                            .result()
                            .asText(),
                    "the guest sees the host again");
            assertEquals(
                    "one\ntwo\nthree\n",
                    sandbox.execute("result = open('/work/a.txt').read()").result().asText());
        }
        assertEquals(before, treeHash(host));
    }

    @Test
    void symlinksAreNeitherFollowedNorCreatedOutsideTheMount() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret\n");
        Files.createSymbolicLink(host.resolve("link"), outside);
        String outsideBefore = treeHash(outside);
        try (Sandbox sandbox = staged()) {
            String result =
                    sandbox.execute(
                                    "import os\nout = []\n"
                                            + "for f in [lambda: open('/work/link/secret.txt').read(),\n"
                                            + "          lambda: open('/work/link/new.txt', 'w').write('x'),\n"
                                            + "          lambda: os.symlink('/etc', '/work/mine'),\n"
                                            + "          lambda: os.rename('/work/link', '/work/moved')]:\n"
                                            + "    try:\n        f(); out.append('ok')\n"
                                            + "    except OSError as e:\n        out.append(type(e).__name__)\n"
                                            + "result = ','.join(out)")
                            .result()
                            .asText();
            assertEquals(
                    "FileNotFoundError,FileNotFoundError,PermissionError,PermissionError", result);

            // The host swaps a directory for a symlink under a pending change: refused.
            sandbox.execute("open('/work/sub/new.txt', 'w').write('n')");
            Path sub = host.resolve("sub");
            Files.move(sub, temp.resolve("sub-away"));
            Files.createSymbolicLink(sub, outside);
            assertThrows(CommitConflictException.class, () -> sandbox.files().commit());
            sandbox.files().discard();
        }
        assertEquals(outsideBefore, treeHash(outside));
        assertTrue(Files.isSymbolicLink(host.resolve("link")));
    }

    @Test
    void theOverlayCountsAgainstTheFilesystemQuota() throws Exception {
        Files.write(host.resolve("big.bin"), new byte[48 * 1024]);
        try (Sandbox sandbox =
                Sandbox.builder()
                        .mount(host, "/work", MountMode.STAGED)
                        .resourceLimits(ResourceLimits.builder().maxVfsBytes(64 * 1024).build())
                        .build()) {
            String result =
                    sandbox.execute(
                                    "import errno\nout = []\n"
                                            + "def write(path, mode, data):\n"
                                            + "    f = open(path, mode)\n"
                                            + "    try:\n        f.write(data); f.flush()\n"
                                            + "    except OSError as e:\n"
                                            + "        out.append(errno.errorcode[e.errno])\n"
                                            + "    finally:\n"
                                            + "        try:\n            f.close()\n"
                                            + "        except OSError:\n            pass\n"
                                            + "write('/work/huge.bin', 'wb', bytes(100 * 1024))\n"
                                            + "import os\nos.remove('/work/huge.bin')\n"
                                            + "write('/work/big.bin', 'ab', b'x')\n"
                                            + "write('/work/big2.bin', 'wb', bytes(20 * 1024))\n"
                                            + "result = ','.join(out)")
                            .result()
                            .asText();
            // the copy of big.bin (48 KiB) fits the 64 KiB quota; 20 KiB more do not
            assertEquals("ENOSPC,ENOSPC", result);
            sandbox.files().discard();
            sandbox.execute("open('/work/big2.bin', 'wb').write(bytes(20 * 1024))");
        }
    }

    @Test
    void writesAppearInTheLedgerWithGuestPaths() {
        try (Sandbox sandbox = staged()) {
            ExecutionResult result =
                    sandbox.execute(
                            "import os\nopen('/work/new.txt', 'w').write('hello')\nos.remove('/work/old.txt')");
            List<String> effects =
                    result.effects().stream()
                            .map(e -> e.kind() + " " + e.target())
                            .collect(Collectors.toList());
            assertTrue(effects.contains("FILE_WRITE /work/new.txt"), effects.toString());
            assertTrue(effects.contains("FILE_DELETE /work/old.txt"), effects.toString());
        }
    }

    @Test
    void aRenamedDirectoryIsCopiedAndItsOldPathDeleted() throws Exception {
        try (Sandbox sandbox = staged()) {
            sandbox.execute(
                    "import os\nos.rename('/work/gone', '/work/moved')\n"
                            + "open('/work/moved/deeper/g.txt', 'w').write('g')\n"
                            + "os.rename('/work/moved/deeper/g.txt', '/work/g2.txt')");
            assertEquals(
                    "f\n",
                    sandbox.execute("result = open('/work/moved/deeper/f.txt').read()")
                            .result()
                            .asText());
            Map<String, PendingChange> changes = byPath(sandbox.files().pendingChanges());
            assertEquals(
                    List.of(
                            "/work/g2.txt",
                            "/work/gone",
                            "/work/gone/deeper",
                            "/work/gone/deeper/f.txt",
                            "/work/moved",
                            "/work/moved/deeper",
                            "/work/moved/deeper/f.txt"),
                    List.copyOf(changes.keySet()));
            assertThrows(
                    PythonException.class,
                    () -> sandbox.execute("import os\nos.rename('/work/moved', '/work/moved/in')"));
            sandbox.files().commit();
        }
        assertFalse(Files.exists(host.resolve("gone")));
        assertEquals("f\n", Files.readString(host.resolve("moved/deeper/f.txt")));
        assertEquals("g", Files.readString(host.resolve("g2.txt")));
    }

    @Test
    void theHostApiWritesIntoTheOverlayToo() throws Exception {
        try (Sandbox sandbox = staged()) {
            sandbox.files().write("/work/from-host/h.txt", utf8("h"));
            assertFalse(Files.exists(host.resolve("from-host")));
            assertEquals(
                    "h",
                    new String(
                            sandbox.files().read("/work/from-host/h.txt"), StandardCharsets.UTF_8));
            sandbox.files().commit();
            assertEquals("h", Files.readString(host.resolve("from-host/h.txt")));
        }
    }

    @Test
    void savedStateKeepsPendingChangesAndWhatTheyFirstSaw() throws Exception {
        byte[] state;
        String before = treeHash(host);
        try (Sandbox sandbox = staged()) {
            sandbox.execute(EDITS + "kept = 'interpreter too'");
            state = sandbox.saveState();
        }
        assertEquals(before, treeHash(host), "saving writes nothing to the host");
        try (Sandbox restored =
                Sandbox.builder()
                        .mount(host, "/work", MountMode.STAGED)
                        .restoreFrom(state)
                        .build()) {
            assertEquals(10, restored.files().pendingChanges().size());
            assertEquals(
                    "one\ntwo\nthree\nfour\n interpreter too",
                    restored.execute("result = open('/work/a.txt').read() + ' ' + kept")
                            .result()
                            .asText());
            assertFalse(restored.files().exists("/work/old.txt"));
            restored.files().commit();
            assertEquals("one\ntwo\nthree\nfour\n", Files.readString(host.resolve("a.txt")));
            assertFalse(Files.exists(host.resolve("gone")));
        }

        // A host edit after the save: the restored overlay still refuses to commit over it.
        Files.writeString(host.resolve("a.txt"), "one\ntwo\nthree\n");
        try (Sandbox sandbox = staged()) {
            sandbox.execute("open('/work/a.txt', 'a').write('five\\n')");
            state = sandbox.saveState();
        }
        Files.writeString(host.resolve("a.txt"), "edited after the save\n");
        try (Sandbox restored =
                Sandbox.builder()
                        .mount(host, "/work", MountMode.STAGED)
                        .restoreFrom(state)
                        .build()) {
            CommitConflictException conflict =
                    assertThrows(CommitConflictException.class, () -> restored.files().commit());
            assertEquals(List.of("/work/a.txt"), conflict.paths());
            assertEquals("edited after the save\n", Files.readString(host.resolve("a.txt")));
        }
        // Without a staged mount there the state is refused, not silently dropped.
        byte[] saved = state;
        IllegalArgumentException refused =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Sandbox.builder().restoreFrom(saved).build().close());
        assertTrue(refused.getMessage().contains("MountMode.STAGED"), refused.getMessage());
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
