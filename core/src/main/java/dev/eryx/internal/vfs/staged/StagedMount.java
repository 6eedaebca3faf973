package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.Quota;
import dev.eryx.internal.vfs.WriteMask;
import dev.eryx.internal.vfs.host.HostMount;
import dev.eryx.internal.vfs.host.HostWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A host directory mounted with {@code MountMode.STAGED}: the guest reads it through a read-only
 * {@link HostMount} and writes into an {@link Overlay} charged to the sandbox's quota; the host
 * reviews the {@link #changes()} and {@link #commit}s or {@link #discard}s them.
 */
public final class StagedMount {
    private final Path hostDirectory;
    private final Overlay overlay;
    private final HostWriter writer;

    private StagedMount(Path hostDirectory, Overlay overlay, HostWriter writer) {
        this.hostDirectory = hostDirectory;
        this.overlay = overlay;
        this.writer = writer;
    }

    /**
     * Opens {@code hostDirectory} (refused like {@link HostMount#open}); committed files pass
     * {@code mask} (null: none) on their way to the host.
     */
    public static StagedMount open(
            Path hostDirectory, long device, Quota quota, Clock clock, WriteMask mask) {
        Objects.requireNonNull(quota, "quota");
        DirectoryNode host = HostMount.open(hostDirectory, true, device);
        HostWriter writer = HostWriter.open(hostDirectory, mask);
        return new StagedMount(hostDirectory, new Overlay(host, device, quota, clock), writer);
    }

    public Path hostDirectory() {
        return hostDirectory;
    }

    /** The root of the merged view, to attach in the VFS. */
    public DirectoryNode root() {
        return overlay.root();
    }

    /** The pending changes, sorted by path. */
    public List<StagedChange> changes() {
        return PendingChanges.list(overlay, writer);
    }

    /**
     * The paths (below the mount root) at which a commit would conflict now, sorted; {@code paths}
     * as for {@link #commit}.
     */
    public List<String> conflicts(Set<String> paths) {
        synchronized (overlay) {
            return new StagedCommit(overlay, writer, paths).conflicts();
        }
    }

    /**
     * Applies the pending changes at {@code paths} (and below them; null: all) to the host
     * directory, checking every precondition first.
     *
     * @return the conflicting paths (then nothing was written), or an empty list once applied
     * @throws IllegalArgumentException a path has no pending change
     * @throws java.io.UncheckedIOException the host failed half-way (the rest stays pending)
     */
    public List<String> commit(Set<String> paths) {
        synchronized (overlay) {
            StagedCommit commit = new StagedCommit(overlay, writer, paths);
            List<String> conflicts = commit.conflicts();
            if (conflicts.isEmpty()) {
                commit.apply();
            }
            return conflicts;
        }
    }

    /** Drops every pending change; the host directory was never touched. */
    public void discard() {
        overlay.clear();
    }

    /** One overlay entry as saved state carries it. */
    public record SavedEntry(String path, NodeType type, byte[] content, HostState baseline) {
        /** {@code type} null is a whiteout; content for files only. */
        public SavedEntry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(baseline, "baseline");
            if ((content != null) != (type == NodeType.REGULAR_FILE)) {
                throw new IllegalArgumentException("content for files only");
            }
        }
    }

    /** The overlay's entries with what each first saw, sorted by path. */
    public List<SavedEntry> save() {
        List<SavedEntry> saved = new ArrayList<>();
        synchronized (overlay) {
            Map<String, HostState> baselines = overlay.baselinesSnapshot();
            for (Map.Entry<String, Overlay.Entry> e : overlay.entriesSnapshot().entrySet()) {
                Overlay.Entry entry = e.getValue();
                HostState first = baselines.getOrDefault(e.getKey(), HostState.ABSENT);
                switch (entry.kind) {
                    case FILE:
                        saved.add(
                                new SavedEntry(
                                        e.getKey(),
                                        NodeType.REGULAR_FILE,
                                        entry.file.content(),
                                        first));
                        break;
                    case DIRECTORY:
                        saved.add(new SavedEntry(e.getKey(), NodeType.DIRECTORY, null, first));
                        break;
                    default:
                        saved.add(new SavedEntry(e.getKey(), null, null, first));
                }
            }
        }
        return saved;
    }

    /**
     * Re-applies saved entries over the host directory as it is now; their baselines are kept, so a
     * host directory changed since the save makes the commit refuse.
     *
     * @throws IllegalArgumentException bad entries, or they do not fit the quota
     */
    public void restore(List<SavedEntry> entries) {
        try {
            for (SavedEntry entry : entries) {
                Overlay.Kind kind =
                        entry.type() == null
                                ? Overlay.Kind.WHITEOUT
                                : entry.type() == NodeType.DIRECTORY
                                        ? Overlay.Kind.DIRECTORY
                                        : entry.type() == NodeType.REGULAR_FILE
                                                ? Overlay.Kind.FILE
                                                : null;
                if (kind == null) {
                    throw new IllegalArgumentException("a staged symlink: " + entry.path());
                }
                overlay.restore(entry.path(), kind, entry.content(), entry.baseline());
            }
        } catch (dev.eryx.internal.vfs.ErrnoException e) {
            overlay.clear();
            throw new IllegalArgumentException(
                    "the saved staged changes do not fit this sandbox's filesystem: "
                            + e.getMessage());
        } catch (IllegalArgumentException e) {
            overlay.clear();
            throw e;
        }
    }
}
