package dev.eryx.internal.vfs;

import java.util.Objects;

/**
 * One node of the in-memory tree as saved state carries it: its parent (0 is the root, {@code i}
 * the {@code i}-th entry of the same listing, counting from 1, always a directory listed earlier)
 * and its own name, never a whole path, so neither the walk nor a restore builds path strings whose
 * total size could exceed the tree's own.
 *
 * @param content a file's bytes (owned by the entry, not copied); {@code null} otherwise
 * @param target a symlink's target; {@code null} otherwise
 */
public record TreeEntry(
        int parent,
        String name,
        NodeType type,
        byte[] content,
        String target,
        long accessTimeNanos,
        long modifyTimeNanos) {

    public TreeEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (parent < 0) {
            throw new IllegalArgumentException("parent index < 0: " + parent);
        }
        if ((content != null) != (type == NodeType.REGULAR_FILE)
                || (target != null) != (type == NodeType.SYMLINK)) {
            throw new IllegalArgumentException("content for files only, target for symlinks only");
        }
    }

    public static TreeEntry directory(int parent, String name, long atime, long mtime) {
        return new TreeEntry(parent, name, NodeType.DIRECTORY, null, null, atime, mtime);
    }

    public static TreeEntry file(int parent, String name, byte[] content, long atime, long mtime) {
        return new TreeEntry(parent, name, NodeType.REGULAR_FILE, content, null, atime, mtime);
    }

    public static TreeEntry symlink(
            int parent, String name, String target, long atime, long mtime) {
        return new TreeEntry(parent, name, NodeType.SYMLINK, null, target, atime, mtime);
    }
}
