package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.OpenFile;
import dev.eryx.internal.vfs.Quota;
import dev.eryx.internal.vfs.Stat;
import dev.eryx.internal.vfs.SymlinkNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The guest's view of a staged mount: the host directory (read through a read-only {@code
 * HostMount}) with an in-memory overlay on top. Every change the guest makes (new and rewritten
 * files, new directories, deletions, renames) is an overlay entry keyed by its path below the mount
 * root ("a/b.txt"); the host directory is never written here.
 *
 * <p>Entries: a FILE (content in memory, charged to the sandbox quota), a DIRECTORY (created by the
 * guest; opaque: host entries below its path are not shown) or a WHITEOUT (the host entry is
 * deleted). Each path the overlay touches also gets its {@link HostState} as first seen: by the
 * first open of a host file, or when the guest first changes the path; a commit checks the host
 * against it. Renames copy: a file (or every file of a directory) moves into overlay entries at the
 * new path and whiteouts at the old.
 *
 * <p>One lock (this object) guards everything; it is taken inside, never around, the in-memory
 * tree's lock (the quota). Nodes are views by path, like the host mount's.
 */
final class Overlay {
    enum Kind {
        FILE,
        DIRECTORY,
        WHITEOUT
    }

    /** One overlay entry; {@code file} for FILE only. */
    static final class Entry {
        final Kind kind;
        final OverlayFile file;
        long modifyTime;

        Entry(Kind kind, OverlayFile file, long modifyTime) {
            this.kind = kind;
            this.file = file;
            this.modifyTime = modifyTime;
        }
    }

    private final DirectoryNode hostRoot;
    private final long device;
    private final Quota quota;
    private final Clock clock;
    private final TreeMap<String, Entry> entries = new TreeMap<>();
    private final Map<String, HostState> baselines = new HashMap<>();

    /** Host path → the overlay copy made of it, for descriptors opened on the host file. */
    private final Map<String, OverlayFile> copies = new HashMap<>();

    Overlay(DirectoryNode hostRoot, long device, Quota quota, Clock clock) {
        this.hostRoot = hostRoot;
        this.device = device;
        this.quota = quota;
        this.clock = clock;
    }

    DirectoryNode root() {
        return new StagedDirectory("", hostRoot);
    }

    // ---------------------------------------------------------------- state for the host side

    synchronized TreeMap<String, Entry> entriesSnapshot() {
        return new TreeMap<>(entries);
    }

    synchronized Map<String, HostState> baselinesSnapshot() {
        return new HashMap<>(baselines);
    }

    /** Drops the entries at {@code paths} (committed or discarded), refunding their quota. */
    synchronized void drop(Iterable<String> paths) {
        for (String path : paths) {
            Entry entry = entries.remove(path);
            if (entry != null) {
                release(entry);
            }
            baselines.remove(path);
        }
        // Copies of host files the guest still reads through old descriptors: the host has the
        // committed content now, or the copy was discarded; either way a fresh open sees the host.
        copies.values().removeIf(file -> !stillEntered(file));
    }

    /** Drops everything. */
    synchronized void clear() {
        for (Entry entry : entries.values()) {
            release(entry);
        }
        entries.clear();
        baselines.clear();
        copies.clear();
    }

    private boolean stillEntered(OverlayFile file) {
        for (Entry entry : entries.values()) {
            if (entry.file == file) {
                return true;
            }
        }
        return false;
    }

    private void release(Entry entry) {
        quota.chargeEntries(-1);
        if (entry.file != null) {
            entry.file.drop();
        }
    }

    /** Recreates a saved entry (saved state): charged like a guest write. */
    synchronized void restore(String path, Kind kind, byte[] content, HostState baseline) {
        checkPath(path);
        if (entries.containsKey(path)) {
            throw new IllegalArgumentException("staged path listed twice: " + path);
        }
        OverlayFile file = null;
        if (kind == Kind.FILE) {
            quota.chargeBytes(content.length);
            file = new OverlayFile(quota, content, now());
        }
        try {
            quota.chargeEntries(1);
        } catch (ErrnoException e) {
            if (file != null) {
                file.drop();
            }
            throw e;
        }
        entries.put(path, new Entry(kind, file, now()));
        baselines.put(path, baseline);
    }

    private static void checkPath(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("//")) {
            throw new IllegalArgumentException("bad staged path: " + path);
        }
        for (String part : path.split("/")) {
            if (part.equals(".") || part.equals("..") || part.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("bad staged path: " + path);
            }
        }
    }

    // ---------------------------------------------------------------- host side reads

    /** The host node at {@code path}, walked without following symlinks; null when absent. */
    Node hostNode(String path) {
        if (path.isEmpty()) {
            return hostRoot;
        }
        Node node = hostRoot;
        for (String part : path.split("/")) {
            if (!(node instanceof DirectoryNode)) {
                return null;
            }
            try {
                node = ((DirectoryNode) node).lookup(part);
            } catch (ErrnoException e) {
                return null;
            }
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    /** The host's state of {@code path} now; with {@code hash}, a file's sha256 too. */
    HostState hostState(String path, boolean hash) {
        Node node = hostNode(path);
        if (node == null) {
            return HostState.ABSENT;
        }
        Stat stat;
        try {
            stat = node.stat();
        } catch (ErrnoException e) {
            return HostState.ABSENT;
        }
        String sha = null;
        if (hash && stat.type() == NodeType.REGULAR_FILE) {
            sha = hashHost((FileNode) node);
        }
        return new HostState(stat.type(), stat.size(), stat.modifyTimeNanos(), sha);
    }

    /** The whole content of a host file (up to {@code limit} bytes). */
    static byte[] readHost(FileNode node, long limit) {
        try (OpenFile open = node.open(false)) {
            long size = Math.min(open.size(), limit);
            if (size > Integer.MAX_VALUE - 16) {
                throw new ErrnoException(Errno.FBIG, "file too large to stage");
            }
            byte[] content = new byte[(int) size];
            int read = 0;
            while (read < content.length) {
                int n = open.read(read, content, read, content.length - read);
                if (n <= 0) {
                    return java.util.Arrays.copyOf(content, read);
                }
                read += n;
            }
            return content;
        }
    }

    /** The sha256 of a host file, read in pieces (a large file is never held whole). */
    static String hashHost(FileNode node) {
        MessageDigest digest = sha256Digest();
        byte[] buffer = new byte[64 * 1024];
        try (OpenFile open = node.open(false)) {
            long position = 0;
            int n;
            while ((n = open.read(position, buffer, 0, buffer.length)) > 0) {
                digest.update(buffer, 0, n);
                position += n;
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    // ---------------------------------------------------------------- helpers (hold the lock)

    private long now() {
        Instant now = clock.instant();
        return Math.max(0, now.getEpochSecond()) * 1_000_000_000L + now.getNano();
    }

    private static String join(String parent, String name) {
        return parent.isEmpty() ? name : parent + "/" + name;
    }

    private static long inodeOf(String path) {
        long hash = 1125899906842597L;
        for (int i = 0; i < path.length(); i++) {
            hash = 31 * hash + path.charAt(i);
        }
        return (hash ^ 0x5A5A) & Long.MAX_VALUE;
    }

    /** Whether host entries below {@code path} are hidden: it or an ancestor is overlay-made. */
    private boolean hostHidden(String path) {
        String current = path;
        while (true) {
            Entry entry = entries.get(current);
            if (entry != null) {
                return true; // a created directory (opaque), or not a directory at all
            }
            if (current.isEmpty()) {
                return false;
            }
            int slash = current.lastIndexOf('/');
            current = slash < 0 ? "" : current.substring(0, slash);
        }
    }

    /** Records what the host has at {@code path} unless already known. */
    private HostState baseline(String path, boolean hash) {
        HostState known = baselines.get(path);
        if (known == null) {
            known = hostHidden(parentOf(path)) ? HostState.ABSENT : hostState(path, hash);
            baselines.put(path, known);
        }
        return known;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** The merged node at {@code path}, or null. */
    private Node lookupLocked(String path) {
        Entry entry = entries.get(path);
        if (entry != null) {
            switch (entry.kind) {
                case FILE:
                    return new StagedFile(path, null);
                case DIRECTORY:
                    return new StagedDirectory(path, null);
                default:
                    return null;
            }
        }
        if (path.isEmpty()) {
            return root();
        }
        if (hostHidden(parentOf(path))) {
            return null;
        }
        Node host = hostNode(path);
        if (host == null) {
            return null;
        }
        switch (host.type()) {
            case DIRECTORY:
                return new StagedDirectory(path, (DirectoryNode) host);
            case REGULAR_FILE:
                return new StagedFile(path, (FileNode) host);
            default:
                return new StagedSymlink(path, ((SymlinkNode) host).target());
        }
    }

    /** Children of the merged directory {@code path}: name → type. */
    private TreeMap<String, NodeType> childrenLocked(String path, DirectoryNode host) {
        TreeMap<String, NodeType> children = new TreeMap<>();
        if (host != null && !hostHidden(path)) {
            for (DirEntry e : host.entries()) {
                children.put(e.name(), e.type());
            }
        }
        String prefix = path.isEmpty() ? "" : path + "/";
        Map<String, Entry> below =
                path.isEmpty() ? entries : entries.subMap(prefix, true, path + "0", false);
        for (Map.Entry<String, Entry> e : below.entrySet()) {
            String rest = e.getKey().substring(prefix.length());
            if (rest.indexOf('/') >= 0) {
                continue;
            }
            switch (e.getValue().kind) {
                case WHITEOUT:
                    children.remove(rest);
                    break;
                case FILE:
                    children.put(rest, NodeType.REGULAR_FILE);
                    break;
                default:
                    children.put(rest, NodeType.DIRECTORY);
            }
        }
        return children;
    }

    private void put(String path, Entry entry) {
        Entry old = entries.get(path);
        if (old == null) {
            quota.chargeEntries(1);
        } else if (old.file != null && old.file != entry.file) {
            old.file.drop();
        }
        entries.put(path, entry);
    }

    /** Removes the merged entry at {@code path}: a whiteout if the host had something there. */
    private void remove(String path) {
        HostState first = baseline(path, true);
        Entry old = entries.get(path);
        if (first.exists()) {
            if (old != null && old.file != null) {
                old.file.drop();
            }
            if (old == null) {
                quota.chargeEntries(1);
            }
            entries.put(path, new Entry(Kind.WHITEOUT, null, now()));
        } else if (old != null) {
            entries.remove(path);
            release(old);
            baselines.remove(path);
        }
    }

    /** The overlay file of {@code path}, copying the host file up first if needed. */
    private OverlayFile copyUp(String path, long keepBytes) {
        Entry entry = entries.get(path);
        if (entry != null) {
            if (entry.kind != Kind.FILE) {
                throw new ErrnoException(Errno.NOENT, "no longer there");
            }
            return entry.file;
        }
        Node host = hostHidden(parentOf(path)) ? null : hostNode(path);
        if (!(host instanceof FileNode)) {
            throw new ErrnoException(Errno.NOENT, "no longer a regular file");
        }
        HostState seen = hostState(path, false);
        long size = Math.min(seen.size(), keepBytes);
        quota.chargeBytes(size);
        OverlayFile file;
        try {
            byte[] content = readHost((FileNode) host, keepBytes);
            if (content.length != size) {
                quota.chargeBytes(content.length - size);
            }
            file = new OverlayFile(quota, content, now());
            if (keepBytes == Long.MAX_VALUE) {
                // The copy is the whole file: its hash is what the overlay saw.
                seen = seen.withSha256(sha256(content));
            }
        } catch (RuntimeException e) {
            quota.chargeBytes(-size);
            throw e;
        }
        HostState first = baselines.get(path);
        if (first == null) {
            baselines.put(path, keepBytes == Long.MAX_VALUE ? seen : hostState(path, true));
        } else if (first.sha256() == null
                && keepBytes == Long.MAX_VALUE
                && first.size() == seen.size()
                && first.modifyTimeNanos() == seen.modifyTimeNanos()) {
            baselines.put(path, first.withSha256(seen.sha256()));
        }
        try {
            put(path, new Entry(Kind.FILE, file, now()));
        } catch (ErrnoException e) {
            file.drop();
            throw e;
        }
        copies.put(path, file);
        return file;
    }

    // ---------------------------------------------------------------- nodes

    private abstract class StagedNode implements Node {
        final String path;

        StagedNode(String path) {
            this.path = path;
        }

        @Override
        public long inode() {
            return inodeOf(path);
        }

        @Override
        public long device() {
            return device;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }
    }

    private final class StagedDirectory extends StagedNode implements DirectoryNode {
        /** The host directory shown here, null for one the guest created. */
        private final DirectoryNode host;

        StagedDirectory(String path, DirectoryNode host) {
            super(path);
            this.host = host;
        }

        @Override
        public NodeType type() {
            return NodeType.DIRECTORY;
        }

        @Override
        public Stat stat() {
            synchronized (Overlay.this) {
                Entry entry = entries.get(path);
                if (entry != null || host == null) {
                    long time = entry != null ? entry.modifyTime : now();
                    return new Stat(NodeType.DIRECTORY, device, inode(), 2, 0, time, time, time);
                }
            }
            Stat s = host.stat();
            return new Stat(
                    NodeType.DIRECTORY,
                    device,
                    inode(),
                    2,
                    0,
                    s.accessTimeNanos(),
                    s.modifyTimeNanos(),
                    s.changeTimeNanos());
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            synchronized (Overlay.this) {
                Entry entry = entries.get(path);
                if (entry != null) {
                    modifyTimeNanos.ifPresent(t -> entry.modifyTime = t);
                }
                // A host directory's times are not staged: a commit creates and deletes entries,
                // it does not carry times.
            }
        }

        @Override
        public Node lookup(String name) {
            synchronized (Overlay.this) {
                return lookupLocked(join(path, name));
            }
        }

        @Override
        public List<DirEntry> entries() {
            synchronized (Overlay.this) {
                List<DirEntry> result = new ArrayList<>();
                for (Map.Entry<String, NodeType> e : childrenLocked(path, host).entrySet()) {
                    result.add(
                            new DirEntry(
                                    e.getKey(), e.getValue(), inodeOf(join(path, e.getKey()))));
                }
                return result;
            }
        }

        @Override
        public boolean isEmpty() {
            synchronized (Overlay.this) {
                return childrenLocked(path, host).isEmpty();
            }
        }

        private String absent(String name) {
            String child = join(path, name);
            if (lookupLocked(child) != null) {
                throw new ErrnoException(Errno.EXIST, name);
            }
            requireStillHere();
            return child;
        }

        /** This directory must still exist in the merged view (a descriptor may outlive it). */
        private void requireStillHere() {
            Node self = lookupLocked(path);
            if (!(self instanceof DirectoryNode)) {
                throw new ErrnoException(Errno.NOENT, "directory removed");
            }
        }

        @Override
        public FileNode createFile(String name) {
            synchronized (Overlay.this) {
                String child = absent(name);
                baseline(child, true);
                OverlayFile file = new OverlayFile(quota, new byte[0], now());
                put(child, new Entry(Kind.FILE, file, now()));
                touch();
                return new StagedFile(child, null);
            }
        }

        @Override
        public DirectoryNode createDirectory(String name) {
            synchronized (Overlay.this) {
                String child = absent(name);
                baseline(child, true);
                put(child, new Entry(Kind.DIRECTORY, null, now()));
                touch();
                return new StagedDirectory(child, null);
            }
        }

        private void touch() {
            Entry entry = entries.get(path);
            if (entry != null) {
                entry.modifyTime = now();
            }
        }

        @Override
        public void createSymlink(String name, String target) {
            throw new ErrnoException(Errno.PERM, "symlinks cannot be created on host mounts");
        }

        @Override
        public void unlink(String name) {
            synchronized (Overlay.this) {
                String child = join(path, name);
                Node node = lookupLocked(child);
                if (node == null) {
                    throw new ErrnoException(Errno.NOENT, name);
                }
                if (node.type() == NodeType.DIRECTORY) {
                    throw new ErrnoException(Errno.ISDIR, name);
                }
                remove(child);
                touch();
            }
        }

        @Override
        public void removeDirectory(String name) {
            synchronized (Overlay.this) {
                String child = join(path, name);
                Node node = lookupLocked(child);
                if (node == null) {
                    throw new ErrnoException(Errno.NOENT, name);
                }
                if (node.type() != NodeType.DIRECTORY) {
                    throw new ErrnoException(Errno.NOTDIR, name);
                }
                if (!((DirectoryNode) node).isEmpty()) {
                    throw new ErrnoException(Errno.NOTEMPTY, name);
                }
                remove(child);
                touch();
            }
        }

        @Override
        public void rename(String name, DirectoryNode targetDirectory, String targetName) {
            if (!(targetDirectory instanceof StagedDirectory)
                    || ((StagedDirectory) targetDirectory).overlay() != Overlay.this) {
                throw new ErrnoException(Errno.XDEV, "rename across filesystems");
            }
            String targetPath = ((StagedDirectory) targetDirectory).path;
            synchronized (Overlay.this) {
                String from = join(path, name);
                String to = join(targetPath, targetName);
                if (from.equals(to)) {
                    return;
                }
                Node source = lookupLocked(from);
                if (source == null) {
                    throw new ErrnoException(Errno.NOENT, name);
                }
                if (source.type() == NodeType.SYMLINK) {
                    throw new ErrnoException(Errno.PERM, "symlinks cannot be moved on host mounts");
                }
                if (to.startsWith(from + "/")) {
                    throw new ErrnoException(Errno.INVAL, "cannot move a directory into itself");
                }
                ((StagedDirectory) targetDirectory).requireStillHere();
                Node replaced = lookupLocked(to);
                if (replaced != null) {
                    if (replaced.type() == NodeType.SYMLINK
                            && source.type() == NodeType.DIRECTORY) {
                        throw new ErrnoException(Errno.NOTDIR, targetName);
                    }
                    if (replaced.type() == NodeType.DIRECTORY
                            && !((DirectoryNode) replaced).isEmpty()) {
                        throw new ErrnoException(Errno.NOTEMPTY, targetName);
                    }
                }
                if (source.type() == NodeType.REGULAR_FILE) {
                    moveFile(from, to, replaced);
                } else {
                    moveDirectory(from, to, replaced);
                }
                touch();
                ((StagedDirectory) targetDirectory).touch();
            }
        }

        private Overlay overlay() {
            return Overlay.this;
        }
    }

    /** Must hold the lock. */
    private void moveFile(String from, String to, Node replaced) {
        OverlayFile file = copyUp(from, Long.MAX_VALUE);
        baseline(to, true);
        if (replaced != null && replaced.type() != NodeType.REGULAR_FILE) {
            // a symlink the host had: its whiteout is the entry we now replace
            remove(to);
        }
        // Take the file out of `from` without dropping its content, then enter it at `to`.
        Entry old = entries.get(from);
        if (baselines.get(from).exists()) {
            entries.put(from, new Entry(Kind.WHITEOUT, null, now()));
        } else {
            entries.remove(from);
            baselines.remove(from);
            quota.chargeEntries(-1);
        }
        put(to, new Entry(Kind.FILE, file, old.modifyTime));
    }

    /** Must hold the lock. Copies the whole merged subtree, then removes the source. */
    private void moveDirectory(String from, String to, Node replaced) {
        if (replaced != null && replaced.type() != NodeType.DIRECTORY) {
            throw new ErrnoException(Errno.NOTDIR, to);
        }
        // Collect first (refusing symlinks), so a refusal changes nothing.
        List<String> relative = new ArrayList<>();
        List<NodeType> types = new ArrayList<>();
        collect(from, "", relative, types);
        if (replaced != null) {
            remove(to); // an empty directory
        }
        baseline(to, true);
        put(to, new Entry(Kind.DIRECTORY, null, now()));
        for (int i = 0; i < relative.size(); i++) {
            String source = from + "/" + relative.get(i);
            String target = to + "/" + relative.get(i);
            baseline(target, true);
            if (types.get(i) == NodeType.DIRECTORY) {
                put(target, new Entry(Kind.DIRECTORY, null, now()));
            } else {
                OverlayFile file = copyUp(source, Long.MAX_VALUE);
                put(target, new Entry(Kind.FILE, file, now()));
            }
        }
        // Remove the source deepest first: every removal leaves a whiteout where the host had
        // something, and nothing where only the overlay had.
        for (int i = relative.size() - 1; i >= 0; i--) {
            removeMoved(from + "/" + relative.get(i));
        }
        removeMoved(from);
    }

    private void removeMoved(String path) {
        HostState first = baseline(path, true);
        Entry old = entries.get(path);
        if (first.exists()) {
            if (old == null) {
                quota.chargeEntries(1);
            }
            entries.put(path, new Entry(Kind.WHITEOUT, null, now()));
        } else if (old != null) {
            entries.remove(path);
            baselines.remove(path);
            quota.chargeEntries(-1);
        }
    }

    private void collect(String base, String relative, List<String> paths, List<NodeType> types) {
        String path = relative.isEmpty() ? base : base + "/" + relative;
        Node node = lookupLocked(path);
        DirectoryNode host = node instanceof StagedDirectory ? ((StagedDirectory) node).host : null;
        for (Map.Entry<String, NodeType> child : childrenLocked(path, host).entrySet()) {
            String childRelative =
                    relative.isEmpty() ? child.getKey() : relative + "/" + child.getKey();
            if (child.getValue() == NodeType.SYMLINK) {
                throw new ErrnoException(Errno.PERM, "symlinks cannot be moved on host mounts");
            }
            paths.add(childRelative);
            types.add(child.getValue());
            if (child.getValue() == NodeType.DIRECTORY) {
                if (paths.size() > 100_000) {
                    throw new ErrnoException(Errno.NOSPC, "directory too large to move");
                }
                collect(base, childRelative, paths, types);
            }
        }
    }

    private final class StagedSymlink extends StagedNode implements SymlinkNode {
        private final String target;

        StagedSymlink(String path, String target) {
            super(path);
            this.target = target;
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
            Node host = hostNode(path);
            Stat s = host == null ? null : host.stat();
            long time = s == null ? now() : s.modifyTimeNanos();
            return new Stat(
                    NodeType.SYMLINK, device, inode(), 1, target.length(), time, time, time);
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            // not staged, like a host directory's times
        }
    }

    private final class StagedFile extends StagedNode implements FileNode {
        /** The host file shown here, null for an overlay file. */
        private final FileNode host;

        StagedFile(String path, FileNode host) {
            super(path);
            this.host = host;
        }

        @Override
        public NodeType type() {
            return NodeType.REGULAR_FILE;
        }

        @Override
        public Stat stat() {
            synchronized (Overlay.this) {
                Entry entry = entries.get(path);
                if (entry != null && entry.kind == Kind.FILE) {
                    OverlayFile f = entry.file;
                    return new Stat(
                            NodeType.REGULAR_FILE,
                            device,
                            inode(),
                            1,
                            f.size(),
                            f.accessTime,
                            f.modifyTime,
                            f.modifyTime);
                }
            }
            if (host == null) {
                throw new ErrnoException(Errno.NOENT, "removed");
            }
            Stat s = host.stat();
            return new Stat(
                    NodeType.REGULAR_FILE,
                    device,
                    inode(),
                    1,
                    s.size(),
                    s.accessTimeNanos(),
                    s.modifyTimeNanos(),
                    s.changeTimeNanos());
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            synchronized (Overlay.this) {
                if (entries.get(path) == null && host != null) {
                    // Only an overlay copy has times of its own; copy the content up.
                    copyUp(path, Long.MAX_VALUE);
                }
                Entry entry = entries.get(path);
                if (entry == null || entry.kind != Kind.FILE) {
                    throw new ErrnoException(Errno.NOENT, "removed");
                }
                accessTimeNanos.ifPresent(t -> entry.file.accessTime = t);
                modifyTimeNanos.ifPresent(t -> entry.file.modifyTime = t);
            }
        }

        @Override
        public OpenFile open(boolean writable) {
            synchronized (Overlay.this) {
                Entry entry = entries.get(path);
                if (entry != null) {
                    if (entry.kind != Kind.FILE) {
                        throw new ErrnoException(Errno.NOENT, "removed");
                    }
                    return new OpenStaged(this, path, null, entry.file);
                }
                if (host == null) {
                    throw new ErrnoException(Errno.NOENT, "removed");
                }
                baseline(path, false);
                // Writes copy the file up lazily, so open(..., 'w') never copies what it truncates.
                return new OpenStaged(this, path, host.open(false), null);
            }
        }
    }

    /**
     * A descriptor on a staged file: bound to an overlay file, or reading the host file until the
     * first write copies it up (or until another descriptor's copy of it exists, which it then
     * follows so the guest sees its own writes).
     */
    private final class OpenStaged implements OpenFile {
        private final StagedFile node;
        private final String origin;
        private OpenFile host;
        private OverlayFile bound;
        private boolean closed;

        OpenStaged(StagedFile node, String origin, OpenFile host, OverlayFile bound) {
            this.node = node;
            this.origin = origin;
            this.host = host;
            this.bound = bound;
            if (bound != null) {
                bound.opened();
            }
        }

        /** Must hold the lock: follows a copy another descriptor made. */
        private OverlayFile current() {
            if (bound == null) {
                OverlayFile copy = copies.get(origin);
                if (copy != null) {
                    bind(copy);
                }
            }
            return bound;
        }

        private void bind(OverlayFile file) {
            bound = file;
            file.opened();
            if (host != null) {
                host.close();
                host = null;
            }
        }

        private OverlayFile writable(long keepBytes) {
            requireOpen();
            OverlayFile file = current();
            if (file == null) {
                file = copyUp(origin, keepBytes);
                bind(file);
            }
            return file;
        }

        private void requireOpen() {
            if (closed) {
                throw new ErrnoException(Errno.BADF, "closed");
            }
        }

        @Override
        public int read(long position, byte[] buffer, int offset, int length) {
            synchronized (Overlay.this) {
                requireOpen();
                OverlayFile file = current();
                if (file != null) {
                    return file.read(position, buffer, offset, length);
                }
                return host.read(position, buffer, offset, length);
            }
        }

        @Override
        public int write(long position, byte[] buffer, int offset, int length) {
            synchronized (Overlay.this) {
                return writable(Long.MAX_VALUE).write(position, buffer, offset, length, now());
            }
        }

        @Override
        public long size() {
            synchronized (Overlay.this) {
                requireOpen();
                OverlayFile file = current();
                return file != null ? file.size() : host.size();
            }
        }

        @Override
        public void truncate(long size) {
            synchronized (Overlay.this) {
                writable(Math.max(0, size)).truncate(size, now());
            }
        }

        @Override
        public FileNode node() {
            return node;
        }

        @Override
        public void close() {
            synchronized (Overlay.this) {
                if (closed) {
                    return;
                }
                closed = true;
                if (bound != null) {
                    bound.closed();
                }
                if (host != null) {
                    host.close();
                }
            }
        }
    }
}
