package dev.eryx.internal.vfs;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The guest-writable in-memory filesystem of one sandbox. Every byte stored in files and symlink
 * targets counts against {@code maxBytes}; exceeding it fails with ENOSPC. All nodes share one lock
 * (this tree) because the guest thread and the host-facing file API may both touch it.
 *
 * <p>The quota bounds the host heap the guest can pin, so nothing may escape it: a file unlinked
 * while open stays charged until its last close (its bytes are still held), a truncated file gives
 * back its array, and the number of entries is capped too (empty files and directories cost heap
 * but no bytes), like a disk running out of inodes.
 */
final class MemoryTree {
    static final long DEVICE = 1;

    /** Largest file we can hold in one Java array. */
    private static final int MAX_FILE_SIZE = Integer.MAX_VALUE - 16;

    /** Quota bytes that buy one entry; an entry costs the host a few hundred bytes of heap. */
    static final long BYTES_PER_ENTRY = 1024;

    /** Entries allowed even under a tiny byte quota. */
    static final long MIN_ENTRIES = 1024;

    private final long maxBytes;
    private final long maxEntries;
    private long entries;
    private final Clock clock;
    private final MemoryDirectory root;
    private long usedBytes;
    private long nextInode = 1;

    MemoryTree(long maxBytes, Clock clock) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0: " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries(maxBytes);
        this.clock = clock;
        this.root = new MemoryDirectory();
    }

    MemoryDirectory root() {
        return root;
    }

    /** Entries a tree with a quota of {@code maxBytes} may hold. */
    static long maxEntries(long maxBytes) {
        return Math.max(MIN_ENTRIES, maxBytes / BYTES_PER_ENTRY);
    }

    /** A directory whose children the walk still has to visit, and its entry number. */
    private record Pending(MemoryDirectory directory, int index) {}

    /**
     * Hands every node below the root to {@code visitor} as a {@link TreeEntry}, numbered from 1 in
     * visiting order, each directory before its children. Symlinks are reported, never followed,
     * and mounted filesystems are skipped; as the tree has no hard links, each node is visited once
     * and the output is bounded by the quota (bytes and entries). Iterative, so nesting depth does
     * not matter; holds the lock throughout, so the listing is consistent.
     */
    synchronized void walk(Consumer<TreeEntry> visitor) {
        Deque<Pending> pending = new ArrayDeque<>();
        pending.push(new Pending(root, 0));
        int next = 1;
        while (!pending.isEmpty()) {
            Pending dir = pending.pop();
            for (Map.Entry<String, Node> child : dir.directory().children.entrySet()) {
                String name = child.getKey();
                Node node = child.getValue();
                if (dir.directory().mountPoints.containsKey(name)
                        || !(node instanceof MemoryNode)) {
                    continue; // another filesystem's root: not this tree's state
                }
                MemoryNode memoryNode = (MemoryNode) node;
                int index = next++;
                long atime = memoryNode.accessTime;
                long mtime = memoryNode.modifyTime;
                if (node instanceof MemoryDirectory) {
                    visitor.accept(TreeEntry.directory(dir.index(), name, atime, mtime));
                    pending.push(new Pending((MemoryDirectory) node, index));
                } else if (node instanceof MemoryFile) {
                    MemoryFile file = (MemoryFile) node;
                    byte[] content = Arrays.copyOf(file.content, file.size);
                    visitor.accept(TreeEntry.file(dir.index(), name, content, atime, mtime));
                } else {
                    String target = ((MemorySymlink) node).target;
                    visitor.accept(TreeEntry.symlink(dir.index(), name, target, atime, mtime));
                }
            }
        }
    }

    /**
     * Recreates a listing made by {@link #walk} below the root, charging the quota like any write.
     * Directories that already exist are reused; an entry at a mount point or at one of the
     * absolute paths in {@code skip} is left out with everything below it (what is mounted there
     * shows instead). Nothing follows symlinks: every entry is created in its listed parent.
     *
     * @throws IllegalArgumentException the entries do not form a tree (a parent that is not an
     *     earlier directory, a bad or repeated name) or do not fit the quota
     */
    synchronized void restore(List<TreeEntry> entries, Set<String> skip) {
        Node[] nodes = new Node[entries.size() + 1];
        nodes[0] = root;
        // Paths are built only on the way to a skipped path, so they stay few and short.
        String[] paths = new String[nodes.length];
        paths[0] = "";
        for (int i = 1; i < nodes.length; i++) {
            TreeEntry entry = entries.get(i - 1);
            String name = entry.name();
            if (entry.parent() >= i) {
                throw new IllegalArgumentException(
                        "entry " + i + " names a later parent " + entry.parent());
            }
            Node parent = nodes[entry.parent()];
            if (parent == null) {
                continue; // below a skipped entry
            }
            if (!(parent instanceof MemoryDirectory)) {
                throw new IllegalArgumentException("the parent of entry " + i + " is no directory");
            }
            MemoryDirectory directory = (MemoryDirectory) parent;
            try {
                Vfs.checkName(name);
            } catch (ErrnoException e) {
                throw new IllegalArgumentException("bad name in entry " + i);
            }
            if (name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("bad name in entry " + i);
            }
            if (paths[entry.parent()] != null) {
                String path = paths[entry.parent()] + "/" + name;
                if (skip.contains(path)) {
                    continue;
                }
                for (String skipped : skip) {
                    if (skipped.startsWith(path + "/")) {
                        paths[i] = path;
                        break;
                    }
                }
            }
            if (directory.mountPoints.containsKey(name)) {
                continue;
            }
            Node existing = directory.children.get(name);
            try {
                if (existing != null) {
                    if (!(existing instanceof MemoryDirectory)
                            || entry.type() != NodeType.DIRECTORY) {
                        throw new IllegalArgumentException(
                                "entry " + i + " (" + name + ") is listed twice");
                    }
                    nodes[i] = existing;
                } else if (entry.type() == NodeType.DIRECTORY) {
                    nodes[i] = directory.createDirectory(name);
                } else if (entry.type() == NodeType.REGULAR_FILE) {
                    MemoryFile file = (MemoryFile) directory.createFile(name);
                    file.write(0, entry.content(), 0, entry.content().length);
                    nodes[i] = file;
                } else {
                    directory.createSymlink(name, entry.target());
                    nodes[i] = directory.children.get(name);
                }
            } catch (ErrnoException e) {
                throw new IllegalArgumentException(
                        "the saved files do not fit this sandbox's filesystem: " + e.getMessage());
            }
        }
        // Times last: creating a child touches its directory.
        for (int i = 1; i < nodes.length; i++) {
            if (nodes[i] instanceof MemoryNode) {
                MemoryNode node = (MemoryNode) nodes[i];
                node.accessTime = entries.get(i - 1).accessTimeNanos();
                node.modifyTime = entries.get(i - 1).modifyTimeNanos();
            }
        }
    }

    synchronized long usedBytes() {
        return usedBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Must hold the lock. Charges (or refunds, when negative) {@code delta} bytes. */
    private void charge(long delta) {
        if (delta > 0 && usedBytes + delta > maxBytes) {
            throw new ErrnoException(
                    Errno.NOSPC, "sandbox filesystem quota of " + maxBytes + " bytes exceeded");
        }
        usedBytes += delta;
    }

    /** The quota as other storage of the sandbox (a staged overlay) charges it. */
    Quota quota() {
        return new Quota() {
            @Override
            public void chargeBytes(long delta) {
                synchronized (MemoryTree.this) {
                    charge(delta);
                }
            }

            @Override
            public void chargeEntries(long delta) {
                synchronized (MemoryTree.this) {
                    if (delta > 0 && entries + delta > maxEntries) {
                        throw new ErrnoException(
                                Errno.NOSPC,
                                "sandbox filesystem holds its maximum of "
                                        + maxEntries
                                        + " entries");
                    }
                    entries += delta;
                }
            }
        };
    }

    /** Must hold the lock. Counts one more entry, or fails with ENOSPC. */
    private void chargeEntry() {
        if (entries >= maxEntries) {
            throw new ErrnoException(
                    Errno.NOSPC,
                    "sandbox filesystem holds its maximum of " + maxEntries + " entries");
        }
        entries++;
    }

    /**
     * Must hold the lock. {@code node} left its directory: its entry is gone, and its bytes are
     * refunded unless an open descriptor still holds them (then the last close refunds).
     */
    private void detach(Node node) {
        entries--;
        if (node instanceof MemoryFile) {
            ((MemoryFile) node).unlinkLocked();
        } else {
            charge(-chargedBytes(node));
        }
    }

    private long nowNanos() {
        Instant now = clock.instant();
        return Math.max(0, now.getEpochSecond()) * 1_000_000_000L + now.getNano();
    }

    /** State every memory node has. */
    abstract class MemoryNode implements Node {
        final long inode;
        long accessTime;
        long modifyTime;
        long changeTime;

        MemoryNode() {
            synchronized (MemoryTree.this) {
                inode = nextInode++;
            }
            long now = nowNanos();
            accessTime = now;
            modifyTime = now;
            changeTime = now;
        }

        @Override
        public long inode() {
            return inode;
        }

        @Override
        public long device() {
            return DEVICE;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            synchronized (MemoryTree.this) {
                accessTimeNanos.ifPresent(t -> accessTime = t);
                modifyTimeNanos.ifPresent(t -> modifyTime = t);
                changeTime = nowNanos();
            }
        }

        /** Must hold the lock. */
        Stat statLocked(long linkCount, long size) {
            return new Stat(
                    type(), DEVICE, inode, linkCount, size, accessTime, modifyTime, changeTime);
        }

        /** Must hold the lock. */
        void touchModified() {
            long now = nowNanos();
            modifyTime = now;
            changeTime = now;
        }
    }

    final class MemoryDirectory extends MemoryNode implements DirectoryNode {
        private final TreeMap<String, Node> children = new TreeMap<>();

        /** Names whose child is the root of another filesystem; they cannot be moved or removed. */
        private final TreeMap<String, DirectoryNode> mountPoints = new TreeMap<>();

        @Override
        public NodeType type() {
            return NodeType.DIRECTORY;
        }

        @Override
        public Stat stat() {
            synchronized (MemoryTree.this) {
                return statLocked(2, 0);
            }
        }

        @Override
        public Node lookup(String name) {
            synchronized (MemoryTree.this) {
                return children.get(name);
            }
        }

        @Override
        public List<DirEntry> entries() {
            synchronized (MemoryTree.this) {
                List<DirEntry> result = new ArrayList<>(children.size());
                for (Map.Entry<String, Node> e : children.entrySet()) {
                    result.add(new DirEntry(e.getKey(), e.getValue().type(), e.getValue().inode()));
                }
                return result;
            }
        }

        @Override
        public boolean isEmpty() {
            synchronized (MemoryTree.this) {
                return children.isEmpty();
            }
        }

        private void requireAbsent(String name) {
            if (children.containsKey(name)) {
                throw new ErrnoException(Errno.EXIST, name);
            }
        }

        /** Must hold the lock; the entry was charged by the caller. */
        private <T extends Node> T add(String name, T node) {
            children.put(name, node);
            touchModified();
            return node;
        }

        @Override
        public FileNode createFile(String name) {
            synchronized (MemoryTree.this) {
                requireAbsent(name);
                chargeEntry();
                return add(name, new MemoryFile());
            }
        }

        @Override
        public DirectoryNode createDirectory(String name) {
            synchronized (MemoryTree.this) {
                requireAbsent(name);
                chargeEntry();
                return add(name, new MemoryDirectory());
            }
        }

        @Override
        public void createSymlink(String name, String target) {
            synchronized (MemoryTree.this) {
                requireAbsent(name);
                MemorySymlink link = new MemorySymlink(target);
                chargeEntry();
                try {
                    charge(link.chargedBytes());
                } catch (ErrnoException e) {
                    entries--;
                    throw e;
                }
                add(name, link);
            }
        }

        /** Makes {@code name} show another filesystem's root. Replaces an empty directory. */
        void attachMount(String name, DirectoryNode mountedRoot) {
            synchronized (MemoryTree.this) {
                Node existing = children.get(name);
                if (existing != null
                        && !(existing instanceof MemoryDirectory
                                && ((MemoryDirectory) existing).isEmpty())) {
                    throw new ErrnoException(
                            Errno.EXIST, "mount point " + name + " is not an empty directory");
                }
                children.put(name, mountedRoot);
                mountPoints.put(name, mountedRoot);
            }
        }

        private void requireNotMountPoint(String name) {
            if (mountPoints.containsKey(name)) {
                throw new ErrnoException(Errno.BUSY, name + " is a mount point");
            }
        }

        private Node existing(String name) {
            Node node = children.get(name);
            if (node == null) {
                throw new ErrnoException(Errno.NOENT, name);
            }
            return node;
        }

        @Override
        public void unlink(String name) {
            synchronized (MemoryTree.this) {
                Node node = existing(name);
                if (node.type() == NodeType.DIRECTORY) {
                    throw new ErrnoException(Errno.ISDIR, name);
                }
                children.remove(name);
                detach(node);
                touchModified();
            }
        }

        @Override
        public void removeDirectory(String name) {
            synchronized (MemoryTree.this) {
                Node node = existing(name);
                requireNotMountPoint(name);
                if (node.type() != NodeType.DIRECTORY) {
                    throw new ErrnoException(Errno.NOTDIR, name);
                }
                if (!((DirectoryNode) node).isEmpty()) {
                    throw new ErrnoException(Errno.NOTEMPTY, name);
                }
                children.remove(name);
                detach(node);
                touchModified();
            }
        }

        @Override
        public void rename(String name, DirectoryNode targetDirectory, String targetName) {
            if (!(targetDirectory instanceof MemoryDirectory)
                    || ((MemoryDirectory) targetDirectory).tree() != MemoryTree.this) {
                throw new ErrnoException(Errno.XDEV, "rename across filesystems");
            }
            MemoryDirectory target = (MemoryDirectory) targetDirectory;
            synchronized (MemoryTree.this) {
                Node node = existing(name);
                requireNotMountPoint(name);
                target.requireNotMountPoint(targetName);
                Node replaced = target.children.get(targetName);
                if (replaced == node) {
                    return;
                }
                if (replaced != null) {
                    if (replaced.type() == NodeType.DIRECTORY
                            && !((DirectoryNode) replaced).isEmpty()) {
                        throw new ErrnoException(Errno.NOTEMPTY, targetName);
                    }
                    detach(replaced);
                }
                children.remove(name);
                target.children.put(targetName, node);
                touchModified();
                target.touchModified();
            }
        }

        private MemoryTree tree() {
            return MemoryTree.this;
        }
    }

    private static long chargedBytes(Node node) {
        if (node instanceof MemoryFile) {
            return ((MemoryFile) node).size;
        }
        if (node instanceof MemorySymlink) {
            return ((MemorySymlink) node).chargedBytes();
        }
        return 0;
    }

    final class MemoryFile extends MemoryNode implements FileNode {
        private byte[] content = new byte[0];
        private int size;

        /** Descriptors (guest or host) open on this file. */
        private int openCount;

        private boolean unlinked;

        @Override
        public NodeType type() {
            return NodeType.REGULAR_FILE;
        }

        @Override
        public Stat stat() {
            synchronized (MemoryTree.this) {
                return statLocked(1, size);
            }
        }

        @Override
        public OpenFile open(boolean writable) {
            synchronized (MemoryTree.this) {
                openCount++;
            }
            return new OpenMemoryFile(this);
        }

        /** Must hold the lock. */
        void unlinkLocked() {
            unlinked = true;
            if (openCount == 0) {
                release();
            }
        }

        void closed() {
            synchronized (MemoryTree.this) {
                openCount--;
                if (openCount == 0 && unlinked) {
                    release();
                }
            }
        }

        /** Must hold the lock. Nothing can reach the content any more: refund it and let it go. */
        private void release() {
            charge(-size);
            size = 0;
            content = new byte[0];
        }

        int read(long position, byte[] buffer, int offset, int length) {
            synchronized (MemoryTree.this) {
                if (position >= size) {
                    return 0;
                }
                int count = (int) Math.min(length, size - position);
                System.arraycopy(content, (int) position, buffer, offset, count);
                return count;
            }
        }

        int write(long position, byte[] buffer, int offset, int length) {
            synchronized (MemoryTree.this) {
                long end = position + length;
                if (position < 0 || end > MAX_FILE_SIZE) {
                    throw new ErrnoException(Errno.FBIG, "file too large");
                }
                ensureSize((int) end);
                System.arraycopy(buffer, offset, content, (int) position, length);
                touchModified();
                return length;
            }
        }

        void truncate(long newSize) {
            synchronized (MemoryTree.this) {
                if (newSize < 0 || newSize > MAX_FILE_SIZE) {
                    throw new ErrnoException(
                            newSize < 0 ? Errno.INVAL : Errno.FBIG, "bad size " + newSize);
                }
                if (newSize < size) {
                    // Zero the tail so a later extension reads zeros, as POSIX requires.
                    Arrays.fill(content, (int) newSize, size, (byte) 0);
                    charge(newSize - size);
                    size = (int) newSize;
                    if (content.length / 2 > size) {
                        // Give the array back too: a file grown and truncated must not pin
                        // uncharged heap.
                        content = Arrays.copyOf(content, size);
                    }
                } else {
                    ensureSize((int) newSize);
                }
                touchModified();
            }
        }

        /** Must hold the lock. Grows the logical size (charging the quota) to at least newSize. */
        private void ensureSize(int newSize) {
            if (newSize <= size) {
                return;
            }
            charge(newSize - size);
            if (newSize > content.length) {
                long doubled = Math.max(16, (long) content.length * 2);
                int capacity = (int) Math.min(MAX_FILE_SIZE, Math.max(newSize, doubled));
                content = Arrays.copyOf(content, capacity);
            }
            size = newSize;
        }

        long size() {
            synchronized (MemoryTree.this) {
                return size;
            }
        }
    }

    private static final class OpenMemoryFile implements OpenFile {
        private final MemoryFile file;
        private boolean closed;

        OpenMemoryFile(MemoryFile file) {
            this.file = file;
        }

        @Override
        public int read(long position, byte[] buffer, int offset, int length) {
            return file.read(position, buffer, offset, length);
        }

        @Override
        public int write(long position, byte[] buffer, int offset, int length) {
            return file.write(position, buffer, offset, length);
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public void truncate(long size) {
            file.truncate(size);
        }

        @Override
        public FileNode node() {
            return file;
        }

        @Override
        public void close() {
            // Idempotent: only the first close gives up this descriptor's hold on the file.
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            file.closed();
        }
    }

    final class MemorySymlink extends MemoryNode implements SymlinkNode {
        private final String target;
        private final int targetBytes;

        MemorySymlink(String target) {
            this.target = target;
            this.targetBytes = target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }

        long chargedBytes() {
            return targetBytes;
        }

        @Override
        public NodeType type() {
            return NodeType.SYMLINK;
        }

        @Override
        public String target() {
            return target;
        }

        @Override
        public Stat stat() {
            synchronized (MemoryTree.this) {
                return statLocked(1, targetBytes);
            }
        }
    }
}
