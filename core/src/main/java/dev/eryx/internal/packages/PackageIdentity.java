package dev.eryx.internal.packages;

import java.util.Objects;

/**
 * What identifies one installed distribution in images and saved states: its normalized name (PEP
 * 503), its version and the SHA-256 of its files (see {@link PackageLayer} for how it is computed).
 */
public record PackageIdentity(String name, String version, String sha256) {
    public PackageIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sha256, "sha256");
    }

    @Override
    public String toString() {
        return name + " " + version + " (sha256 " + sha256 + ")";
    }
}
