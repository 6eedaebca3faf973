package dev.eryx.internal.vfs;

/**
 * The result of walking a guest path.
 *
 * <p>{@code chain} is the directories from the root down to the parent of the final component (the
 * parent is the last element). When the path ends in ".", ".." or is the root itself, {@code name}
 * is null and {@code chain} ends with the resolved directory, which is also {@code node}. {@code
 * node} is null when the final component does not exist.
 */
public record Resolution(DirectoryNode[] chain, String name, Node node, boolean trailingSlash) {
    public DirectoryNode parent() {
        return chain[chain.length - 1];
    }

    public boolean exists() {
        return node != null;
    }

    /** The chain including the resolved directory itself; {@code node} must be a directory. */
    public DirectoryNode[] chainIncludingNode() {
        if (name == null) {
            return chain;
        }
        DirectoryNode[] result = java.util.Arrays.copyOf(chain, chain.length + 1);
        result[chain.length] = (DirectoryNode) node;
        return result;
    }
}
