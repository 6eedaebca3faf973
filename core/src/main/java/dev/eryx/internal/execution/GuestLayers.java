package dev.eryx.internal.execution;

import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The read-only trees every sandbox shares: CPython's standard library and the guest half of eryx.
 * Unpacked once per JVM on first use; immutable afterwards, so sharing needs no locking.
 */
final class GuestLayers {
    /** Where the guest finds the standard library (compiled into the interpreter's search path). */
    static final String STDLIB_PATH = "/usr/local/lib/python3.14";

    /** Where the guest finds the {@code eryx} package. */
    static final String RUNTIME_PATH = "/usr/local/lib/eryx";

    private static final class Holder {
        static final ReadOnlyLayer STDLIB = load("stdlib.zip");
        static final ReadOnlyLayer RUNTIME = load("eryx-runtime.zip");
    }

    private GuestLayers() {}

    static ReadOnlyLayer stdlib() {
        return Holder.STDLIB;
    }

    static ReadOnlyLayer runtime() {
        return Holder.RUNTIME;
    }

    private static ReadOnlyLayer load(String resource) {
        try (InputStream in = dev.eryx.wasm.PythonModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(
                        "missing guest asset "
                                + resource
                                + ": is eryx-wasm-assets on the class path?");
            }
            return ReadOnlyLayer.fromZip(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read guest asset " + resource, e);
        }
    }
}
