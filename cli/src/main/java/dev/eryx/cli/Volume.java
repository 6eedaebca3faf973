package dev.eryx.cli;

import dev.eryx.MountMode;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@code -v HOST:GUEST[:ro|:rw|:staged]} mount. Read-only unless {@code :rw} or {@code :staged}
 * is given: untrusted code gets write access to a host directory only when asked for explicitly;
 * with {@code :staged} its writes are shown after the run and applied only with {@code --commit}.
 */
public final class Volume {
    private final Path hostDir;
    private final String guestPath;
    private final MountMode mode;

    public Volume(Path hostDir, String guestPath, boolean readOnly) {
        this(hostDir, guestPath, readOnly ? MountMode.READ_ONLY : MountMode.READ_WRITE);
    }

    public Volume(Path hostDir, String guestPath, MountMode mode) {
        this.hostDir = Objects.requireNonNull(hostDir, "hostDir");
        this.guestPath = Objects.requireNonNull(guestPath, "guestPath");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /**
     * Parses {@code HOST:GUEST[:ro|:rw|:staged]}. The host part is split off at the last colon
     * before the guest path, so host paths containing colons work; guest paths cannot contain
     * colons. Does not look at the filesystem; a relative host path is resolved against the working
     * directory.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Volume parse(String spec) {
        String rest = Objects.requireNonNull(spec, "spec");
        MountMode mode = MountMode.READ_ONLY;
        if (rest.endsWith(":ro") || rest.endsWith(":rw")) {
            mode = rest.endsWith(":ro") ? MountMode.READ_ONLY : MountMode.READ_WRITE;
            rest = rest.substring(0, rest.length() - 3);
        } else if (rest.endsWith(":staged")) {
            mode = MountMode.STAGED;
            rest = rest.substring(0, rest.length() - ":staged".length());
        }
        int colon = rest.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + spec + "' is not HOST:GUEST[:ro|:rw|:staged]");
        }
        String host = rest.substring(0, colon);
        String guest = rest.substring(colon + 1);
        if (!guest.startsWith("/")) {
            if (host.indexOf(':') >= 0 && !guest.isEmpty()) {
                throw new IllegalArgumentException(
                        "'" + spec + "': unknown mode '" + guest + "' (use ro, rw or staged)");
            }
            throw new IllegalArgumentException(
                    "'" + spec + "': the guest path must be absolute, like /data");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "': the host directory is missing");
        }
        return new Volume(Path.of(host).toAbsolutePath().normalize(), guest, mode);
    }

    public Path hostDir() {
        return hostDir;
    }

    public String guestPath() {
        return guestPath;
    }

    public boolean readOnly() {
        return mode == MountMode.READ_ONLY;
    }

    public MountMode mode() {
        return mode;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Volume)) {
            return false;
        }
        Volume v = (Volume) o;
        return hostDir.equals(v.hostDir) && guestPath.equals(v.guestPath) && mode == v.mode;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hostDir, guestPath, mode);
    }

    @Override
    public String toString() {
        String suffix =
                mode == MountMode.READ_ONLY
                        ? ":ro"
                        : mode == MountMode.READ_WRITE ? ":rw" : ":staged";
        return hostDir + ":" + guestPath + suffix;
    }
}
