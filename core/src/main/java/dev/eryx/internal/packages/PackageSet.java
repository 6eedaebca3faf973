package dev.eryx.internal.packages;

import java.nio.file.Path;
import java.util.List;

/**
 * Packages read from the host and validated: the entry point behind {@code PythonPackages.of}.
 *
 * @param layer what the guest sees
 * @param distributions what {@code PythonPackages.list()} reports, sorted by normalized name
 */
public record PackageSet(PackageLayer layer, List<DistributionInfo> distributions) {
    /** One distribution as {@code list()} reports it. */
    public record DistributionInfo(
            String name,
            String version,
            String sha256,
            List<String> requires,
            List<String> files,
            List<String> warnings) {}

    /**
     * Reads, validates and copies into memory the wheels, directories of wheels and site-packages
     * trees at {@code sources}.
     *
     * @throws IllegalArgumentException a source cannot be used; the message names the file and why
     */
    public static PackageSet read(List<Path> sources) {
        throw new UnsupportedOperationException("not built yet"); // issue 16, packages-core
    }
}
