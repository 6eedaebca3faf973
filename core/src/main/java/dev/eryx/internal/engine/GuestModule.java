package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import dev.eryx.wasm.PythonModule;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.util.function.Function;

/**
 * The CPython module as Chicory compiled it ahead of time (module {@code wasm-assets}). Parsing its
 * metadata takes a while, so it happens once per JVM; the parsed module is immutable and shared by
 * every instance.
 *
 * <p>The metadata is parsed without Chicory's validator: it is our own build output, validated when
 * the compiler plugin turned it into bytecode, and skipping the second validation saves ~80 ms of
 * every process's start (docs/performance.md, "CLI cold start").
 */
public final class GuestModule {
    private static final class Holder {
        static final GuestModule PYTHON =
                new GuestModule(parseTrusted("PythonModule.meta"), PythonModule::create);
    }

    private final WasmModule module;
    private final Function<Instance, Machine> machineFactory;

    private GuestModule(WasmModule module, Function<Instance, Machine> machineFactory) {
        this.module = module;
        this.machineFactory = machineFactory;
    }

    private static WasmModule parseTrusted(String resource) {
        Parser parser = Parser.builder().withValidation(false).build();
        return parser.parse(
                () -> {
                    InputStream in = PythonModule.class.getResourceAsStream(resource);
                    if (in == null) {
                        throw new IllegalStateException(
                                resource + " is missing from the eryx-wasm-assets jar");
                    }
                    return new BufferedInputStream(in);
                });
    }

    /**
     * Starts loading the module on daemon threads and returns at once, for a caller that has other
     * start-up work to do first (the first sandbox of a JVM decodes its image meanwhile). Both jobs
     * take a few hundred milliseconds in a cold JVM and need neither each other nor the image:
     * parsing the metadata, and loading the compiled code's classes (one of them is ~9 MB of
     * bytecode), which would otherwise load only when the first instance calls into them. A failure
     * here makes the next {@link #python()} fail too (as a class-initialisation error); a class the
     * compiler did not generate is simply not preloaded.
     */
    public static void loadInBackground() {
        StartupWork.inBackground("eryx-module-parse", GuestModule::python);
        StartupWork.inBackground("eryx-module-classes", GuestModule::loadCompiledClasses);
    }

    /**
     * Chicory 1.7's compiler names the classes holding the function bodies {@code
     * <Name>MachineFuncGroup_<i>}.
     */
    private static void loadCompiledClasses() {
        String prefix = PythonModule.class.getName() + "MachineFuncGroup_";
        ClassLoader loader = PythonModule.class.getClassLoader();
        for (int group = 0; ; group++) {
            try {
                Class.forName(prefix + group, false, loader);
            } catch (ClassNotFoundException noMore) {
                return;
            }
        }
    }

    /** The AOT-compiled CPython module, loaded on first use. */
    public static GuestModule python() {
        return Holder.PYTHON;
    }

    /** Globals an instance has, imported ones included: what a saved state must carry. */
    public int globalCount() {
        return module.importSection().count(ExternalType.GLOBAL)
                + module.globalSection().globalCount();
    }

    WasmModule module() {
        return module;
    }

    Function<Instance, Machine> machineFactory() {
        return machineFactory;
    }
}
