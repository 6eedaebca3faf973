/**
 * The sandbox. The public API is the package {@code dev.eryx}; everything under {@code
 * dev.eryx.internal} is sealed. Two internal packages are exported, qualified, to the project's
 * benchmarks, which measure the engine below the façade (GuestMemoryMeasurements, StartupBreakdown,
 * PoolMeasurements, MemoryLayouts).
 */
// The qualified exports name a module that is not part of this build's module graph: javac would
// warn "module not found" on every compile.
@SuppressWarnings("module")
module dev.eryx {
    // ExecutionResult.result() and Callback hand out Jackson trees.
    requires transitive com.fasterxml.jackson.databind;
    requires com.dylibso.chicory.runtime;
    requires com.networknt.schema;
    requires dev.eryx.wasm;

    exports dev.eryx;
    exports dev.eryx.internal.engine to
            dev.eryx.bench;
    exports dev.eryx.internal.execution to
            dev.eryx.bench;
}
