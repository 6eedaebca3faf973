package dev.eryx.internal.packages;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

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
     * How to read: the caps, and the projects whose absence (or version) is not an error.
     *
     * @param limits caps on entries and bytes across the set
     * @param ignoreMissing project names (any spelling) whose requirements are not checked
     */
    public record Options(ReadLimits limits, Set<String> ignoreMissing) {
        public static final Options DEFAULT = new Options(ReadLimits.DEFAULT, Set.of());

        public Options {
            Objects.requireNonNull(limits, "limits");
            Set<String> normalized = new LinkedHashSet<>();
            for (String name : ignoreMissing) {
                normalized.add(Requirement.normalizeName(name));
            }
            ignoreMissing = Set.copyOf(normalized);
        }
    }

    public PackageSet {
        Objects.requireNonNull(layer, "layer");
        distributions = List.copyOf(distributions);
    }

    /**
     * Reads, validates and copies into memory the wheels, directories of wheels and site-packages
     * trees at {@code sources}.
     *
     * @throws IllegalArgumentException a source cannot be used; the message names the file and why
     */
    public static PackageSet read(List<Path> sources) {
        return read(sources, Options.DEFAULT);
    }

    /** As {@link #read(List)}, with {@code options}. */
    public static PackageSet read(List<Path> sources, Options options) {
        List<Path> wheels = new ArrayList<>();
        List<Path> trees = new ArrayList<>();
        for (Path source : sources) {
            SourceKind.classify(source, wheels, trees);
        }
        ReadBudget budget = new ReadBudget(options.limits());
        LayerBuilder builder = new LayerBuilder();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path wheel : wheels) {
            if (seen.add(wheel.toAbsolutePath().normalize())) {
                builder.add(WheelReader.read(wheel, budget));
            }
        }
        for (Path tree : trees) {
            if (seen.add(tree.toAbsolutePath().normalize())) {
                builder.add(InstalledTree.read(tree, budget));
            }
        }
        DependencyCheck.check(builder.distributions(), options.ignoreMissing());
        return builder.build();
    }
}
