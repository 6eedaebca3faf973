package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import dev.eryx.wasm.PythonModule;
import java.util.function.Function;

/**
 * The CPython module as Chicory compiled it ahead of time (module {@code wasm-assets}). Parsing
 * its metadata takes a while, so it happens once per JVM; the parsed module is immutable and
 * shared by every instance.
 */
public final class GuestModule {
    private static final class Holder {
        static final GuestModule PYTHON = new GuestModule(PythonModule.load(), PythonModule::create);
    }

    private final WasmModule module;
    private final Function<Instance, Machine> machineFactory;

    private GuestModule(WasmModule module, Function<Instance, Machine> machineFactory) {
        this.module = module;
        this.machineFactory = machineFactory;
    }

    /** The AOT-compiled CPython module, loaded on first use. */
    public static GuestModule python() {
        return Holder.PYTHON;
    }

    WasmModule module() {
        return module;
    }

    Function<Instance, Machine> machineFactory() {
        return machineFactory;
    }
}
