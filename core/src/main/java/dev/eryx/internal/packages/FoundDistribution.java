package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A distribution found in one source while it is read: its metadata, the files attributed to it
 * (relative to site-packages) and the warnings about it. Mutable only while its source is read.
 */
final class FoundDistribution {
    final String name;
    final String normalizedName;
    final String version;
    final List<String> requires;

    /** The source it came from and its metadata directory, for messages. */
    final String origin;

    final TreeSet<String> files = new TreeSet<>();
    final List<String> warnings = new ArrayList<>();

    FoundDistribution(String name, String version, List<String> requires, String origin) {
        this.name = name;
        this.normalizedName = Requirement.normalizeName(name);
        this.version = version;
        this.requires = List.copyOf(requires);
        this.origin = origin;
    }

    /** Adds {@code warning} unless already there (a RECORD may list one path twice). */
    void warn(String warning) {
        if (!warnings.contains(warning)) {
            warnings.add(warning);
        }
    }

    @Override
    public String toString() {
        return name + " " + version + " (from " + origin + ")";
    }
}
