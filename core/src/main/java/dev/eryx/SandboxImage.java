package dev.eryx;

import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.ImageCapture;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An initialised interpreter that sandboxes restore from instead of booting CPython: the default
 * one, or one with modules already imported ({@link #capture}). Immutable and shared by every
 * sandbox built from it; it holds no per-sandbox state (no environment, files or callbacks), and
 * what it does fix for all of them (the string hash secret, import-time state of preloaded modules)
 * is listed in docs/pool.md.
 *
 * <pre>{@code
 * SandboxImage image = SandboxImage.capture("json", "re");
 * Sandbox sandbox = Sandbox.builder().image(image).build();
 * }</pre>
 *
 * <p>An image may also hold third-party packages ({@link #capture(PythonPackages, String...)}),
 * which its sandboxes then have.
 */
public final class SandboxImage {
    private final InterpreterState state;
    private final List<String> preloadedModules;

    /** The packages the image was captured with; null: none. */
    private final PythonPackages packages;

    private SandboxImage(
            InterpreterState state, List<String> preloadedModules, PythonPackages packages) {
        this.state = state;
        this.preloadedModules = preloadedModules;
        this.packages = packages;
    }

    /**
     * The image plain {@code Sandbox.builder().build()} uses (booted once per JVM on first use).
     */
    public static SandboxImage defaultImage() {
        return new SandboxImage(DefaultImage.get(), List.of(), null);
    }

    /**
     * The default image with {@code preloadModules} imported (into {@code sys.modules}, not into
     * the globals users see). Costs one restore plus the imports.
     *
     * @throws IllegalArgumentException a name is not a module name
     * @throws PythonException a module failed to import
     */
    public static SandboxImage capture(String... preloadModules) {
        List<String> modules = List.of(preloadModules);
        if (modules.isEmpty()) {
            return defaultImage();
        }
        return new SandboxImage(ImageCapture.withModules(modules, null), modules, null);
    }

    /**
     * An image whose sandboxes have {@code packages} (as {@link Sandbox.Builder#packages} gives
     * them) and {@code preloadModules} already imported, from the packages or the standard library:
     * a sandbox built from it pays nothing for importing them. The template sandbox the modules are
     * imported in has the packages and nothing else (no environment, files or callbacks), and the
     * image records which packages it holds ({@link #packages()}); without modules no interpreter
     * runs, the image is the default one with the packages.
     *
     * <pre>{@code
     * SandboxImage image = SandboxImage.capture(pkgs, "requests", "jinja2");
     * Sandbox sandbox = Sandbox.builder().image(image).build();   // has pkgs
     * }</pre>
     *
     * @throws IllegalArgumentException a name is not a module name
     * @throws PythonException a module failed to import
     */
    public static SandboxImage capture(PythonPackages packages, String... preloadModules) {
        Objects.requireNonNull(packages, "packages");
        List<String> modules = List.of(preloadModules);
        InterpreterState state =
                modules.isEmpty()
                        ? DefaultImage.get()
                        : ImageCapture.withModules(modules, packages.layer());
        return new SandboxImage(state, modules, packages);
    }

    /** The modules imported on top of the default image. */
    public List<String> preloadedModules() {
        return preloadedModules;
    }

    /**
     * The packages every sandbox built from this image has (unless it was given the same ones
     * itself), or empty for an image captured without packages, whose sandboxes may be given any.
     */
    public Optional<PythonPackages> packages() {
        return Optional.ofNullable(packages);
    }

    /** Size of the captured linear memory. */
    public long memoryBytes() {
        return state.memoryBytes();
    }

    InterpreterState state() {
        return state;
    }
}
