package dev.eryx.internal.packages;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Paths inside a package source ({@code /}-separated, relative to its root): checked so that no
 * entry can land outside the tree, and normalized so that two spellings of one path ({@code a/./b},
 * {@code a//b}) are recognized as the same entry.
 */
final class EntryPath {
    /** What the guest filesystem accepts for one name. */
    private static final int MAX_NAME_BYTES = 255;

    private EntryPath() {}

    /**
     * The normalized form of an archive entry name.
     *
     * @throws IllegalArgumentException with the reason (the caller adds the file's name)
     */
    static String normalize(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an empty entry name");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("entry " + printable(name) + " has a NUL byte");
        }
        if (name.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("entry " + name + " has a backslash");
        }
        if (name.startsWith("/")) {
            throw new IllegalArgumentException("entry " + name + " is an absolute path");
        }
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) {
            throw new IllegalArgumentException("entry " + name + " starts with a drive letter");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new IllegalArgumentException("entry " + name + " escapes its root (..)");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("entry " + name + " has a name too long");
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("entry " + name + " names the root");
        }
        return String.join("/", parts);
    }

    /**
     * Resolves {@code relative} (which may use {@code ..}, as installed RECORDs and
     * installed-files.txt do) against the directory {@code base} ({@code ""} for the root); empty
     * when it leads outside the tree or is not a plain relative path.
     */
    static Optional<String> resolve(String base, String relative) {
        if (relative.isEmpty()
                || relative.startsWith("/")
                || relative.indexOf('\\') >= 0
                || relative.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        List<String> parts = new ArrayList<>();
        if (!base.isEmpty()) {
            parts.addAll(List.of(base.split("/")));
        }
        for (String part : relative.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    return Optional.empty();
                }
                parts.remove(parts.size() - 1);
            } else {
                parts.add(part);
            }
        }
        return parts.isEmpty() ? Optional.empty() : Optional.of(String.join("/", parts));
    }

    /** The first component: the top-level file or directory an entry belongs to. */
    static String topLevel(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? path : path.substring(0, slash);
    }

    /** Extension modules of some native platform: wasip1 cannot load them. */
    static boolean isNative(String path) {
        return path.endsWith(".so") || path.endsWith(".pyd") || path.endsWith(".dylib");
    }

    /**
     * Bytecode is left out: the guest compiles from source, and another CPython's bytecode would be
     * useless (a different magic number) or misleading.
     */
    static boolean isBytecode(String path) {
        return path.endsWith(".pyc")
                || path.equals("__pycache__")
                || path.startsWith("__pycache__/")
                || path.contains("/__pycache__/")
                || path.endsWith("/__pycache__");
    }

    private static String printable(String name) {
        return name.replace("\0", "\\0");
    }
}
