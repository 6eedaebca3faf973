package dev.eryx.cli;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@code -v HOST:GUEST[:ro|:rw]} mount. Read-only unless {@code :rw} is given: untrusted code
 * gets write access to a host directory only when asked for explicitly.
 */
public final class Volume {
    private final Path hostDir;
    private final String guestPath;
    private final boolean readOnly;

    public Volume(Path hostDir, String guestPath, boolean readOnly) {
        this.hostDir = Objects.requireNonNull(hostDir, "hostDir");
        this.guestPath = Objects.requireNonNull(guestPath, "guestPath");
        this.readOnly = readOnly;
    }

    /**
     * Parses {@code HOST:GUEST[:ro|:rw]}. The host part is split off at the last colon before the
     * guest path, so host paths containing colons work; guest paths cannot contain colons. Does not
     * look at the filesystem; a relative host path is resolved against the working directory.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Volume parse(String spec) {
        String rest = Objects.requireNonNull(spec, "spec");
        boolean readOnly = true;
        if (rest.endsWith(":ro") || rest.endsWith(":rw")) {
            readOnly = rest.endsWith(":ro");
            rest = rest.substring(0, rest.length() - 3);
        }
        int colon = rest.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + spec + "' is not HOST:GUEST[:ro|:rw]");
        }
        String host = rest.substring(0, colon);
        String guest = rest.substring(colon + 1);
        if (!guest.startsWith("/")) {
            if (host.indexOf(':') >= 0 && !guest.isEmpty()) {
                throw new IllegalArgumentException(
                        "'" + spec + "': unknown mode '" + guest + "' (use ro or rw)");
            }
            throw new IllegalArgumentException(
                    "'" + spec + "': the guest path must be absolute, like /data");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "': the host directory is missing");
        }
        return new Volume(Path.of(host).toAbsolutePath().normalize(), guest, readOnly);
    }

    public Path hostDir() {
        return hostDir;
    }

    public String guestPath() {
        return guestPath;
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Volume)) {
            return false;
        }
        Volume v = (Volume) o;
        return hostDir.equals(v.hostDir) && guestPath.equals(v.guestPath) && readOnly == v.readOnly;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hostDir, guestPath, readOnly);
    }

    @Override
    public String toString() {
        return hostDir + ":" + guestPath + (readOnly ? ":ro" : ":rw");
    }
}
