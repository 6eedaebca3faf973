package dev.eryx;

import dev.eryx.internal.execution.BytecodeCompiler;
import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.packages.PackageSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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
 *
 * <p>What is read: a wheel only with a pure-Python tag (ABI {@code none}, platform {@code any},
 * Python {@code py3}, {@code py3X}, {@code cp3X} with X up to 14, or {@code py2.py3}), its RECORD
 * verified; its {@code .data/purelib} and {@code platlib} installed into the root, its other {@code
 * .data} directories ignored with a warning. A site-packages tree: its {@code .dist-info} and
 * {@code .egg-info} metadata, its RECORDs checked against the files present. In both, native
 * extension modules ({@code .so}, {@code .pyd}, {@code .dylib}; wasip1 cannot load them) are left
 * out with a warning in {@link Distribution#warnings()}, and so is bytecode ({@code __pycache__},
 * {@code .pyc}: another CPython's bytecode would be useless; the guest compiles from source, or
 * loads what {@link Builder#precompile()} compiled with its own CPython). {@code .pth} path lines
 * add directories of the tree to {@code sys.path}; their {@code import} lines are ignored. Every
 * {@code Requires-Dist} that applies to the guest ({@code sys_platform == 'wasi'}, no extras) must
 * be satisfied by the set; {@link #builder()} can relax that.
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
        return builder().add(sources).build();
    }

    /**
     * For what {@link #of} cannot say: sources whose dependencies are knowingly incomplete.
     *
     * <pre>{@code
     * PythonPackages pkgs = PythonPackages.builder()
     *         .add(Path.of("vendor/"))
     *         .ignoreMissing("charset-normalizer")   // requests works without it
     *         .build();
     * }</pre>
     */
    public static Builder builder() {
        return new Builder();
    }

    private static PythonPackages read(
            List<Path> sources, Set<String> ignoreMissing, boolean precompile) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no package sources given");
        }
        PackageSet read =
                PackageSet.read(
                        sources,
                        new PackageSet.Options(PackageSet.Options.DEFAULT.limits(), ignoreMissing));
        PackageLayer layer = read.layer();
        Map<String, String> compileErrors = Map.of();
        if (precompile) {
            BytecodeCompiler.Result compiled = BytecodeCompiler.compile(layer);
            // The identities stay those of the sources: the bytecode is derived from them.
            layer = layer.withDerivedFiles(compiled.bytecode());
            compileErrors = compiled.failures();
        }
        List<Distribution> distributions = new ArrayList<>();
        for (PackageSet.DistributionInfo info : read.distributions()) {
            List<String> warnings = new ArrayList<>(info.warnings());
            for (String file : info.files()) {
                String error = compileErrors.get(file);
                if (error != null) {
                    warnings.add(
                            file
                                    + " does not compile, so it has no bytecode (importing it"
                                    + " raises the same error): "
                                    + error);
                }
            }
            distributions.add(
                    new Distribution(
                            info.name(),
                            info.version(),
                            info.sha256(),
                            info.requires(),
                            info.files(),
                            warnings));
        }
        return new PythonPackages(layer, distributions);
    }

    /** The distributions that will be importable, sorted by name. */
    public List<Distribution> list() {
        return distributions;
    }

    PackageLayer layer() {
        return layer;
    }

    /** Collects sources and options for {@link #build()}; not thread-safe. */
    public static final class Builder {
        private final List<Path> sources = new ArrayList<>();
        private final Set<String> ignoreMissing = new LinkedHashSet<>();
        private boolean precompile;

        private Builder() {}

        /** Adds wheels, directories of wheels or site-packages trees, as {@link #of} takes. */
        public Builder add(Path... sources) {
            return add(Arrays.asList(sources));
        }

        /** As {@link #add(Path...)}. */
        public Builder add(List<Path> sources) {
            for (Path source : sources) {
                this.sources.add(Objects.requireNonNull(source, "source"));
            }
            return this;
        }

        /**
         * Requirements on these projects (any spelling: {@code charset_normalizer} and {@code
         * Charset-Normalizer} are one) are not checked: neither their absence nor their version is
         * an error. For a dependency the code never imports, or one the host knows is optional in
         * practice.
         */
        public Builder ignoreMissing(String... names) {
            for (String name : names) {
                ignoreMissing.add(Objects.requireNonNull(name, "name"));
            }
            return this;
        }

        /**
         * Makes {@link #build()} also compile every {@code .py} file to bytecode, once, with the
         * guest's own CPython (in up to four sandboxes in parallel), and add it to the shared layer
         * beside its source ({@code __pycache__/mod.cpython-314.pyc}, unchecked-hash: the layer
         * never changes). Every sandbox then imports the packages without compiling them: without
         * it, each fresh sandbox compiles every module it imports again (the guest cannot write
         * bytecode): a cold {@code import requests} took 4.6-5.1 s plain against 0.75-0.92 s
         * precompiled on a quiet machine (docs/packages.md, "Cost").
         *
         * <p>When to use it: many sandboxes, or a pool, that import modules no image preloads (with
         * {@link SandboxImage#capture(PythonPackages, String...)} or a pool's {@code preload}, the
         * preloaded modules cost nothing per sandbox either way, and compiling them once more for
         * the image is all the precompiled bytecode saves). Not worth it for one short-lived
         * sandbox: {@code build()} compiles every file, imported or not.
         *
         * <p>The sources stay (tracebacks and {@code inspect} read them) and the distributions'
         * identities are those of the sources: images and saved states move between a precompiled
         * and a plain set of the same files. A file that does not compile (a Python 2 test file a
         * package ships) gets no bytecode and a warning in its distribution's {@link
         * Distribution#warnings()}.
         */
        public Builder precompile() {
            this.precompile = true;
            return this;
        }

        /**
         * Reads, validates and copies the sources into memory, as {@link #of(Path...)}, then
         * compiles them if {@link #precompile()} was called.
         *
         * @throws IllegalArgumentException as {@link #of(Path...)}
         * @throws EryxException a compiling sandbox failed (a file's compile error is only a
         *     warning)
         */
        public PythonPackages build() {
            return read(List.copyOf(sources), Set.copyOf(ignoreMissing), precompile);
        }
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
