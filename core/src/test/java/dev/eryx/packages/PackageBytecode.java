package dev.eryx.packages;

import dev.eryx.ExecutionResult;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A {@link DebianPackages.Fixture}'s dist-packages with CPython 3.14 bytecode beside the sources
 * ({@code __pycache__}), compiled once per cache in a sandbox, in a copy of the tree.
 *
 * <p>Why: the guest cannot write {@code __pycache__} into a read-only package tree, so every
 * sandbox would compile each imported module from source again, which under Chicory costs seconds
 * per package ({@code import chardet} alone: ~17 s from source against ~2 s from bytecode on a
 * loaded machine). Tests that only need the packages to work use this copy; docs/packages.md says
 * what the cold import costs without it. ({@code sys.pycache_prefix} would keep the tree pristine,
 * but it moves the standard library's bytecode lookup too, which then compiles from source.) The
 * {@code .pyc} files are unchecked-hash ones (PEP 552): valid whatever modification times the
 * sources have in the guest, also after {@code PythonPackages} copies them into memory; a changed
 * tree has another fixture key, hence another copy.
 */
final class PackageBytecode {
    /** Where the guest sees the packages while they are compiled (the path tests use too). */
    static final String SITE_PACKAGES = "/usr/local/lib/site-packages";

    /** Bump when what is compiled changes (the interpreter's version, the options). */
    private static final String COMPILE_VERSION = "cpython-314 unchecked-hash v1";

    private static final String STAMP = ".eryx-compiled";

    private PackageBytecode() {}

    /** The compiled copy of {@code fixture}'s dist-packages, compiling it on a miss. */
    static synchronized Path of(DebianPackages.Fixture fixture) {
        Path dir = fixture.root().resolveSibling(fixture.root().getFileName() + "-compiled");
        Path dist = dir.resolve("dist-packages");
        try {
            if (isCompiled(dir)) {
                return dist;
            }
            Path tmp = Files.createTempDirectory(dir.getParent(), "compile-");
            try {
                copyTree(fixture.distPackages(), tmp.resolve("dist-packages"));
                long t0 = System.nanoTime();
                compile(tmp.resolve("dist-packages"));
                System.out.printf(
                        "[packages] byte-compiled %s in %.1f s%n",
                        fixture.distPackages(), (System.nanoTime() - t0) / 1e9);
                Files.writeString(tmp.resolve(STAMP), COMPILE_VERSION);
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                    if (!isCompiled(dir)) { // left by an interrupted run of an older version
                        deleteTree(dir);
                        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                    } // else another JVM finished first: keep its copy
                }
            } finally {
                deleteTree(tmp);
            }
            return dist;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void compile(Path distPackages) {
        String code =
                String.join(
                        "\n",
                        "import compileall, py_compile",
                        "result = bool(compileall.compile_dir('" + SITE_PACKAGES + "', quiet=2,",
                        "    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))");
        try (Sandbox s =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(15))
                                        .maxMemoryBytes(1L << 30)
                                        .build())
                        .mount(distPackages, SITE_PACKAGES, false)
                        .build()) {
            ExecutionResult r = s.execute(code);
            // False when a file does not compile on 3.14 (a module nobody imports, usually):
            // importing such a module fails with its SyntaxError either way.
            if (!r.result().asBoolean()) {
                System.out.println("[packages] some files of " + distPackages + " did not compile");
            }
        }
    }

    private static boolean isCompiled(Path dir) throws IOException {
        Path stamp = dir.resolve(STAMP);
        return Files.isRegularFile(stamp) && Files.readString(stamp).equals(COMPILE_VERSION);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(p, target);
                } // Debian's dist-packages hold no symlinks; a package that did would lose them
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
