package dev.eryx.internal.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeHandler;
import dev.eryx.internal.bridge.BridgeHost;
import java.io.ByteArrayOutputStream;

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
        BridgeHandler none =
                (op, request) -> {
                    throw new BridgeFailure(BridgeFailure.UNKNOWN_OP, "no handler");
                };
        return new BridgeHost(none).hostFunctions();
    }

    String out() {
        return stdout.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    String err() {
        return stderr.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
