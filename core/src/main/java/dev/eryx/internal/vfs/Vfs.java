package dev.eryx.internal.vfs;

import dev.eryx.internal.vfs.host.HostMount;
import dev.eryx.internal.vfs.staged.StagedMount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One sandbox's filesystem: a guest-writable in-memory tree with read-only layers and host
 * directories mounted into it. Path resolution is entirely ours: POSIX strings, ".." never above
 * "/", symlinks resolved in the guest namespace only, with loop and length limits.
 *
 * <p>The host-facing methods ({@link #readFile}, {@link #writeFile}, ...) take absolute guest paths
 * and follow symlinks like the guest would; they are what {@code Sandbox.files()} wraps.
 */
public final class Vfs {
    public static final int MAX_PATH_BYTES = 4096;
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_SYMLINK_FOLLOWS = 40;

    /** Deepest directory nesting a walk may reach, whatever path pieces it was given in. */
    public static final int MAX_DEPTH = 512;

    private static final long FIRST_HOST_DEVICE = 0x10000;

    private final MemoryTree tree;
    private final DirectoryNode[] rootChain;
    private long nextHostDevice = FIRST_HOST_DEVICE;
    private final Clock clock;

    /** Staged mounts by normalized guest path, in mount order. */
    private final Map<String, StagedMount> stagedMounts = new LinkedHashMap<>();

    private Vfs(Builder builder) {
        this.clock = builder.clock;
        this.tree = new MemoryTree(builder.maxBytes, builder.clock);
        this.rootChain = new DirectoryNode[] {tree.root()};
    }

    public static Builder builder() {
        return new Builder();
    }

    public DirectoryNode root() {
        return rootChain[0];
    }

    /** The chain for "/" (just the root); the starting point of absolute resolution. */
    public DirectoryNode[] rootChain() {
        return rootChain.clone();
    }

    public long usedBytes() {
        return tree.usedBytes();
    }

    public long maxBytes() {
        return tree.maxBytes();
    }

    /** Files, directories and symlinks the in-memory tree may hold under a quota of maxBytes. */
    public static long maxEntries(long maxBytes) {
        return MemoryTree.maxEntries(maxBytes);
    }

    /**
     * Lists the in-memory tree without following symlinks or entering mounts (see {@link
     * MemoryTree#walk}); what saved state stores.
     */
    public void walkMemoryTree(Consumer<TreeEntry> visitor) {
        tree.walk(Objects.requireNonNull(visitor, "visitor"));
    }

    /**
     * Recreates a listing of {@link #walkMemoryTree}, leaving out whatever lies at or below the
     * absolute, normalized paths in {@code skip} (see {@link MemoryTree#restore}).
     *
     * @throws IllegalArgumentException the entries do not form a tree or do not fit the quota
     */
    public void restoreMemoryTree(List<TreeEntry> entries, Set<String> skip) {
        tree.restore(entries, Set.copyOf(skip));
    }

    // ---------------------------------------------------------------- mounts

    /** Shows {@code layer} (shared, never copied) at {@code guestPath}, creating parents. */
    public void mount(ReadOnlyLayer layer, String guestPath) {
        Objects.requireNonNull(layer, "layer");
        attach(guestPath, layer.root());
    }

    /** Shows the host directory at {@code guestPath}; confinement is {@link HostMount}'s job. */
    public synchronized void mount(Path hostDirectory, String guestPath, boolean readOnly) {
        mount(hostDirectory, guestPath, readOnly, null);
    }

    /** As {@link #mount(Path, String, boolean)}, writes to its files passing {@code mask}. */
    public synchronized void mount(
            Path hostDirectory, String guestPath, boolean readOnly, WriteMask mask) {
        DirectoryNode mounted = HostMount.open(hostDirectory, readOnly, nextHostDevice, mask);
        attach(guestPath, mounted);
        nextHostDevice++;
    }

    /**
     * Shows the host directory at {@code guestPath} with the guest's writes staged in an overlay
     * charged to this filesystem's quota (see {@link StagedMount}).
     */
    public synchronized StagedMount mountStaged(Path hostDirectory, String guestPath) {
        return mountStaged(hostDirectory, guestPath, null);
    }

    /** As {@link #mountStaged(Path, String)}, committed files passing {@code mask}. */
    public synchronized StagedMount mountStaged(
            Path hostDirectory, String guestPath, WriteMask mask) {
        StagedMount staged =
                StagedMount.open(hostDirectory, nextHostDevice, tree.quota(), clock, mask);
        attach(guestPath, staged.root());
        nextHostDevice++;
        stagedMounts.put(normalizeAbsolute(guestPath), staged);
        return staged;
    }

    /** The staged mounts by normalized guest path, in mount order. */
    public synchronized Map<String, StagedMount> stagedMounts() {
        return new LinkedHashMap<>(stagedMounts);
    }

    private void attach(String guestPath, DirectoryNode mountedRoot) {
        String normalized = normalizeAbsolute(guestPath);
        if (normalized.equals("/")) {
            throw new IllegalArgumentException("cannot mount over /");
        }
        int slash = normalized.lastIndexOf('/');
        String parentPath = slash == 0 ? "/" : normalized.substring(0, slash);
        mkdirs(parentPath);
        Resolution parent = resolve(rootChain, parentPath, true);
        if (!(parent.node() instanceof MemoryTree.MemoryDirectory)) {
            throw new IllegalArgumentException(
                    "mount parent must be in the in-memory tree: " + parentPath);
        }
        try {
            ((MemoryTree.MemoryDirectory) parent.node())
                    .attachMount(normalized.substring(slash + 1), mountedRoot);
        } catch (ErrnoException e) {
            // A configuration error of the host, not a guest errno: say it plainly.
            throw new IllegalArgumentException(
                    "cannot mount at "
                            + normalized
                            + ": the sandbox already has files there (mount at a new or empty"
                            + " directory)");
        }
    }

    /** Validates and normalizes a host-given absolute guest path ("/a//b/./c" → "/a/b/c"). */
    public static String normalizeAbsolute(String guestPath) {
        Objects.requireNonNull(guestPath, "guestPath");
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("guest path must be absolute: " + guestPath);
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String part : guestPath.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                checkName(part);
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }

    // ---------------------------------------------------------------- resolution

    /**
     * Walks {@code path} from {@code start} (a chain from the root, as held by a directory fd).
     *
     * @param followFinalSymlink whether a symlink as the last component is followed (trailing
     *     slashes always follow)
     */
    public Resolution resolve(DirectoryNode[] start, String path, boolean followFinalSymlink) {
        if (path.isEmpty()) {
            throw new ErrnoException(Errno.NOENT, "empty path");
        }
        if (path.length() > MAX_PATH_BYTES) { // chars ≤ bytes, so this is a cheap first check
            throw new ErrnoException(Errno.NAMETOOLONG, "path too long");
        }
        if (start.length >= MAX_DEPTH) { // a directory fd opened at the limit cannot go deeper
            throw new ErrnoException(Errno.NAMETOOLONG, "directory nesting too deep");
        }
        List<DirectoryNode> chain =
                new ArrayList<>(Arrays.asList(path.charAt(0) == '/' ? rootChain : start));
        Deque<String> pending = new ArrayDeque<>();
        boolean trailingSlash = pushComponents(pending, path);
        int symlinksFollowed = 0;
        while (!pending.isEmpty()) {
            String name = pending.pollFirst();
            boolean last = pending.isEmpty();
            if (name.equals(".") || name.equals("..")) {
                if (name.equals("..") && chain.size() > 1) {
                    chain.remove(chain.size() - 1);
                }
                if (last) {
                    return new Resolution(
                            chain.toArray(new DirectoryNode[0]),
                            null,
                            chain.get(chain.size() - 1),
                            trailingSlash);
                }
                continue;
            }
            checkName(name);
            DirectoryNode directory = chain.get(chain.size() - 1);
            Node node = directory.lookup(name);
            if (node == null) {
                if (last) {
                    return new Resolution(
                            chain.toArray(new DirectoryNode[0]), name, null, trailingSlash);
                }
                throw new ErrnoException(Errno.NOENT, name);
            }
            if (node.type() == NodeType.SYMLINK && (!last || followFinalSymlink || trailingSlash)) {
                if (++symlinksFollowed > MAX_SYMLINK_FOLLOWS) {
                    throw new ErrnoException(Errno.LOOP, "too many levels of symbolic links");
                }
                String target = ((SymlinkNode) node).target();
                if (target.isEmpty()) {
                    throw new ErrnoException(Errno.NOENT, "empty symlink");
                }
                if (target.charAt(0) == '/') {
                    chain.subList(1, chain.size()).clear();
                }
                boolean targetTrailingSlash = pushComponents(pending, target);
                if (last) {
                    trailingSlash |= targetTrailingSlash;
                }
                continue;
            }
            if (last) {
                if (trailingSlash && node.type() != NodeType.DIRECTORY) {
                    throw new ErrnoException(Errno.NOTDIR, name);
                }
                return new Resolution(
                        chain.toArray(new DirectoryNode[0]), name, node, trailingSlash);
            }
            if (node.type() != NodeType.DIRECTORY) {
                throw new ErrnoException(Errno.NOTDIR, name);
            }
            if (chain.size() >= MAX_DEPTH) {
                throw new ErrnoException(Errno.NAMETOOLONG, "directory nesting too deep");
            }
            chain.add((DirectoryNode) node);
        }
        // Only "/" (or "///") gets here: nothing to walk.
        return new Resolution(
                chain.toArray(new DirectoryNode[0]),
                null,
                chain.get(chain.size() - 1),
                trailingSlash);
    }

    /**
     * Pushes the components of {@code path} in front of {@code pending}; returns trailing-slash.
     */
    private static boolean pushComponents(Deque<String> pending, String path) {
        int end = path.length();
        boolean trailingSlash = end > 1 && path.charAt(end - 1) == '/';
        if (pending.size() + end / 2 > MAX_PATH_BYTES) {
            throw new ErrnoException(Errno.NAMETOOLONG, "path too long");
        }
        while (end > 0) {
            int slash = path.lastIndexOf('/', end - 1);
            if (slash + 1 < end) {
                pending.addFirst(path.substring(slash + 1, end));
            }
            end = slash < 0 ? 0 : slash;
        }
        return trailingSlash;
    }

    /** A component must be non-empty, free of '/' and NUL, and at most MAX_NAME_BYTES of UTF-8. */
    static void checkName(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new ErrnoException(Errno.INVAL, "bad name");
        }
        if (name.length() > MAX_NAME_BYTES / 3
                && name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new ErrnoException(Errno.NAMETOOLONG, "name too long");
        }
    }

    // ---------------------------------------------------------------- operations shared by WASI
    // and the host API

    /** Renames with POSIX checks; both resolutions are unfollowed. */
    public void rename(Resolution from, Resolution to) {
        if (from.name() == null || to.name() == null) {
            throw new ErrnoException(Errno.BUSY, "cannot rename . or .. or /");
        }
        Node source = from.node();
        if (source == null) {
            throw new ErrnoException(Errno.NOENT, from.name());
        }
        DirectoryNode sourceParent = from.parent();
        DirectoryNode targetParent = to.parent();
        if (sourceParent.device() != targetParent.device()) {
            throw new ErrnoException(Errno.XDEV, "rename across filesystems");
        }
        if (sourceParent.isReadOnly()) {
            throw new ErrnoException(Errno.ROFS, "read-only filesystem");
        }
        Node target = to.node();
        if (target == source) {
            return;
        }
        if (source.type() == NodeType.DIRECTORY) {
            for (DirectoryNode ancestor : to.chain()) {
                if (ancestor == source) {
                    throw new ErrnoException(Errno.INVAL, "cannot move a directory into itself");
                }
            }
            if (target != null && target.type() != NodeType.DIRECTORY) {
                throw new ErrnoException(Errno.NOTDIR, to.name());
            }
        } else {
            if (target != null && target.type() == NodeType.DIRECTORY) {
                throw new ErrnoException(Errno.ISDIR, to.name());
            }
            if (from.trailingSlash() || to.trailingSlash()) {
                throw new ErrnoException(Errno.NOTDIR, from.name());
            }
        }
        sourceParent.rename(from.name(), targetParent, to.name());
    }

    // ---------------------------------------------------------------- host-facing API

    private Resolution resolveAbsolute(String guestPath, boolean follow) {
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("guest path must be absolute: " + guestPath);
        }
        return resolve(rootChain, guestPath, follow);
    }

    private Node existing(String guestPath) {
        Resolution r = resolveAbsolute(guestPath, true);
        if (r.node() == null) {
            throw new ErrnoException(Errno.NOENT, guestPath);
        }
        return r.node();
    }

    public boolean exists(String guestPath) {
        try {
            return resolveAbsolute(guestPath, true).node() != null;
        } catch (ErrnoException e) {
            return false;
        }
    }

    public Stat stat(String guestPath) {
        return existing(guestPath).stat();
    }

    public byte[] readFile(String guestPath) {
        Node node = existing(guestPath);
        if (node.type() != NodeType.REGULAR_FILE) {
            throw new ErrnoException(Errno.ISDIR, guestPath);
        }
        try (OpenFile file = ((FileNode) node).open(false)) {
            long size = file.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new ErrnoException(Errno.FBIG, guestPath);
            }
            byte[] content = new byte[(int) size];
            int read = 0;
            while (read < content.length) {
                int n = file.read(read, content, read, content.length - read);
                if (n <= 0) {
                    return Arrays.copyOf(content, read);
                }
                read += n;
            }
            return content;
        }
    }

    /** Creates or replaces the file's content; parent directories must exist. */
    public void writeFile(String guestPath, byte[] content) {
        Resolution r = resolveAbsolute(guestPath, true);
        if (r.name() == null || (r.node() != null && r.node().type() != NodeType.REGULAR_FILE)) {
            throw new ErrnoException(Errno.ISDIR, guestPath);
        }
        FileNode file = r.node() != null ? (FileNode) r.node() : r.parent().createFile(r.name());
        try (OpenFile open = file.open(true)) {
            open.truncate(0);
            open.write(0, content, 0, content.length);
        }
    }

    /** Names in the directory, sorted, without "." and "..". */
    public List<String> list(String guestPath) {
        Node node = existing(guestPath);
        if (node.type() != NodeType.DIRECTORY) {
            throw new ErrnoException(Errno.NOTDIR, guestPath);
        }
        List<DirEntry> entries = ((DirectoryNode) node).entries();
        List<String> names = new ArrayList<>(entries.size());
        for (DirEntry e : entries) {
            names.add(e.name());
        }
        return names;
    }

    /** Deletes a file, a symlink (not its target) or an empty directory. */
    public void delete(String guestPath) {
        Resolution r = resolveAbsolute(guestPath, false);
        if (r.name() == null) {
            throw new ErrnoException(Errno.BUSY, guestPath);
        }
        if (r.node() == null) {
            throw new ErrnoException(Errno.NOENT, guestPath);
        }
        if (r.node().type() == NodeType.DIRECTORY) {
            r.parent().removeDirectory(r.name());
        } else {
            r.parent().unlink(r.name());
        }
    }

    /** Creates the directory and any missing parents; fine if it already exists. */
    public void mkdirs(String guestPath) {
        String normalized = normalizeAbsolute(guestPath);
        DirectoryNode[] chain = rootChain;
        for (String part : normalized.substring(1).split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            Resolution r = resolve(chain, part, true);
            if (r.node() == null) {
                if (r.parent() != chain[chain.length - 1] || !part.equals(r.name())) {
                    // A dangling symlink: refused, as by mkdir -p. Creating `part` where the link
                    // points would make a stray directory and still leave the path unresolved.
                    throw new ErrnoException(Errno.EXIST, guestPath + ": dangling symlink " + part);
                }
                r.parent().createDirectory(part);
                r = resolve(chain, part, true);
            }
            if (r.node() == null || r.node().type() != NodeType.DIRECTORY) {
                throw new ErrnoException(Errno.NOTDIR, guestPath);
            }
            chain = r.chainIncludingNode();
        }
    }

    /** Configuration of a {@link Vfs}. */
    public static final class Builder {
        private long maxBytes = 64L * 1024 * 1024;
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /** Bytes the guest (and host API) may store in the in-memory tree; default 64 MiB. */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxBytes must be >= 0: " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /** Clock for file timestamps in the in-memory tree. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Vfs build() {
            return new Vfs(this);
        }
    }
}
