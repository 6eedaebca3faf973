package dev.eryx.internal.vfs.host;

import dev.eryx.internal.vfs.WriteMask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * Applies a staged mount's commit to its host directory, with the same confinement as {@link
 * HostMount}: every operation walks from the root one component at a time through {@link
 * SecureDirectoryStream} without following links, so no symlink is followed; none is ever created.
 * A file is replaced atomically: its content goes to a temporary file in the same directory,
 * flushed to disk, then renamed over the old name (which keeps its permissions). Paths are
 * components below the root, already validated.
 */
public final class HostWriter {
    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

    /** What a file the commit creates gets (a replaced file keeps its own). */
    public static final String NEW_FILE_PERMISSIONS = "rw-r--r--";

    private static final Set<PosixFilePermission> NEW_FILE =
            PosixFilePermissions.fromString(NEW_FILE_PERMISSIONS);

    private final Path root;
    private final SecureRandom random = new SecureRandom();

    /** Applied to every file's content before it is written (secrets' redaction); or null. */
    private final WriteMask mask;

    private HostWriter(Path root, WriteMask mask) {
        this.root = root;
        this.mask = mask;
    }

    /** The writer for {@code hostDirectory}; refuses like {@link HostMount#open}. */
    public static HostWriter open(Path hostDirectory) {
        return open(hostDirectory, null);
    }

    /** As {@link #open(Path)}, each file's content passing {@code mask} on its way to the host. */
    public static HostWriter open(Path hostDirectory, WriteMask mask) {
        Objects.requireNonNull(hostDirectory, "hostDirectory");
        try {
            Path real = hostDirectory.toRealPath();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(real)) {
                if (!(stream instanceof SecureDirectoryStream)) {
                    throw new IllegalArgumentException(
                            "host mounts need SecureDirectoryStream, which this platform lacks");
                }
            }
            return new HostWriter(real, mask);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot mount " + hostDirectory + ": " + e, e);
        }
    }

    @FunctionalInterface
    private interface Action<T> {
        T apply(SecureDirectoryStream<Path> directory, String name) throws IOException;
    }

    /** Runs {@code action} on the parent directory of {@code components} and the last name. */
    private <T> T inParent(String[] components, Action<T> action) {
        SecureDirectoryStream<Path> current = null;
        try {
            current = (SecureDirectoryStream<Path>) Files.newDirectoryStream(root);
            for (int i = 0; i < components.length - 1; i++) {
                SecureDirectoryStream<Path> next =
                        current.newDirectoryStream(Path.of(components[i]), NO_FOLLOW);
                current.close();
                current = next;
            }
            return action.apply(current, components[components.length - 1]);
        } catch (IOException e) {
            throw new UncheckedIOException(String.join("/", components) + ": " + e, e);
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

    /**
     * Writes {@code content} to a temporary file beside {@code components}, forces it to disk and
     * renames it over the old name. A replaced file keeps its permissions; a new one gets
     * rw-r--r--.
     */
    public void replaceFile(String[] components, byte[] original) {
        byte[] content = mask == null ? original : mask.apply(original);
        inParent(
                components,
                (dir, name) -> {
                    Set<PosixFilePermission> permissions = NEW_FILE;
                    try {
                        var existing =
                                dir.getFileAttributeView(
                                                Path.of(name),
                                                PosixFileAttributeView.class,
                                                NO_FOLLOW)
                                        .readAttributes();
                        if (existing.isRegularFile()) {
                            permissions = existing.permissions();
                        }
                    } catch (NoSuchFileException absent) {
                        // a new file
                    }
                    String temp = ".eryx-staged-" + HexFormat.of().toHexDigits(random.nextLong());
                    Path tempPath = Path.of(temp);
                    Set<OpenOption> options =
                            Set.of(
                                    StandardOpenOption.CREATE_NEW,
                                    StandardOpenOption.WRITE,
                                    LinkOption.NOFOLLOW_LINKS);
                    try {
                        try (SeekableByteChannel channel = dir.newByteChannel(tempPath, options)) {
                            ByteBuffer buffer = ByteBuffer.wrap(content);
                            while (buffer.hasRemaining()) {
                                channel.write(buffer);
                            }
                            if (channel instanceof FileChannel) {
                                ((FileChannel) channel).force(true);
                            }
                        }
                        dir.getFileAttributeView(tempPath, PosixFileAttributeView.class, NO_FOLLOW)
                                .setPermissions(permissions);
                        dir.move(tempPath, dir, Path.of(name));
                    } catch (IOException | RuntimeException e) {
                        try {
                            dir.deleteFile(tempPath);
                        } catch (IOException ignored) {
                            // already renamed or never created
                        }
                        throw e;
                    }
                    return null;
                });
    }

    /** Deletes a file or symlink (never what it points to). */
    public void deleteFile(String[] components) {
        inParent(
                components,
                (dir, name) -> {
                    var attributes =
                            dir.getFileAttributeView(
                                            Path.of(name), BasicFileAttributeView.class, NO_FOLLOW)
                                    .readAttributes();
                    if (attributes.isDirectory()) {
                        throw new IOException("is a directory");
                    }
                    dir.deleteFile(Path.of(name));
                    return null;
                });
    }

    public void deleteDirectory(String[] components) {
        inParent(
                components,
                (dir, name) -> {
                    dir.deleteDirectory(Path.of(name));
                    return null;
                });
    }

    /**
     * Creates a directory. Java has no mkdirat: the walk to the parent proves each component is a
     * real directory, and the guest has no host process that could swap one for a symlink; a
     * concurrent host process could, which is the same race the host's own tools have.
     */
    public void createDirectory(String[] components) {
        inParent(
                components,
                (dir, name) -> {
                    Path path = root;
                    for (String c : components) {
                        path = path.resolve(c);
                    }
                    Files.createDirectory(path);
                    return null;
                });
    }

    /** The POSIX permissions of the entry ("rw-r--r--"), or null when absent or unknown. */
    public String permissions(String[] components) {
        try {
            return inParent(
                    components,
                    (dir, name) -> {
                        try {
                            return PosixFilePermissions.toString(
                                    dir.getFileAttributeView(
                                                    Path.of(name),
                                                    PosixFileAttributeView.class,
                                                    NO_FOLLOW)
                                            .readAttributes()
                                            .permissions());
                        } catch (NoSuchFileException e) {
                            return null;
                        }
                    });
        } catch (UncheckedIOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
