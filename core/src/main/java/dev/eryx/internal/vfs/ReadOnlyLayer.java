package dev.eryx.internal.vfs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * An immutable directory tree built once from a zip (the CPython stdlib) and shared by every
 * sandbox that mounts it: nodes hold no per-sandbox state, so mounting never copies anything. Safe
 * for concurrent use.
 */
public final class ReadOnlyLayer {
    /** Entries larger than this are refused; the stdlib has nothing close. */
    private static final int MAX_ENTRY_BYTES = 256 * 1024 * 1024;

    private final ReadOnlyDirectory root;
    private final long device;
    private final int fileCount;

    private ReadOnlyLayer(Builder builder) {
        this.device = builder.device;
        this.root = builder.root.freeze(this);
        this.fileCount = builder.fileCount;
    }

    /** Reads a zip (stored or deflated entries); the stream is read to its end but not closed. */
    public static ReadOnlyLayer fromZip(InputStream zip) throws IOException {
        Objects.requireNonNull(zip, "zip");
        Builder builder = new Builder();
        ZipInputStream in = new ZipInputStream(zip, StandardCharsets.UTF_8);
        ZipEntry entry;
        while ((entry = in.getNextEntry()) != null) {
            List<String> components = entryComponents(entry.getName());
            if (components == null) {
                continue; // "..", absolute or empty names could only be an attack or garbage
            }
            FileTime modified = entry.getLastModifiedTime();
            long mtime = modified == null ? 0 : Math.max(0, modified.toMillis()) * 1_000_000L;
            if (entry.isDirectory()) {
                builder.directory(components, mtime);
            } else {
                builder.file(components, in.readNBytes(MAX_ENTRY_BYTES + 1), mtime);
            }
        }
        return new ReadOnlyLayer(builder);
    }

    public static ReadOnlyLayer fromZip(byte[] zip) {
        try {
            return fromZip(new ByteArrayInputStream(zip));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A builder for a layer assembled in memory (the packages layer): paths are {@code /}-separated
     * and relative to the root; the byte arrays given are kept, not copied.
     */
    public static Builder builder() {
        return new Builder();
    }

    public DirectoryNode root() {
        return root;
    }

    public int fileCount() {
        return fileCount;
    }

    private static List<String> entryComponents(String name) {
        if (name.startsWith("/") || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            return null;
        }
        List<String> components = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")
                    || part.getBytes(StandardCharsets.UTF_8).length > Vfs.MAX_NAME_BYTES) {
                return null;
            }
            components.add(part);
        }
        return components.isEmpty() ? null : components;
    }

    /** Whether {@code node} belongs to a read-only layer (the audit ledger leaves those out). */
    public static boolean contains(Node node) {
        return node instanceof ReadOnlyNode;
    }

    /**
     * Mutable construction-time tree; frozen into immutable nodes by {@link #build()}. Not
     * thread-safe; use once.
     */
    public static final class Builder {
        private final DraftDirectory root = new DraftDirectory(0);
        private final CRC32 identity = new CRC32();
        private long device = 0x1_0000_0000L;
        private int fileCount;
        private long nextInode = 2;

        private Builder() {}

        /**
         * Adds a directory (and its parents) at {@code path}.
         *
         * @throws IllegalArgumentException the path is absolute, empty, has {@code ..} or a
         *     backslash, or crosses a file
         */
        public Builder directory(String path, long mtimeNanos) {
            directory(checkedComponents(path), mtimeNanos);
            return this;
        }

        /**
         * Adds a file at {@code path} (and its parent directories); {@code content} is kept, not
         * copied.
         *
         * @throws IllegalArgumentException the path is invalid or already present, or the content
         *     is too large
         */
        public Builder file(String path, byte[] content, long mtimeNanos) {
            file(checkedComponents(path), Objects.requireNonNull(content, "content"), mtimeNanos);
            return this;
        }

        public ReadOnlyLayer build() {
            return new ReadOnlyLayer(this);
        }

        private static List<String> checkedComponents(String path) {
            List<String> components = entryComponents(Objects.requireNonNull(path, "path"));
            if (components == null) {
                throw new IllegalArgumentException("not a relative path: " + path);
            }
            return components;
        }

        void directory(List<String> components, long mtime) {
            DraftDirectory dir = parentOf(components, components.size());
            dir.mtime = Math.max(dir.mtime, mtime);
        }

        void file(List<String> components, byte[] content, long mtime) {
            if (content.length > MAX_ENTRY_BYTES) {
                throw new IllegalArgumentException("zip entry too large: " + components);
            }
            DraftDirectory parent = parentOf(components, components.size() - 1);
            String name = components.get(components.size() - 1);
            if (parent.children.containsKey(name)) {
                throw new IllegalArgumentException(
                        "duplicate zip entry: " + String.join("/", components));
            }
            parent.children.put(name, new ReadOnlyFile(null, nextInode++, content, mtime));
            fileCount++;
            byte[] path = String.join("/", components).getBytes(StandardCharsets.UTF_8);
            identity.update(path);
            identity.update(content.length);
            // A deterministic device id (images must see the same stat values every run),
            // distinct from the memory tree's and from host mounts'.
            device = 0x1_0000_0000L | identity.getValue();
        }

        private DraftDirectory parentOf(List<String> components, int depth) {
            DraftDirectory dir = root;
            for (int i = 0; i < depth; i++) {
                Object child =
                        dir.children.computeIfAbsent(
                                components.get(i), n -> new DraftDirectory(nextInode++));
                if (!(child instanceof DraftDirectory)) {
                    throw new IllegalArgumentException(
                            "zip entry is both file and directory: " + components);
                }
                dir = (DraftDirectory) child;
            }
            return dir;
        }
    }

    private static final class DraftDirectory {
        final TreeMap<String, Object> children = new TreeMap<>();
        final long inode;
        long mtime;

        DraftDirectory(long inode) {
            this.inode = inode == 0 ? 1 : inode;
        }

        ReadOnlyDirectory freeze(ReadOnlyLayer layer) {
            TreeMap<String, Node> frozen = new TreeMap<>();
            for (Map.Entry<String, Object> e : children.entrySet()) {
                Object child = e.getValue();
                frozen.put(
                        e.getKey(),
                        child instanceof DraftDirectory
                                ? ((DraftDirectory) child).freeze(layer)
                                : ((ReadOnlyFile) child).withLayer(layer));
            }
            return new ReadOnlyDirectory(layer, inode, mtime, Collections.unmodifiableMap(frozen));
        }
    }

    /** Common behaviour of the immutable nodes. */
    private abstract static class ReadOnlyNode implements Node {
        final ReadOnlyLayer layer;
        final long inode;
        final long mtime;

        ReadOnlyNode(ReadOnlyLayer layer, long inode, long mtime) {
            this.layer = layer;
            this.inode = inode;
            this.mtime = mtime;
        }

        @Override
        public long inode() {
            return inode;
        }

        @Override
        public long device() {
            return layer.device;
        }

        @Override
        public boolean isReadOnly() {
            return true;
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            throw readOnly();
        }

        Stat stat(long linkCount, long size) {
            return new Stat(type(), layer.device, inode, linkCount, size, mtime, mtime, mtime);
        }
    }

    private static ErrnoException readOnly() {
        return new ErrnoException(Errno.ROFS, "read-only filesystem");
    }

    private static final class ReadOnlyDirectory extends ReadOnlyNode implements DirectoryNode {
        private final Map<String, Node> children;
        private final List<DirEntry> entries;

        ReadOnlyDirectory(ReadOnlyLayer layer, long inode, long mtime, Map<String, Node> children) {
            super(layer, inode, mtime);
            this.children = children;
            List<DirEntry> list = new ArrayList<>(children.size());
            children.forEach(
                    (name, node) -> list.add(new DirEntry(name, node.type(), node.inode())));
            this.entries = Collections.unmodifiableList(list);
        }

        @Override
        public NodeType type() {
            return NodeType.DIRECTORY;
        }

        @Override
        public Stat stat() {
            return stat(2, 0);
        }

        @Override
        public Node lookup(String name) {
            return children.get(name);
        }

        @Override
        public List<DirEntry> entries() {
            return entries;
        }

        @Override
        public boolean isEmpty() {
            return children.isEmpty();
        }

        @Override
        public FileNode createFile(String name) {
            throw readOnly();
        }

        @Override
        public DirectoryNode createDirectory(String name) {
            throw readOnly();
        }

        @Override
        public void createSymlink(String name, String target) {
            throw readOnly();
        }

        @Override
        public void unlink(String name) {
            throw readOnly();
        }

        @Override
        public void removeDirectory(String name) {
            throw readOnly();
        }

        @Override
        public void rename(String name, DirectoryNode targetDirectory, String targetName) {
            throw readOnly();
        }
    }

    private static final class ReadOnlyFile extends ReadOnlyNode implements FileNode, OpenFile {
        private final byte[] content;

        ReadOnlyFile(ReadOnlyLayer layer, long inode, byte[] content, long mtime) {
            super(layer, inode, mtime);
            this.content = content;
        }

        ReadOnlyFile withLayer(ReadOnlyLayer layer) {
            return new ReadOnlyFile(layer, inode, content, mtime);
        }

        @Override
        public NodeType type() {
            return NodeType.REGULAR_FILE;
        }

        @Override
        public Stat stat() {
            return stat(1, content.length);
        }

        /** The node is immutable and position-free, so it is its own open handle. */
        @Override
        public OpenFile open(boolean writable) {
            if (writable) {
                throw readOnly();
            }
            return this;
        }

        @Override
        public int read(long position, byte[] buffer, int offset, int length) {
            if (position >= content.length) {
                return 0;
            }
            int count = (int) Math.min(length, content.length - position);
            System.arraycopy(content, (int) position, buffer, offset, count);
            return count;
        }

        @Override
        public int write(long position, byte[] buffer, int offset, int length) {
            throw readOnly();
        }

        @Override
        public long size() {
            return content.length;
        }

        @Override
        public void truncate(long size) {
            throw readOnly();
        }

        @Override
        public FileNode node() {
            return this;
        }

        @Override
        public void close() {}
    }
}
