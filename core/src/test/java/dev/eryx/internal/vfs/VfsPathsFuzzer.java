package dev.eryx.internal.vfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of guest path resolution (docs/fuzzing.md): a sequence of filesystem
 * operations on hostile paths and symlink targets, over an in-memory tree with a read-only layer
 * and a read-write host directory mounted into it.
 *
 * <p>What must hold: the only exceptions are {@link ErrnoException} (and IllegalArgumentException
 * for a relative path given to the host API, as documented); a resolution's chain is a real path
 * from the root, at most {@link Vfs#MAX_DEPTH} deep, and its node is what its parent holds under
 * its name; normalisation is idempotent and canonical; nothing outside the host directory is read
 * or created; and the quota's count equals the bytes the tree holds.
 */
class VfsPathsFuzzer {
    private static final long QUOTA = 64 * 1024;
    private static final byte[] SECRET = "outside the mount".getBytes(StandardCharsets.UTF_8);

    /** Components the fuzzer can pick by index, so short inputs make meaningful paths. */
    private static final String[] WORDS = {
        "", ".", "..", "a", "b", "lib", "mnt", "f", "out", "abs", "loop", "inside.txt", "mod.py"
    };

    private static Path outer;
    private static Path mounted;
    private static Set<String> outerListing;
    private static ReadOnlyLayer layer;

    @BeforeAll
    static void hostDirectories() throws IOException {
        outer = Files.createTempDirectory("eryx-vfs-fuzz");
        mounted = Files.createDirectory(outer.resolve("mounted"));
        Files.write(outer.resolve("secret.txt"), SECRET);
        plantMountedFiles();
        outerListing = listing(outer);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("pkg/mod.py"));
            out.write("x = 1\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        layer = ReadOnlyLayer.fromZip(zip.toByteArray());
    }

    @AfterAll
    static void removeHostDirectories() throws IOException {
        try (Stream<Path> walk = Files.walk(outer)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest(maxDuration = "5m")
    void operationsOnHostilePaths(FuzzedDataProvider data) throws IOException {
        Vfs vfs = Vfs.builder().maxBytes(QUOTA).build();
        vfs.mkdirs("/a/b");
        vfs.writeFile("/a/f", "file".getBytes(StandardCharsets.UTF_8));
        vfs.mount(layer, "/lib");
        vfs.mount(mounted, "/mnt", false);
        try {
            int operations = data.consumeInt(1, 24);
            for (int i = 0; i < operations && data.remainingBytes() > 0; i++) {
                try {
                    operate(vfs, data);
                } catch (ErrnoException expected) {
                    // the guest gets this errno
                }
                assertTrue(vfs.usedBytes() >= 0 && vfs.usedBytes() <= QUOTA, "quota broken");
            }
            assertEquals(chargedBytes(vfs.root()), vfs.usedBytes(), "quota count drifted");
            assertEquals(outerListing, listing(outer), "something appeared outside the mount");
        } finally {
            resetMountedDirectory();
        }
    }

    private static void operate(Vfs vfs, FuzzedDataProvider data) {
        int op = data.consumeInt(0, 8);
        String path = path(data);
        switch (op) {
            case 0 -> {
                DirectoryNode[] start = vfs.rootChain();
                if (data.consumeBoolean()) {
                    Resolution dir = vfs.resolve(vfs.rootChain(), path(data), true);
                    if (dir.node() != null && dir.node().type() == NodeType.DIRECTORY) {
                        start = dir.chainIncludingNode();
                    }
                }
                checkResolution(vfs, vfs.resolve(start, path, data.consumeBoolean()));
            }
            case 1 -> absoluteOnly(path, () -> vfs.mkdirs(path));
            case 2 -> absoluteOnly(path, () -> vfs.writeFile(path, data.consumeBytes(4096)));
            case 3 -> {
                Resolution r = vfs.resolve(vfs.rootChain(), path, false);
                checkResolution(vfs, r);
                if (r.name() != null && r.node() == null) {
                    r.parent().createSymlink(r.name(), asFromGuest(data.consumeString(200)));
                }
            }
            case 4 -> absoluteOnly(path, () -> vfs.delete(path));
            case 5 -> {
                Resolution from = vfs.resolve(vfs.rootChain(), path, false);
                Resolution to = vfs.resolve(vfs.rootChain(), path(data), false);
                checkResolution(vfs, from);
                checkResolution(vfs, to);
                vfs.rename(from, to);
            }
            case 6 ->
                    absoluteOnly(
                            path,
                            () ->
                                    assertFalse(
                                            Arrays.equals(SECRET, vfs.readFile(path)),
                                            "read a host file outside the mount"));
            case 7 -> absoluteOnly(path, () -> vfs.list(path));
            default -> absoluteOnly(path, () -> checkNormalized(Vfs.normalizeAbsolute(path)));
        }
    }

    /** A path from the vocabulary, or (less often) any string the fuzzer makes. */
    private static String path(FuzzedDataProvider data) {
        if (data.consumeInt(0, 3) == 0) {
            return asFromGuest(data.consumeString(300));
        }
        StringBuilder path = new StringBuilder(data.consumeBoolean() ? "/" : "");
        int parts = data.consumeInt(0, 8);
        for (int i = 0; i < parts; i++) {
            path.append(i == 0 ? "" : "/").append(WORDS[data.consumeInt(0, WORDS.length - 1)]);
        }
        return path.toString();
    }

    /**
     * What a guest can send: WASI decodes path bytes as UTF-8, so a Java string from the guest has
     * no lone surrogates (a host passing one to the host API gets InvalidPathException).
     */
    private static String asFromGuest(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** The host API takes absolute paths and says so for others: nothing else may escape. */
    private static void absoluteOnly(String path, Runnable action) {
        try {
            action.run();
        } catch (IllegalArgumentException e) {
            assertFalse(path.startsWith("/"), "IllegalArgumentException for an absolute path");
            assertTrue(e.getMessage().contains("absolute"), e.getMessage());
        }
    }

    private static void checkResolution(Vfs vfs, Resolution r) {
        DirectoryNode[] chain = r.chain();
        assertTrue(chain.length >= 1 && chain.length <= Vfs.MAX_DEPTH, "chain of " + chain.length);
        assertSame(vfs.root(), chain[0], "a chain must start at the root");
        for (int i = 1; i < chain.length; i++) {
            assertTrue(isChild(chain[i - 1], chain[i]), "chain is not a path from the root");
        }
        if (r.name() == null) {
            assertSame(r.parent(), r.node());
        } else {
            assertFalse(r.name().equals(".") || r.name().equals(".."), r.name());
            Vfs.checkName(r.name());
            Node held = r.parent().lookup(r.name());
            assertEquals(r.node() == null, held == null);
            if (held != null) {
                assertTrue(same(held, r.node()), "node is not what its parent holds");
            }
        }
    }

    private static boolean isChild(DirectoryNode parent, DirectoryNode child) {
        for (DirEntry entry : parent.entries()) {
            Node node = parent.lookup(entry.name());
            if (node != null && same(node, child)) {
                return true;
            }
        }
        return false;
    }

    /** Host nodes are made afresh per lookup: identity is device and inode. */
    private static boolean same(Node a, Node b) {
        return a == b || (a.device() == b.device() && a.inode() == b.inode());
    }

    private static void checkNormalized(String normalized) {
        assertNotNull(normalized);
        assertTrue(normalized.startsWith("/"), normalized);
        assertEquals(normalized, Vfs.normalizeAbsolute(normalized), "not idempotent");
        if (!normalized.equals("/")) {
            assertFalse(normalized.endsWith("/"), normalized);
            for (String part : normalized.substring(1).split("/", -1)) {
                assertFalse(
                        part.isEmpty() || part.equals(".") || part.equals(".."),
                        "not canonical: " + normalized);
            }
        }
    }

    /** Bytes the in-memory tree holds (files and symlink targets), mounts not included. */
    private static long chargedBytes(DirectoryNode directory) {
        long total = 0;
        for (DirEntry entry : directory.entries()) {
            Node node = directory.lookup(entry.name());
            if (node.device() != MemoryTree.DEVICE) {
                continue;
            }
            total +=
                    switch (node.type()) {
                        case DIRECTORY -> chargedBytes((DirectoryNode) node);
                        default -> node.stat().size();
                    };
        }
        return total;
    }

    private static Set<String> listing(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return new TreeSet<>(list.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Puts the mounted directory back as it was, so every input starts from the same tree. */
    private static void resetMountedDirectory() throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(mounted)) {
            walk.filter(p -> !p.equals(mounted)).forEach(all::add);
        }
        all.sort(Comparator.reverseOrder());
        for (Path p : all) {
            Files.delete(p);
        }
        plantMountedFiles();
    }

    private static void plantMountedFiles() throws IOException {
        Files.writeString(mounted.resolve("inside.txt"), "inside");
        // Links planted by the host that point out of the mount: the guest must never follow
        // them into the host.
        Files.createSymbolicLink(mounted.resolve("out"), Path.of("../secret.txt"));
        Files.createSymbolicLink(mounted.resolve("abs"), outer.resolve("secret.txt"));
    }
}
