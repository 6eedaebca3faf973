package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.host.HostWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Lists a staged mount's changes: each overlay entry compared with what the host had when the
 * overlay first saw its path. A file rewritten with its old content, or a directory deleted and
 * made again, is no change. Diffs compare with the host file as it is now (the commit refuses if
 * that differs from what the overlay saw).
 */
final class PendingChanges {
    private PendingChanges() {}

    static List<StagedChange> list(Overlay overlay, HostWriter writer) {
        List<StagedChange> changes = new ArrayList<>();
        synchronized (overlay) {
            Map<String, HostState> baselines = overlay.baselinesSnapshot();
            for (Map.Entry<String, Overlay.Entry> e : overlay.entriesSnapshot().entrySet()) {
                String path = e.getKey();
                HostState before = baselines.getOrDefault(path, HostState.ABSENT);
                StagedChange change = change(overlay, writer, path, e.getValue(), before);
                if (change != null) {
                    changes.add(change);
                }
            }
        }
        return changes;
    }

    /** Whether the entry changes the host at all. */
    static boolean changes(Overlay overlay, String path, Overlay.Entry entry, HostState before) {
        switch (entry.kind) {
            case WHITEOUT:
                return before.exists();
            case DIRECTORY:
                return before.type() != NodeType.DIRECTORY;
            default:
                if (before.type() != NodeType.REGULAR_FILE) {
                    return true;
                }
                byte[] content = entry.file.content();
                if (before.sha256() != null) {
                    return !before.sha256().equals(Overlay.sha256(content));
                }
                Node host = overlay.hostNode(path);
                return !(host instanceof FileNode)
                        || !Arrays.equals(
                                content, Overlay.readHost((FileNode) host, Long.MAX_VALUE));
        }
    }

    private static StagedChange change(
            Overlay overlay,
            HostWriter writer,
            String path,
            Overlay.Entry entry,
            HostState before) {
        if (!changes(overlay, path, entry, before)) {
            return null;
        }
        String[] components = path.split("/");
        switch (entry.kind) {
            case WHITEOUT:
                {
                    String diff = null;
                    String mode = null;
                    if (before.type() == NodeType.REGULAR_FILE) {
                        byte[] old = hostText(overlay, path);
                        diff = old == null ? null : UnifiedDiff.of(path, old, null);
                        String permissions = writer.permissions(components);
                        mode =
                                permissions == null
                                        ? null
                                        : "deleted file mode " + octal(permissions);
                    }
                    return new StagedChange(
                            path,
                            StagedChange.Kind.DELETED,
                            before.type() == NodeType.DIRECTORY,
                            0,
                            null,
                            diff,
                            mode);
                }
            case DIRECTORY:
                return new StagedChange(
                        path,
                        before.exists() ? StagedChange.Kind.MODIFIED : StagedChange.Kind.CREATED,
                        true,
                        0,
                        null,
                        null,
                        before.exists() ? "was a " + describe(before.type()) : null);
            default:
                {
                    byte[] content = entry.file.content();
                    String sha = Overlay.sha256(content);
                    if (before.type() != NodeType.REGULAR_FILE) {
                        return new StagedChange(
                                path,
                                before.exists()
                                        ? StagedChange.Kind.MODIFIED
                                        : StagedChange.Kind.CREATED,
                                false,
                                content.length,
                                sha,
                                UnifiedDiff.of(path, null, content),
                                before.exists()
                                        ? "was a " + describe(before.type())
                                        : "new file mode "
                                                + octal(HostWriter.NEW_FILE_PERMISSIONS));
                    }
                    byte[] old = hostText(overlay, path);
                    return new StagedChange(
                            path,
                            StagedChange.Kind.MODIFIED,
                            false,
                            content.length,
                            sha,
                            old == null ? null : UnifiedDiff.of(path, old, content),
                            null);
                }
        }
    }

    private static String describe(NodeType type) {
        switch (type) {
            case DIRECTORY:
                return "directory";
            case SYMLINK:
                return "symlink";
            default:
                return "file";
        }
    }

    /** The host file's content if it is small enough to diff, else null. */
    private static byte[] hostText(Overlay overlay, String path) {
        Node host = overlay.hostNode(path);
        if (!(host instanceof FileNode)) {
            return null;
        }
        byte[] content = Overlay.readHost((FileNode) host, UnifiedDiff.MAX_BYTES + 1L);
        return content.length > UnifiedDiff.MAX_BYTES ? null : content;
    }

    /** "rw-r--r--" → "100644", as git prints a regular file's mode. */
    static String octal(String permissions) {
        int mode = 0;
        for (int i = 0; i < 9; i++) {
            mode = mode << 1 | (permissions.charAt(i) == '-' ? 0 : 1);
        }
        return String.format("100%03o", mode);
    }
}
