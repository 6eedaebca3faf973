package dev.eryx.internal.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.util.List;

/** Test helper: runs a wasm32-wasip1 command module's {@code _start} under our WASI. */
final class GuestRun {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exitCode = -1;

    /** The config builder gets stdout/stderr capture; the caller sets the rest. */
    WasiConfig.Builder capture(WasiConfig.Builder builder) {
        return builder.stdout(stdout::write).stderr(stderr::write);
    }

    GuestRun run(WasmModule module, WasiConfig config) {
        try (WasiPreview1 wasi = new WasiPreview1(config)) {
            ImportValues imports =
                    ImportValues.builder()
                            .addFunction(wasi.hostFunctions())
                            .addFunction(eryxStubs())
                            .build();
            Instance instance =
                    Instance.builder(module).withImportValues(imports).withStart(false).build();
            try {
                instance.export("_start").apply();
                exitCode = 0;
            } catch (WasiExitException e) {
                exitCode = e.exitCode();
            }
        }
        return this;
    }

    /** The CPython build also imports the eryx bridge; answer "no handler". */
    private static HostFunction[] eryxStubs() {
        return new HostFunction[] {
            new HostFunction(
                    "eryx",
                    "invoke",
                    FunctionType.of(
                            List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32)),
                    (instance, args) -> new long[] {-2}),
            new HostFunction(
                    "eryx",
                    "take_response",
                    FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)),
                    (instance, args) -> new long[] {0}),
        };
    }

    String out() {
        return stdout.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    String err() {
        return stderr.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
