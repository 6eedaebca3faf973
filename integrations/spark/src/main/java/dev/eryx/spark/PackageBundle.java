package dev.eryx.spark;

import dev.eryx.PythonPackages;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The package sources of a job, read into memory on the driver so that one broadcast carries them
 * to every executor, which writes them to a local directory and reads them with {@link
 * PythonPackages}. Immutable.
 */
final class PackageBundle implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One per source given: a wheel file, or a directory's files by relative path. */
    private final List<Source> sources;

    private final String sha256;

    private record Source(String fileName, boolean directory, TreeMap<String, byte[]> files)
            implements Serializable {}

    private PackageBundle(List<Source> sources, String sha256) {
        this.sources = sources;
        this.sha256 = sha256;
    }

    /**
     * Reads {@code paths} and checks them as an executor will ({@link PythonPackages#of}), so a bad
     * package fails on the driver, before any job.
     *
     * @throws IllegalArgumentException a source cannot be used (the message says which and why)
     */
    static PackageBundle read(List<Path> paths) {
        PythonPackages.of(paths); // the check; the executors read their own copy
        List<Source> sources = new ArrayList<>();
        MessageDigest digest = sha256Digest();
        for (Path path : paths) {
            TreeMap<String, byte[]> files = new TreeMap<>();
            boolean directory = Files.isDirectory(path);
            try {
                if (directory) {
                    try (Stream<Path> walk = Files.walk(path)) {
                        for (Path file :
                                (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                            String relative = path.relativize(file).toString().replace('\\', '/');
                            files.put(relative, Files.readAllBytes(file));
                        }
                    }
                } else {
                    files.put(path.getFileName().toString(), Files.readAllBytes(path));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the package source " + path, e);
            }
            String fileName = path.getFileName().toString();
            update(digest, (directory ? "dir:" : "file:") + fileName);
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                update(digest, file.getKey());
                update(digest, Integer.toString(file.getValue().length));
                digest.update(file.getValue());
            }
            sources.add(new Source(fileName, directory, files));
        }
        return new PackageBundle(List.copyOf(sources), HexFormat.of().formatHex(digest.digest()));
    }

    /** Identifies the contents: executors key their pools and directories by it. */
    String sha256() {
        return sha256;
    }

    /**
     * The packages, read from this executor's copy of the files under {@code root} (written once
     * per executor and digest; a copy another task of this JVM, or an earlier executor on the same
     * machine, wrote is reused once its files are checked against the bundle's) and precompiled, so
     * that no row compiles a module.
     */
    PythonPackages materialize(Path root) {
        Path dir = root.resolve("eryx-spark-packages-" + sha256);
        try {
            if (!Files.isDirectory(dir) || !matches(dir)) {
                Files.createDirectories(root);
                Path staging = Files.createTempDirectory(root, "eryx-spark-staging-");
                write(staging);
                if (Files.isDirectory(dir)) {
                    // Not what this digest names (changed, or left half-written by a copy that
                    // could not move atomically): this JVM keeps its own copy.
                    dir = staging;
                } else {
                    dir = publish(staging, dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the packages under " + root, e);
        }
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            Source source = sources.get(i);
            // A directory's files were written under i/<its name>/, a wheel as i/<its name>.
            paths.add(dir.resolve(Integer.toString(i)).resolve(source.fileName()));
        }
        return PythonPackages.builder().add(paths).precompile().build();
    }

    /**
     * Moves {@code staging} to {@code dir}, where other JVMs of the machine look for it: the
     * directory to read, {@code staging} itself when the move cannot be atomic (a half-moved tree
     * must never be found under the digest's name) or another JVM's copy won the race.
     */
    private Path publish(Path staging, Path dir) throws IOException {
        try {
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            return dir;
        } catch (AtomicMoveNotSupportedException notAtomic) {
            return staging;
        } catch (FileAlreadyExistsException raced) {
            // Another JVM on this machine wrote the same files; use it if it holds them.
        } catch (IOException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        if (matches(dir)) {
            deleteTree(staging);
            return dir;
        }
        return staging;
    }

    /**
     * Where source {@code i}'s files go under {@code dir}: i/<its name>/ for a directory, i/ else.
     */
    private Path top(Path dir, int i) {
        Source source = sources.get(i);
        Path base = dir.resolve(Integer.toString(i));
        return source.directory() ? base.resolve(source.fileName()) : base;
    }

    /** Whether {@code dir} holds exactly the bundle's files (written by another task or JVM). */
    private boolean matches(Path dir) throws IOException {
        for (int i = 0; i < sources.size(); i++) {
            Source source = sources.get(i);
            Path top = top(dir, i);
            int count = 0;
            for (Map.Entry<String, byte[]> file : source.files().entrySet()) {
                Path path = top.resolve(file.getKey());
                if (!Files.isRegularFile(path)
                        || !Arrays.equals(Files.readAllBytes(path), file.getValue())) {
                    return false;
                }
                count++;
            }
            if (Files.isDirectory(top)) {
                try (Stream<Path> walk = Files.walk(top)) {
                    if (walk.filter(Files::isRegularFile).count() != count) {
                        return false; // extra files could be imported
                    }
                }
            }
        }
        return true;
    }

    private void write(Path staging) throws IOException {
        for (int i = 0; i < sources.size(); i++) {
            Source source = sources.get(i);
            Path top = top(staging, i);
            for (Map.Entry<String, byte[]> file : source.files().entrySet()) {
                Path target = top.resolve(file.getKey()).normalize();
                if (!target.startsWith(top)) {
                    throw new IOException("a package file escapes its directory: " + file.getKey());
                }
                Files.createDirectories(target.getParent());
                Files.write(target, file.getValue());
            }
            Files.createDirectories(top);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }
}
