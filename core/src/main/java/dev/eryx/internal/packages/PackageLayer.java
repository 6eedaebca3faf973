package dev.eryx.internal.packages;

import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.OpenFile;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Validated packages as the guest sees them: one read-only site-packages tree shared by every
 * sandbox (mounted at a fixed guest path), the directories under it that belong on {@code sys.path}
 * in order, and the identities of the distributions it holds.
 *
 * <p>Two layers with the same {@link #fingerprint()} hold the same distributions; images and saved
 * states record the identities and are restored only into sandboxes with the same fingerprint.
 */
public final class PackageLayer {
    private final ReadOnlyLayer tree;
    private final List<String> pathEntries;
    private final List<PackageIdentity> identities;
    private final String fingerprint;

    /**
     * @param tree the site-packages tree
     * @param pathEntries directories relative to the tree's root that go on {@code sys.path}, in
     *     order: {@code ""} (the root itself) first, then the directories named by {@code .pth}
     *     path lines
     * @param identities the distributions, sorted by name
     */
    public PackageLayer(
            ReadOnlyLayer tree, List<String> pathEntries, List<PackageIdentity> identities) {
        this.tree = Objects.requireNonNull(tree, "tree");
        this.pathEntries = List.copyOf(pathEntries);
        this.identities = List.copyOf(identities);
        this.fingerprint = fingerprintOf(this.identities);
    }

    public ReadOnlyLayer tree() {
        return tree;
    }

    public List<String> pathEntries() {
        return pathEntries;
    }

    public List<PackageIdentity> identities() {
        return identities;
    }

    /** SHA-256 over the identities, in order: equal for layers holding the same distributions. */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * The files of the tree whose name ends with {@code suffix}: path (relative to the root) to
     * size in bytes, sorted by path.
     */
    public Map<String, Long> fileSizes(String suffix) {
        Map<String, Long> found = new TreeMap<>();
        walk(
                tree.root(),
                "",
                (path, node) -> {
                    if (node.type() == NodeType.REGULAR_FILE && path.endsWith(suffix)) {
                        found.put(path, node.stat().size());
                    }
                });
        return found;
    }

    /**
     * This layer with {@code added} files too (paths relative to the root, given the modification
     * time every node of a layer read from sources has): same path entries, same identities, hence
     * the same fingerprint. For derived files only (bytecode compiled from the layer's sources),
     * which change nothing a saved state or an image depends on.
     *
     * @throws IllegalArgumentException a path is invalid or already in the layer
     */
    public PackageLayer withDerivedFiles(Map<String, byte[]> added) {
        long mtime = LayerBuilder.MTIME_NANOS;
        ReadOnlyLayer.Builder builder = ReadOnlyLayer.builder();
        Map<String, Long> directories = new TreeMap<>();
        walk(
                tree.root(),
                "",
                (path, node) -> {
                    if (node instanceof FileNode file) {
                        // The content is copied once here; the old layer is dropped by the caller.
                        builder.file(path, contentOf(file), node.stat().modifyTimeNanos());
                    } else {
                        directories.put(path, node.stat().modifyTimeNanos());
                    }
                });
        directories.forEach((path, dirMtime) -> builder.directory(path, dirMtime));
        for (Map.Entry<String, byte[]> e : new TreeMap<>(added).entrySet()) {
            builder.file(e.getKey(), e.getValue(), mtime);
        }
        for (String path : added.keySet()) {
            // New directories (__pycache__) get the layer's time, like the others.
            int slash = path.lastIndexOf('/');
            if (slash > 0) {
                builder.directory(path.substring(0, slash), mtime);
            }
        }
        return new PackageLayer(builder.build(), pathEntries, identities);
    }

    private interface Visitor {
        void visit(String path, Node node);
    }

    /** Visits every file and directory under {@code dir} (not {@code dir} itself), in order. */
    private static void walk(DirectoryNode dir, String prefix, Visitor visitor) {
        for (DirEntry entry : dir.entries()) {
            Node child = dir.lookup(entry.name());
            String path = prefix.isEmpty() ? entry.name() : prefix + "/" + entry.name();
            visitor.visit(path, child);
            if (child.type() == NodeType.DIRECTORY) {
                walk((DirectoryNode) child, path, visitor);
            }
        }
    }

    private static byte[] contentOf(FileNode file) {
        OpenFile open = file.open(false);
        try {
            byte[] content = new byte[Math.toIntExact(open.size())];
            int done = 0;
            while (done < content.length) {
                int n = open.read(done, content, done, content.length - done);
                if (n <= 0) {
                    throw new IllegalStateException("short read in the packages layer");
                }
                done += n;
            }
            return content;
        } finally {
            open.close();
        }
    }

    private static String fingerprintOf(List<PackageIdentity> identities) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (PackageIdentity identity : identities) {
                String line =
                        identity.name()
                                + "\0"
                                + identity.version()
                                + "\0"
                                + identity.sha256()
                                + "\n";
                digest.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
