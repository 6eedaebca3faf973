package dev.eryx.internal.execution;

import dev.eryx.CommitConflictException;
import dev.eryx.PendingChange;
import dev.eryx.SandboxFiles;
import dev.eryx.internal.values.ApiValues;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.vfs.staged.StagedChange;
import dev.eryx.internal.vfs.staged.StagedMount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link SandboxFiles} over a sandbox's {@link Vfs}: same confinement as the guest's own access.
 */
final class VfsFiles implements SandboxFiles {
    private final Vfs vfs;

    VfsFiles(Vfs vfs) {
        this.vfs = vfs;
    }

    @Override
    public byte[] read(String guestPath) {
        return guard(guestPath, () -> vfs.readFile(guestPath));
    }

    @Override
    public void write(String guestPath, byte[] content) {
        guard(
                guestPath,
                () -> {
                    int slash = guestPath.lastIndexOf('/');
                    if (slash > 0) {
                        vfs.mkdirs(guestPath.substring(0, slash));
                    }
                    vfs.writeFile(guestPath, content.clone());
                    return null;
                });
    }

    @Override
    public List<String> list(String guestPath) {
        return guard(guestPath, () -> vfs.list(guestPath));
    }

    @Override
    public void delete(String guestPath) {
        guard(
                guestPath,
                () -> {
                    vfs.delete(guestPath);
                    return null;
                });
    }

    @Override
    public boolean exists(String guestPath) {
        return guard(guestPath, () -> vfs.exists(guestPath));
    }

    @Override
    public List<PendingChange> pendingChanges() {
        List<PendingChange> changes = new ArrayList<>();
        for (Map.Entry<String, StagedMount> mount : vfs.stagedMounts().entrySet()) {
            for (StagedChange c : guardHost(mount.getKey(), () -> mount.getValue().changes())) {
                changes.add(
                        ApiValues.get()
                                .pendingChange(
                                        mount.getKey() + "/" + c.path(),
                                        PendingChange.Kind.valueOf(c.kind().name()),
                                        c.directory(),
                                        c.size(),
                                        c.sha256(),
                                        c.diff(),
                                        c.modeChange()));
            }
        }
        changes.sort((a, b) -> a.path().compareTo(b.path()));
        return changes;
    }

    @Override
    public void commit() {
        Map<String, Set<String>> all = new LinkedHashMap<>();
        for (String mount : vfs.stagedMounts().keySet()) {
            all.put(mount, null);
        }
        commit(all);
    }

    @Override
    public void commit(Collection<String> guestPaths) {
        Objects.requireNonNull(guestPaths, "guestPaths");
        Map<String, StagedMount> mounts = vfs.stagedMounts();
        Map<String, Set<String>> selection = new LinkedHashMap<>();
        for (String guestPath : guestPaths) {
            String normalized = Vfs.normalizeAbsolute(guestPath);
            String owner = null;
            for (String mount : mounts.keySet()) {
                if (normalized.equals(mount) || normalized.startsWith(mount + "/")) {
                    owner = mount;
                }
            }
            if (owner == null) {
                throw new IllegalArgumentException("not in a staged mount: " + guestPath);
            }
            String relative =
                    normalized.equals(owner) ? "" : normalized.substring(owner.length() + 1);
            selection.computeIfAbsent(owner, k -> new HashSet<>()).add(relative);
        }
        commit(selection);
    }

    /** Checks every mount's preconditions, then applies each: mount guest path → paths or null. */
    private void commit(Map<String, Set<String>> selection) {
        Map<String, StagedMount> mounts = vfs.stagedMounts();
        List<String> conflicts = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : selection.entrySet()) {
            for (String path :
                    guardHost(e.getKey(), () -> mounts.get(e.getKey()).conflicts(e.getValue()))) {
                conflicts.add(e.getKey() + "/" + path);
            }
        }
        if (!conflicts.isEmpty()) {
            throw new CommitConflictException(conflicts);
        }
        for (Map.Entry<String, Set<String>> e : selection.entrySet()) {
            // Checked again under the mount's lock: a host edit since the check above refuses
            // this mount's commit.
            List<String> late =
                    guardHost(e.getKey(), () -> mounts.get(e.getKey()).commit(e.getValue()));
            if (!late.isEmpty()) {
                List<String> paths = new ArrayList<>();
                for (String path : late) {
                    paths.add(e.getKey() + "/" + path);
                }
                throw new CommitConflictException(paths);
            }
        }
    }

    @Override
    public void discard() {
        for (StagedMount mount : vfs.stagedMounts().values()) {
            mount.discard();
        }
    }

    private static <T> T guardHost(String guestPath, Supplier<T> operation) {
        try {
            return operation.get();
        } catch (ErrnoException e) {
            throw new UncheckedIOException(
                    new IOException(guestPath + ": " + e.errno() + " (" + e.getMessage() + ")"));
        }
    }

    private static <T> T guard(String guestPath, Supplier<T> operation) {
        if (guestPath == null || !guestPath.startsWith("/")) {
            throw new IllegalArgumentException("guest paths are absolute: " + guestPath);
        }
        try {
            return operation.get();
        } catch (ErrnoException e) {
            throw new UncheckedIOException(
                    new IOException(guestPath + ": " + e.errno() + " (" + e.getMessage() + ")"));
        }
    }
}
