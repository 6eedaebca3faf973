package dev.eryx.internal.packages;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides what a source path is, by its name and (for a directory) its content: a wheel, a
 * directory of wheels, or an unpacked site-packages tree. Source distributions and anything else
 * are refused.
 */
final class SourceKind {
    private static final List<String> SDIST_SUFFIXES =
            List.of(".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip");

    private SourceKind() {}

    /** The wheel files and site-packages trees {@code source} stands for. */
    static void classify(Path source, List<Path> wheels, List<Path> trees) {
        if (Files.isDirectory(source)) {
            List<Path> dirWheels = new ArrayList<>();
            boolean metadata = false;
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(source)) {
                stream.forEach(children::add);
            } catch (IOException e) {
                throw new IllegalArgumentException(source + ": cannot be read (" + e + ")", e);
            }
            children.sort(null);
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (name.endsWith(".whl") && Files.isRegularFile(child)) {
                    dirWheels.add(child);
                } else if (name.endsWith(".dist-info") || name.endsWith(".egg-info")) {
                    metadata = true;
                } else if (isSdist(name) && !Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    // A directory of downloads holding an sdist: the wheel it stands for is
                    // missing, better said now than as a missing dependency.
                    throw sdist(child);
                }
            }
            if (!dirWheels.isEmpty() && metadata) {
                throw new IllegalArgumentException(
                        source
                                + " holds both wheels and an installed site-packages tree"
                                + " (*.dist-info/*.egg-info): give them as separate sources");
            }
            if (dirWheels.isEmpty() && !metadata) {
                throw new IllegalArgumentException(
                        source
                                + " holds neither wheels (*.whl) nor a site-packages tree"
                                + " (*.dist-info or *.egg-info)");
            }
            if (metadata) {
                trees.add(source);
            } else {
                wheels.addAll(dirWheels);
            }
            return;
        }
        if (!Files.exists(source)) {
            throw new IllegalArgumentException(source + ": no such file or directory");
        }
        String name = source.getFileName().toString();
        if (name.endsWith(".whl")) {
            wheels.add(source);
        } else if (isSdist(name)) {
            throw sdist(source);
        } else {
            throw new IllegalArgumentException(
                    source
                            + " is neither a wheel (.whl), a directory of wheels nor a"
                            + " site-packages tree");
        }
    }

    private static boolean isSdist(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return SDIST_SUFFIXES.stream().anyMatch(lower::endsWith);
    }

    private static IllegalArgumentException sdist(Path file) {
        return new IllegalArgumentException(
                file
                        + " is a source distribution; build a wheel first"
                        + " (pip wheel / pip download --only-binary=:all:)");
    }
}
