package dev.eryx;

import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.ImageCapture;
import java.util.List;

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
 */
public final class SandboxImage {
    private final InterpreterState state;
    private final List<String> preloadedModules;

    private SandboxImage(InterpreterState state, List<String> preloadedModules) {
        this.state = state;
        this.preloadedModules = preloadedModules;
    }

    /**
     * The image plain {@code Sandbox.builder().build()} uses (booted once per JVM on first use).
     */
    public static SandboxImage defaultImage() {
        return new SandboxImage(DefaultImage.get(), List.of());
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
        return new SandboxImage(ImageCapture.withModules(modules), modules);
    }

    /** The modules imported on top of the default image. */
    public List<String> preloadedModules() {
        return preloadedModules;
    }

    /** Size of the captured linear memory. */
    public long memoryBytes() {
        return state.memoryBytes();
    }

    InterpreterState state() {
        return state;
    }
}
