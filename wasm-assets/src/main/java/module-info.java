/**
 * The guest: CPython compiled to WebAssembly, its standard library and eryx's guest runtime (as
 * zips), and the JVM bytecode Chicory compiles from the module at build time ({@code
 * dev.eryx.wasm.PythonModule}, generated into this package).
 */
module dev.eryx.wasm {
    // The generated classes implement Chicory's CompiledModule and return its types.
    requires transitive com.dylibso.chicory.runtime;

    exports dev.eryx.wasm;

    // The assets are resources of this package (stdlib.zip, eryx-runtime.zip, MANIFEST,
    // INTERPRETED, the generated classes' .meta): core reads them through
    // PythonModule.class.getResourceAsStream, which a named module allows only for an open package.
    opens dev.eryx.wasm;
}
