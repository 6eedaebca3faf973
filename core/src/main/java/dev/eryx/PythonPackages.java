package dev.eryx;

import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.packages.PackageSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Third-party Python packages the host provides: pure-Python wheels, directories of wheels, or an
 * unpacked site-packages tree. Read, validated and copied into memory once, by {@link #of}; every
 * sandbox given them ({@link Sandbox.Builder#packages}) sees the same shared read-only tree on
 * {@code sys.path}, so a sandbox costs no more memory for having packages. Immutable and
 * thread-safe. See docs/packages.md.
 *
 * <pre>{@code
 * PythonPackages pkgs = PythonPackages.of(Path.of("vendor/"));
 * Sandbox sandbox = Sandbox.builder().packages(pkgs).build();
 * }</pre>
 */
public final class PythonPackages {
    private final PackageLayer layer;
    private final List<Distribution> distributions;

    PythonPackages(PackageLayer layer, List<Distribution> distributions) {
        this.layer = Objects.requireNonNull(layer, "layer");
        this.distributions = List.copyOf(distributions);
    }

    /**
     * Reads, validates and copies into memory the packages at {@code sources}: {@code .whl} files,
     * directories holding wheels, or unpacked site-packages trees.
     *
     * @throws IllegalArgumentException a source cannot be used (the message names the file and why:
     *     a native wheel, an sdist, an entry escaping its root, a missing dependency, two versions
     *     of one package, a corrupt archive, ...); nothing is kept
     */
    public static PythonPackages of(Path... sources) {
        return of(List.of(sources));
    }

    /** As {@link #of(Path...)}. */
    public static PythonPackages of(List<Path> sources) {
        Objects.requireNonNull(sources, "sources");
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no package sources given");
        }
        PackageSet read = PackageSet.read(List.copyOf(sources));
        List<Distribution> distributions = new ArrayList<>();
        for (PackageSet.DistributionInfo info : read.distributions()) {
            distributions.add(
                    new Distribution(
                            info.name(),
                            info.version(),
                            info.sha256(),
                            info.requires(),
                            info.files(),
                            info.warnings()));
        }
        return new PythonPackages(read.layer(), distributions);
    }

    /** The distributions that will be importable, sorted by name. */
    public List<Distribution> list() {
        return distributions;
    }

    PackageLayer layer() {
        return layer;
    }

    /** One installed distribution: what {@code importlib.metadata} reports for it. */
    public static final class Distribution {
        private final String name;
        private final String version;
        private final String sha256;
        private final List<String> requires;
        private final List<String> files;
        private final List<String> warnings;

        Distribution(
                String name,
                String version,
                String sha256,
                List<String> requires,
                List<String> files,
                List<String> warnings) {
            this.name = Objects.requireNonNull(name, "name");
            this.version = Objects.requireNonNull(version, "version");
            this.sha256 = Objects.requireNonNull(sha256, "sha256");
            this.requires = List.copyOf(requires);
            this.files = List.copyOf(files);
            this.warnings = List.copyOf(warnings);
        }

        /** The project name as its metadata spells it. */
        public String name() {
            return name;
        }

        public String version() {
            return version;
        }

        /**
         * SHA-256 of its files (hex): with name and version, what images and saved states record.
         */
        public String sha256() {
            return sha256;
        }

        /** Its {@code Requires-Dist} lines, verbatim (markers included). */
        public List<String> requires() {
            return requires;
        }

        /** Its files, relative to site-packages, sorted. */
        public List<String> files() {
            return files;
        }

        /**
         * What was left out or is doubtful (for example {@code .so} files, which wasip1 cannot
         * load).
         */
        public List<String> warnings() {
            return warnings;
        }

        @Override
        public String toString() {
            return name + " " + version;
        }
    }
}
