package dev.eryx.internal.engine;

import static dev.eryx.internal.imports.HostImports.withBody;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import dev.eryx.internal.wasi.WasiPreview1;

/**
 * The WASI imports of one instance, bound to a {@link WasiPreview1} that can be replaced: Chicory
 * binds imports once, at instantiation, so each import is a fixed function that calls whatever the
 * current binding is. Resetting a sandbox in place gives it a new WASI (fresh descriptors,
 * filesystem, clocks) without a new instance.
 *
 * <p>Only the guest thread calls the imports and {@link #rebind}, so no synchronisation is needed.
 */
final class WasiBinding {
    private final String[] names;
    private final WasmFunctionHandle[] targets;
    private final HostFunction[] imports;

    WasiBinding(WasiPreview1 wasi) {
        HostFunction[] functions = wasi.hostFunctions();
        this.names = new String[functions.length];
        this.targets = new WasmFunctionHandle[functions.length];
        this.imports = new HostFunction[functions.length];
        for (int i = 0; i < functions.length; i++) {
            HostFunction f = functions[i];
            int index = i;
            names[i] = f.module() + "." + f.name();
            targets[i] = f.handle();
            imports[i] = withBody(f, (instance, args) -> targets[index].apply(instance, args));
        }
    }

    HostFunction[] imports() {
        return imports.clone();
    }

    /** Points every import at {@code wasi}'s implementation; it must offer the same functions. */
    void rebind(WasiPreview1 wasi) {
        HostFunction[] functions = wasi.hostFunctions();
        if (functions.length != names.length) {
            throw new IllegalArgumentException(
                    "the new WASI offers " + functions.length + " functions, not " + names.length);
        }
        WasmFunctionHandle[] next = new WasmFunctionHandle[functions.length];
        for (int i = 0; i < functions.length; i++) {
            String name = functions[i].module() + "." + functions[i].name();
            if (!name.equals(names[i])) {
                throw new IllegalArgumentException(
                        "the new WASI offers " + name + " where " + names[i] + " was");
            }
            next[i] = functions[i].handle();
        }
        System.arraycopy(next, 0, targets, 0, next.length);
    }
}
