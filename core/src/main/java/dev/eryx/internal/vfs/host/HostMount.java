package dev.eryx.internal.vfs.host;

import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.OpenFile;
import dev.eryx.internal.vfs.Stat;
import dev.eryx.internal.vfs.SymlinkNode;
import dev.eryx.internal.vfs.WriteMask;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A host directory exposed inside the VFS. This package is the ONLY place that touches the host
 * filesystem.
 *
 * <p>Confinement: every operation walks from the mount root one component at a time through {@link
 * SecureDirectoryStream} (openat with O_NOFOLLOW underneath), so a host symlink, or a directory
 * swapped for one mid-operation, is never followed by the host OS. Names reaching this class are
 * single validated components. Host symlinks are shown to the guest as symlinks whose targets the
 * VFS resolves in the guest namespace. The guest may not create symlinks here, nor move them (so it
 * cannot stage a race for the two path-based calls Java offers no *at variant for: mkdir and
 * readlink). Special files (FIFOs, devices, sockets) are invisible. Hard links are never created,
 * and a file the host gave several links is never modified (EACCES; its other names may lie outside
 * the mount); it can still be read. Writes are not counted against the sandbox's memory quota.
 */
public final class HostMount {
    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final Path root;
    private final boolean readOnly;
    private final long device;

    /** What writes to its files pass through; null: none. */
    private final WriteMask mask;

    private HostMount(Path root, boolean readOnly, long device, WriteMask mask) {
        this.root = root;
        this.readOnly = readOnly;
        this.device = device;
        this.mask = mask;
    }

    /**
     * Whether {@code hostDirectory} can be mounted: an existing directory (checked when
     * configuring).
     */
    public static boolean isMountable(Path hostDirectory) {
        return Files.isDirectory(hostDirectory);
    }

    /**
     * Opens {@code hostDirectory} as a mount and returns its root directory node.
     *
     * @throws IllegalArgumentException if it is not a directory or the platform lacks
     *     SecureDirectoryStream (without it confinement cannot be guaranteed, so we refuse).
     */
    public static DirectoryNode open(Path hostDirectory, boolean readOnly, long device) {
        return open(hostDirectory, readOnly, device, null);
    }

    /** As {@link #open(Path, boolean, long)}, writes to its files passing {@code mask}. */
    public static DirectoryNode open(
            Path hostDirectory, boolean readOnly, long device, WriteMask mask) {
        Objects.requireNonNull(hostDirectory, "hostDirectory");
        Path real;
        try {
            real = hostDirectory.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot mount " + hostDirectory + ": " + e, e);
        }
        if (!Files.isDirectory(real)) {
            throw new IllegalArgumentException("not a directory: " + hostDirectory);
        }
        HostMount mount = new HostMount(real, readOnly, device, mask);
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(real)) {
            if (!(stream instanceof SecureDirectoryStream)) {
                throw new IllegalArgumentException(
                        "host mounts need SecureDirectoryStream, which this platform lacks");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot mount " + hostDirectory + ": " + e, e);
        }
        return mount.new HostDirectory(new String[0]);
    }

    // ---------------------------------------------------------------- confined access primitives

    @FunctionalInterface
    private interface DirectoryAction<T> {
        T apply(SecureDirectoryStream<Path> directory) throws IOException;
    }

    /**
     * Runs {@code action} on the directory at {@code components}, walked without following links.
     */
    private <T> T inDirectory(String[] components, DirectoryAction<T> action) {
        SecureDirectoryStream<Path> current = null;
        try {
            current = (SecureDirectoryStream<Path>) Files.newDirectoryStream(root);
            for (String component : components) {
                SecureDirectoryStream<Path> next =
                        current.newDirectoryStream(Path.of(component), NO_FOLLOW);
                current.close();
                current = next;
            }
            return action.apply(current);
        } catch (IOException e) {
            throw toErrno(e);
        } finally {
            if (current != null) {
                try {
                    current.close();
                } catch (IOException ignored) {
                    // closing a directory handle cannot meaningfully fail
                }
            }
        }
    }

    private static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, String name)
            throws IOException {
        return dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NO_FOLLOW)
                .readAttributes();
    }

    private static NodeType typeOf(BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return NodeType.DIRECTORY;
        }
        if (attributes.isRegularFile()) {
            return NodeType.REGULAR_FILE;
        }
        if (attributes.isSymbolicLink()) {
            return NodeType.SYMLINK;
        }
        return null; // special files stay invisible
    }

    private static ErrnoException toErrno(IOException e) {
        Errno errno;
        if (e instanceof NoSuchFileException) {
            errno = Errno.NOENT;
        } else if (e instanceof FileAlreadyExistsException) {
            errno = Errno.EXIST;
        } else if (e instanceof DirectoryNotEmptyException) {
            errno = Errno.NOTEMPTY;
        } else if (e instanceof NotDirectoryException) {
            errno = Errno.NOTDIR;
        } else if (e instanceof AccessDeniedException) {
            errno = Errno.ACCES;
        } else if (e instanceof FileSystemLoopException) {
            errno = Errno.LOOP;
        } else if (e instanceof FileSystemException
                && ((FileSystemException) e).getReason() != null) {
            errno = errnoForReason(((FileSystemException) e).getReason());
        } else {
            errno = Errno.IO;
        }
        // Host paths in messages would leak host layout to guest-visible errors; keep only the
        // kind.
        return new ErrnoException(errno, "host filesystem: " + errno.name());
    }

    private static Errno errnoForReason(String reason) {
        switch (reason) {
            case "Is a directory":
                return Errno.ISDIR;
            case "Not a directory":
                return Errno.NOTDIR;
            case "Too many levels of symbolic links":
                return Errno.LOOP; // O_NOFOLLOW hit a symlink: someone swapped one in
            case "Directory not empty":
                return Errno.NOTEMPTY;
            case "No space left on device":
                return Errno.NOSPC;
            case "Disk quota exceeded":
                return Errno.DQUOT;
            case "Invalid cross-device link":
                return Errno.XDEV;
            case "Read-only file system":
                return Errno.ROFS;
            case "File too large":
                return Errno.FBIG;
            case "Invalid argument":
                return Errno.INVAL;
            case "Operation not permitted":
                return Errno.PERM;
            case "Permission denied":
                return Errno.ACCES;
            case "File name too long":
                return Errno.NAMETOOLONG;
            case "Device or resource busy":
                return Errno.BUSY;
            default:
                return Errno.IO;
        }
    }

    private void requireWritable() {
        if (readOnly) {
            throw new ErrnoException(Errno.ROFS, "read-only mount");
        }
    }

    private static long nanos(FileTime time) {
        return Math.max(0, time.to(TimeUnit.NANOSECONDS));
    }

    private static String[] child(String[] components, String name) {
        String[] result = Arrays.copyOf(components, components.length + 1);
        result[components.length] = name;
        return result;
    }

    /** Stable inode from the path inside the mount (host inode numbers would leak host state). */
    private static long inodeOf(String[] components) {
        long hash = 1125899906842597L;
        for (String c : components) {
            hash = 31 * hash + c.hashCode();
            hash = 31 * hash + '/';
        }
        return hash & Long.MAX_VALUE;
    }

    // ---------------------------------------------------------------- nodes

    /** A node of this mount, named by its components below the mount root. */
    private abstract class HostNode implements Node {
        final String[] components;

        HostNode(String[] components) {
            this.components = components;
        }

        String name() {
            return components[components.length - 1];
        }

        String[] parent() {
            return Arrays.copyOf(components, components.length - 1);
        }

        @Override
        public long inode() {
            return inodeOf(components);
        }

        @Override
        public long device() {
            return device;
        }

        @Override
        public boolean isReadOnly() {
            return readOnly;
        }

        @Override
        public Stat stat() {
            BasicFileAttributes a =
                    components.length == 0
                            ? inDirectory(
                                    components,
                                    dir ->
                                            dir.getFileAttributeView(BasicFileAttributeView.class)
                                                    .readAttributes())
                            : inDirectory(parent(), dir -> attributes(dir, name()));
            NodeType type = typeOf(a);
            if (type == null) {
                throw new ErrnoException(Errno.NOENT, "special file");
            }
            long size = type == NodeType.DIRECTORY ? 0 : a.size();
            return new Stat(
                    type,
                    device,
                    inode(),
                    1,
                    size,
                    nanos(a.lastAccessTime()),
                    nanos(a.lastModifiedTime()),
                    nanos(a.lastModifiedTime()));
        }

        @Override
        public void setTimes(OptionalLong accessTimeNanos, OptionalLong modifyTimeNanos) {
            requireWritable();
            FileTime access =
                    accessTimeNanos.isPresent()
                            ? FileTime.from(accessTimeNanos.getAsLong(), TimeUnit.NANOSECONDS)
                            : null;
            FileTime modify =
                    modifyTimeNanos.isPresent()
                            ? FileTime.from(modifyTimeNanos.getAsLong(), TimeUnit.NANOSECONDS)
                            : null;
            DirectoryAction<Void> set =
                    dir -> {
                        BasicFileAttributeView view =
                                components.length == 0
                                        ? dir.getFileAttributeView(BasicFileAttributeView.class)
                                        : dir.getFileAttributeView(
                                                Path.of(name()),
                                                BasicFileAttributeView.class,
                                                NO_FOLLOW);
                        if (this instanceof HostFile) {
                            requireSingleLink(dir, components); // times are writes too
                        }
                        view.setTimes(modify, access, null);
                        return null;
                    };
            inDirectory(components.length == 0 ? components : parent(), set);
        }
    }

    private final class HostDirectory extends HostNode implements DirectoryNode {
        HostDirectory(String[] components) {
            super(components);
        }

        @Override
        public NodeType type() {
            return NodeType.DIRECTORY;
        }

        @Override
        public Node lookup(String name) {
            String[] childComponents = child(components, name);
            return inDirectory(
                    components,
                    dir -> {
                        BasicFileAttributes a;
                        try {
                            a = attributes(dir, name);
                        } catch (NoSuchFileException e) {
                            return null;
                        }
                        NodeType type = typeOf(a);
                        if (type == null) {
                            return null;
                        }
                        switch (type) {
                            case DIRECTORY:
                                return new HostDirectory(childComponents);
                            case REGULAR_FILE:
                                return new HostFile(childComponents);
                            default:
                                return new HostSymlink(childComponents, readLink(childComponents));
                        }
                    });
        }

        @Override
        public List<DirEntry> entries() {
            return inDirectory(
                    components,
                    dir -> {
                        List<DirEntry> result = new ArrayList<>();
                        for (Path entry : dir) {
                            String name = entry.getFileName().toString();
                            NodeType type;
                            try {
                                type = typeOf(attributes(dir, name));
                            } catch (NoSuchFileException vanished) {
                                continue;
                            }
                            if (type != null) {
                                result.add(
                                        new DirEntry(name, type, inodeOf(child(components, name))));
                            }
                        }
                        result.sort((x, y) -> x.name().compareTo(y.name()));
                        return Collections.unmodifiableList(result);
                    });
        }

        @Override
        public boolean isEmpty() {
            return inDirectory(components, dir -> !dir.iterator().hasNext());
        }

        @Override
        public FileNode createFile(String name) {
            requireWritable();
            Set<OpenOption> options =
                    Set.of(
                            StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
            inDirectory(
                    components,
                    dir -> {
                        dir.newByteChannel(Path.of(name), options).close();
                        return null;
                    });
            return new HostFile(child(components, name));
        }

        @Override
        public DirectoryNode createDirectory(String name) {
            requireWritable();
            // Java has no mkdirat. Walking first proves every component is a real directory now;
            // the
            // guest cannot create or move symlinks here, so it cannot race this path-based call.
            inDirectory(components, dir -> null);
            Path path = root;
            for (String c : components) {
                path = path.resolve(c);
            }
            try {
                Files.createDirectory(path.resolve(name));
            } catch (IOException e) {
                throw toErrno(e);
            }
            return new HostDirectory(child(components, name));
        }

        @Override
        public void createSymlink(String name, String target) {
            requireWritable();
            throw new ErrnoException(Errno.PERM, "symlinks cannot be created on host mounts");
        }

        @Override
        public void unlink(String name) {
            requireWritable();
            inDirectory(
                    components,
                    dir -> {
                        if (attributes(dir, name).isDirectory()) {
                            throw new ErrnoException(Errno.ISDIR, name);
                        }
                        dir.deleteFile(Path.of(name));
                        return null;
                    });
        }

        @Override
        public void removeDirectory(String name) {
            requireWritable();
            inDirectory(
                    components,
                    dir -> {
                        if (!attributes(dir, name).isDirectory()) {
                            throw new ErrnoException(Errno.NOTDIR, name);
                        }
                        dir.deleteDirectory(Path.of(name));
                        return null;
                    });
        }

        @Override
        public void rename(String name, DirectoryNode targetDirectory, String targetName) {
            requireWritable();
            if (!(targetDirectory instanceof HostDirectory)
                    || ((HostDirectory) targetDirectory).mount() != HostMount.this) {
                throw new ErrnoException(Errno.XDEV, "rename across filesystems");
            }
            String[] targetComponents = ((HostDirectory) targetDirectory).components;
            inDirectory(
                    components,
                    source -> {
                        if (attributes(source, name).isSymbolicLink()) {
                            throw new ErrnoException(
                                    Errno.PERM, "symlinks cannot be moved on host mounts");
                        }
                        return inDirectory(
                                targetComponents,
                                target -> {
                                    source.move(Path.of(name), target, Path.of(targetName));
                                    return null;
                                });
                    });
        }

        private HostMount mount() {
            return HostMount.this;
        }
    }

    /** Path-based readlink (no readlinkat in Java); see the class comment for why that is safe. */
    private String readLink(String[] components) throws IOException {
        Path path = root;
        for (String c : components) {
            path = path.resolve(c);
        }
        return Files.readSymbolicLink(path).toString();
    }

    private final class HostSymlink extends HostNode implements SymlinkNode {
        private final String target;

        HostSymlink(String[] components, String target) {
            super(components);
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
    }

    private final class HostFile extends HostNode implements FileNode {
        HostFile(String[] components) {
            super(components);
        }

        @Override
        public NodeType type() {
            return NodeType.REGULAR_FILE;
        }

        @Override
        public OpenFile open(boolean writable) {
            if (writable) {
                requireWritable();
            }
            Set<OpenOption> options =
                    writable
                            ? Set.of(
                                    StandardOpenOption.READ,
                                    StandardOpenOption.WRITE,
                                    LinkOption.NOFOLLOW_LINKS)
                            : Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            SeekableByteChannel channel =
                    inDirectory(
                            parent(),
                            dir -> {
                                if (!attributes(dir, name()).isRegularFile()) {
                                    throw new ErrnoException(
                                            Errno.NOENT, "no longer a regular file");
                                }
                                SeekableByteChannel opened =
                                        dir.newByteChannel(Path.of(name()), options);
                                if (writable) {
                                    try {
                                        requireSingleLink(dir, components);
                                    } catch (IOException | RuntimeException e) {
                                        opened.close();
                                        throw e;
                                    }
                                }
                                return opened;
                            });
            return new OpenHostFile(this, channel, mask);
        }
    }

    /**
     * Refuses (EACCES) to modify a regular file with more than one hard link. The guest cannot
     * create hard links here, but the host may have left one, and its other name can be any host
     * file on the same filesystem, outside the mount. Called with the directory handle the file was
     * opened through, after opening: Java cannot stat an open channel, so the link count comes from
     * one stat of the host path, accepted only if it names the same file (device and inode) as the
     * entry in that directory handle. Fails closed where the platform reports no link count.
     */
    private void requireSingleLink(SecureDirectoryStream<Path> dir, String[] components)
            throws IOException {
        Object entry = attributes(dir, components[components.length - 1]).fileKey();
        Path path = root;
        for (String c : components) {
            path = path.resolve(c);
        }
        Map<String, Object> unix;
        try {
            unix = Files.readAttributes(path, "unix:nlink,fileKey", NO_FOLLOW);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new ErrnoException(Errno.ACCES, "the host reports no link count");
        }
        if (entry == null
                || !entry.equals(unix.get("fileKey"))
                || !(unix.get("nlink") instanceof Integer links)
                || links != 1) {
            throw new ErrnoException(Errno.ACCES, "a file with several hard links");
        }
    }

    private static final class OpenHostFile implements OpenFile {
        private final HostFile node;
        private final SeekableByteChannel channel;
        private final WriteMask mask;

        /** Where the last write ended and its last bytes (after masking), for the mask. */
        private long lastEnd = -1;

        private byte[] tail = new byte[0];

        OpenHostFile(HostFile node, SeekableByteChannel channel, WriteMask mask) {
            this.node = node;
            this.channel = channel;
            this.mask = mask;
        }

        @Override
        public int read(long position, byte[] buffer, int offset, int length) {
            try {
                channel.position(position);
                int total = 0;
                ByteBuffer target = ByteBuffer.wrap(buffer, offset, length);
                while (target.hasRemaining()) {
                    int n = channel.read(target);
                    if (n <= 0) {
                        break;
                    }
                    total += n;
                }
                return total;
            } catch (IOException e) {
                throw toErrno(e);
            }
        }

        @Override
        public int write(long position, byte[] buffer, int offset, int length) {
            if (mask != null) {
                writeMasked(position, buffer, offset, length);
                return length;
            }
            try {
                channel.position(position);
                ByteBuffer source = ByteBuffer.wrap(buffer, offset, length);
                while (source.hasRemaining()) {
                    channel.write(source);
                }
                return length;
            } catch (IOException e) {
                throw toErrno(e);
            }
        }

        /**
         * Writes through the mask. A write continuing the previous one is masked together with that
         * one's tail, whose masked form is written again if a match spans both.
         */
        private void writeMasked(long position, byte[] buffer, int offset, int length) {
            int context = position == lastEnd ? tail.length : 0;
            byte[] window = new byte[context + length];
            System.arraycopy(tail, tail.length - context, window, 0, context);
            System.arraycopy(buffer, offset, window, context, length);
            byte[] masked = mask.apply(window);
            try {
                int from = context;
                if (masked != window && !Arrays.equals(masked, 0, context, window, 0, context)) {
                    from = 0;
                }
                channel.position(position - (context - from));
                ByteBuffer source = ByteBuffer.wrap(masked, from, masked.length - from);
                while (source.hasRemaining()) {
                    channel.write(source);
                }
            } catch (IOException e) {
                throw toErrno(e);
            }
            lastEnd = position + length;
            int keep = Math.min(mask.overlap(), masked.length);
            tail = Arrays.copyOfRange(masked, masked.length - keep, masked.length);
        }

        @Override
        public long size() {
            try {
                return channel.size();
            } catch (IOException e) {
                throw toErrno(e);
            }
        }

        @Override
        public void truncate(long size) {
            try {
                long current = channel.size();
                if (size < current) {
                    channel.truncate(size);
                } else if (size > current) {
                    // Extending: write a single zero at the new end; the gap reads as zeros.
                    channel.position(size - 1);
                    channel.write(ByteBuffer.wrap(new byte[1]));
                }
            } catch (IOException e) {
                throw toErrno(e);
            }
        }

        @Override
        public FileNode node() {
            return node;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing the guest can do about it
            }
        }
    }
}
