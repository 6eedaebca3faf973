package dev.eryx.internal.execution;

import dev.eryx.ResourceLimits;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.packages.PackageLayer;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** Interpreter images with modules preloaded (behind {@code SandboxImage.capture}). */
public final class ImageCapture {
    private static final Pattern MODULE_NAME =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    /**
     * Run last in every image capture: collects the capture's garbage, then moves every object left
     * to the garbage collector's permanent generation, which its collections never scan. A full
     * collection in a sandbox from an image with requests preloaded took 75–290 ms before and 0.2
     * ms after (docs/packages.md, "Cost"); and collections no longer write to the image's pages, so
     * they stay shared. What the image holds is never collected, which is what an image is for. No
     * name is bound in the globals users see.
     */
    static final String SETTLE = "__import__('gc').collect()\n__import__('gc').freeze()\n";

    private ImageCapture() {}

    /**
     * Restores the default image in a template sandbox with no environment, files or callbacks but
     * {@code packages} (null: none), imports {@code modules} (into {@code sys.modules}, not into
     * the globals users see) and captures the interpreter. Every sandbox restored from the image
     * shares only this immutable state; see docs/architecture.md for what it fixes for all.
     *
     * @throws IllegalArgumentException a name is not a module name
     * @throws dev.eryx.PythonException a module failed to import
     */
    public static InterpreterState withModules(List<String> modules, PackageLayer packages) {
        StringBuilder code = new StringBuilder();
        for (String module : modules) {
            Objects.requireNonNull(module, "module");
            if (!MODULE_NAME.matcher(module).matches()) {
                throw new IllegalArgumentException("not a module name: " + module);
            }
            code.append("__import__('").append(module).append("')\n");
        }
        SandboxSpec template =
                SandboxSpec.builder()
                        .limits(ResourceLimits.unlimited())
                        .image(DefaultImage.get())
                        .packages(packages)
                        .build();
        try (SandboxRuntime runtime = SandboxRuntime.start(template)) {
            runtime.submit(code.append(SETTLE).toString(), ResourceLimits.unlimited()).get();
            return runtime.captureState(image -> image);
        }
    }
}
