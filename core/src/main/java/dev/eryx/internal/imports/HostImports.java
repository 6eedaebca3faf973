package dev.eryx.internal.imports;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;

/**
 * Declares host functions in one line each: module, name, wasm parameter types and body, with the
 * result type said by the method's name. The import tables ({@code BridgeHost}, {@code
 * WasiPreview1}) read as lists of signatures this way, and a signature is written once.
 *
 * <p>Chicory's own typed declaration ({@code @HostModule}/{@code @WasmExport}) needs its annotation
 * processor, which this build cannot resolve; it would also generate handles bound once, while the
 * WASI imports are rebound after declaration (a pool reset gives a sandbox new WASI state).
 */
public final class HostImports {
    private static final List<ValType> I32_RESULT = List.of(ValType.I32);

    private HostImports() {}

    /** The parameter types of an import, in order. */
    public static List<ValType> params(ValType... types) {
        return List.of(types);
    }

    /** {@code module.name(params) -> i32}: the C shape of a call returning a length or status. */
    public static HostFunction returningI32(
            String module, String name, List<ValType> params, WasmFunctionHandle body) {
        return new HostFunction(module, name, FunctionType.of(params, I32_RESULT), body);
    }

    /** {@code module.name(params)} with no result. */
    public static HostFunction returningNothing(
            String module, String name, List<ValType> params, WasmFunctionHandle body) {
        return new HostFunction(module, name, FunctionType.of(params, List.of()), body);
    }

    /** The same import, signature included, with another body: for indirections (WasiBinding). */
    public static HostFunction withBody(HostFunction function, WasmFunctionHandle body) {
        return new HostFunction(function.module(), function.name(), function.functionType(), body);
    }
}
