package dev.eryx.internal.packages;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;

/**
 * Copies a host directory tree into memory. Symbolic links are followed only to targets inside the
 * tree (a link leading out is refused: it would serve host files the user did not mean to give);
 * {@code __pycache__} directories and {@code .pyc} files are left out (see {@link
 * EntryPath#isBytecode}); anything but files, directories and such links is refused.
 */
final class TreeWalker {
    private final Path root;
    private final Path realRoot;
    private final ReadBudget budget;
    private final TreeMap<String, byte[]> files = new TreeMap<>();
    private final Deque<Path> open = new ArrayDeque<>();

    private TreeWalker(Path root, Path realRoot, ReadBudget budget) {
        this.root = root;
        this.realRoot = realRoot;
        this.budget = budget;
    }

    /** The tree's files by path relative to {@code root}, sorted. */
    static TreeMap<String, byte[]> walk(Path root, ReadBudget budget) {
        try {
            TreeWalker walker = new TreeWalker(root, root.toRealPath(), budget);
            walker.directory(walker.realRoot, "");
            return walker.files;
        } catch (IOException e) {
            throw new IllegalArgumentException(root + ": cannot be read (" + e + ")", e);
        }
    }

    private void directory(Path dir, String relative) throws IOException {
        open.push(dir);
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(children::add);
        }
        children.sort(null);
        for (Path child : children) {
            String name = child.getFileName().toString();
            String path = relative.isEmpty() ? name : relative + "/" + name;
            Path shown = root.resolve(path);
            try {
                EntryPath.normalize(path);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(shown + ": " + e.getMessage() + ": refused", e);
            }
            BasicFileAttributes attributes =
                    Files.readAttributes(
                            child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Path target = child;
            if (attributes.isSymbolicLink()) {
                target = child.toRealPath();
                if (!target.startsWith(realRoot)) {
                    throw new IllegalArgumentException(
                            shown
                                    + " is a symbolic link to "
                                    + target
                                    + ", outside the tree "
                                    + root
                                    + ": refused");
                }
                attributes = Files.readAttributes(target, BasicFileAttributes.class);
            }
            if (attributes.isDirectory()) {
                if (name.equals("__pycache__")) {
                    continue;
                }
                if (open.contains(target)) {
                    throw new IllegalArgumentException(
                            shown + " is a symbolic link to its own ancestor: refused");
                }
                directory(target, path);
            } else if (attributes.isRegularFile()) {
                if (EntryPath.isBytecode(path)) {
                    continue;
                }
                budget.countEntry(root.toString());
                try (InputStream in = Files.newInputStream(target)) {
                    files.put(path, budget.read(in, root.toString(), path, -1));
                }
            } else {
                throw new IllegalArgumentException(
                        shown + " is neither a file nor a directory: refused");
            }
        }
        open.pop();
    }
}
