package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.host.HostWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Applies (some of) a staged mount's overlay to the host directory, in two phases under the
 * overlay's lock (the guest's file operations on the mount wait):
 *
 * <ol>
 *   <li>{@link #conflicts}: every selected path must still be on the host what the overlay first
 *       saw ({@link HostState#matches}); a directory to delete must hold nothing the commit does
 *       not delete too; a created entry's parent must exist or be created. Any failure refuses the
 *       whole commit before anything is written.
 *   <li>{@link #apply}: removals deepest first, then new directories shallowest first, then files,
 *       each replaced atomically ({@link HostWriter#replaceFile}). Applied entries leave the
 *       overlay, so the guest then sees the host's (now equal) state.
 * </ol>
 *
 * If the host fails half-way (disk full), what was applied has left the overlay and the rest stays
 * pending; the exception says so.
 */
final class StagedCommit {
    private final Overlay overlay;
    private final HostWriter writer;
    private final TreeMap<String, Overlay.Entry> selected = new TreeMap<>();
    private final Map<String, HostState> baselines;

    /**
     * @param paths paths below the mount root to commit (with everything below them and the new
     *     directories above them), or null for all
     * @throws IllegalArgumentException a path has no pending change
     */
    StagedCommit(Overlay overlay, HostWriter writer, Set<String> paths) {
        this.overlay = overlay;
        this.writer = writer;
        TreeMap<String, Overlay.Entry> entries = overlay.entriesSnapshot();
        this.baselines = overlay.baselinesSnapshot();
        if (paths == null) {
            selected.putAll(entries);
            return;
        }
        for (String path : paths) {
            boolean any = false;
            for (Map.Entry<String, Overlay.Entry> e : entries.entrySet()) {
                String key = e.getKey();
                if (key.equals(path) || key.startsWith(path + "/") || path.isEmpty()) {
                    selected.put(key, e.getValue());
                    any = true;
                }
            }
            if (!any) {
                throw new IllegalArgumentException("no pending change at " + path);
            }
            // the new directories a created path needs
            for (String parent = parentOf(path); !parent.isEmpty(); parent = parentOf(parent)) {
                Overlay.Entry entry = entries.get(parent);
                if (entry != null && entry.kind == Overlay.Kind.DIRECTORY) {
                    selected.put(parent, entry);
                }
            }
        }
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private HostState before(String path) {
        return baselines.getOrDefault(path, HostState.ABSENT);
    }

    /** Whether the host entry at {@code path} goes away (deleted, or replaced by another type). */
    private boolean removes(String path) {
        Overlay.Entry entry = selected.get(path);
        if (entry == null || !before(path).exists()) {
            return false;
        }
        switch (entry.kind) {
            case WHITEOUT:
                return true;
            case DIRECTORY:
                return before(path).type() != NodeType.DIRECTORY;
            default:
                return before(path).type() != NodeType.REGULAR_FILE;
        }
    }

    /** The selected paths whose host state forbids the commit, sorted; empty when it may go on. */
    List<String> conflicts() {
        TreeSet<String> conflicts = new TreeSet<>();
        for (String path : selected.keySet()) {
            HostState first = before(path);
            boolean hash = first.sha256() != null;
            if (!first.matches(overlay.hostState(path, hash))) {
                conflicts.add(path);
                continue;
            }
            if (removes(path) && first.type() == NodeType.DIRECTORY) {
                Node host = overlay.hostNode(path);
                if (host instanceof DirectoryNode) {
                    for (DirEntry child : ((DirectoryNode) host).entries()) {
                        String childPath = path + "/" + child.name();
                        if (!removes(childPath)) {
                            conflicts.add(childPath);
                        }
                    }
                }
            }
            Overlay.Entry entry = selected.get(path);
            if (entry.kind != Overlay.Kind.WHITEOUT && path.indexOf('/') > 0) {
                String parent = parentOf(path);
                Overlay.Entry parentEntry = selected.get(parent);
                boolean created = parentEntry != null && parentEntry.kind == Overlay.Kind.DIRECTORY;
                if (!created && overlay.hostState(parent, false).type() != NodeType.DIRECTORY) {
                    conflicts.add(parent);
                }
            }
        }
        return new ArrayList<>(conflicts);
    }

    /** Applies the selection; call after {@link #conflicts} came back empty, under the lock. */
    void apply() {
        List<String> applied = new ArrayList<>();
        try {
            List<String> removals = new ArrayList<>();
            for (String path : selected.keySet()) {
                if (removes(path)) {
                    removals.add(path);
                }
            }
            removals.sort(Comparator.comparingInt(StagedCommit::depth).reversed());
            for (String path : removals) {
                if (before(path).type() == NodeType.DIRECTORY) {
                    writer.deleteDirectory(path.split("/"));
                } else {
                    writer.deleteFile(path.split("/"));
                }
                if (selected.get(path).kind == Overlay.Kind.WHITEOUT) {
                    applied.add(path);
                }
            }
            List<String> directories = new ArrayList<>();
            for (Map.Entry<String, Overlay.Entry> e : selected.entrySet()) {
                if (e.getValue().kind == Overlay.Kind.DIRECTORY
                        && before(e.getKey()).type() != NodeType.DIRECTORY) {
                    directories.add(e.getKey());
                }
            }
            directories.sort(Comparator.comparingInt(StagedCommit::depth));
            for (String path : directories) {
                writer.createDirectory(path.split("/"));
                applied.add(path);
            }
            for (Map.Entry<String, Overlay.Entry> e : selected.entrySet()) {
                String path = e.getKey();
                if (e.getValue().kind == Overlay.Kind.FILE) {
                    if (PendingChanges.changes(overlay, path, e.getValue(), before(path))) {
                        writer.replaceFile(path.split("/"), e.getValue().file.content());
                    }
                    applied.add(path);
                }
            }
            // What changed nothing (a directory made again, an unchanged rewrite) goes too.
            applied.clear();
            applied.addAll(selected.keySet());
        } catch (UncheckedIOException | dev.eryx.internal.vfs.ErrnoException e) {
            overlay.drop(applied);
            throw new UncheckedIOException(
                    "the commit failed half-way: "
                            + applied.size()
                            + " of "
                            + selected.size()
                            + " staged entries were applied, the rest are still pending",
                    e instanceof UncheckedIOException
                            ? ((UncheckedIOException) e).getCause()
                            : new java.io.IOException(e.getMessage(), e));
        }
        overlay.drop(applied);
    }

    private static int depth(String path) {
        int depth = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                depth++;
            }
        }
        return depth;
    }
}
