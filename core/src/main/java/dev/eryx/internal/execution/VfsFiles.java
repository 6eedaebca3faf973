package dev.eryx.internal.execution;

import dev.eryx.SandboxFiles;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.Vfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
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
