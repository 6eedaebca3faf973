package dev.eryx.internal.execution;

import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The read-only trees every sandbox shares: CPython's standard library and the guest half of eryx,
 * unpacked once per JVM on first use, and where a sandbox's packages (a tree shared by every
 * sandbox given the same {@code PythonPackages}) are mounted. Immutable, so sharing needs no
 * locking.
 */
final class GuestLayers {
    /** Where the guest finds the standard library (compiled into the interpreter's search path). */
    static final String STDLIB_PATH = "/usr/local/lib/python3.14";

    /** Where the guest finds the {@code eryx} package. */
    static final String RUNTIME_PATH = "/usr/local/lib/eryx";

    /** Where the guest finds a sandbox's third-party packages (a {@code PackageLayer}'s tree). */
    static final String SITE_PACKAGES_PATH = "/usr/local/lib/site-packages";

    private static final class Holder {
        static final ReadOnlyLayer STDLIB = load("stdlib.zip");
        static final ReadOnlyLayer RUNTIME = load("eryx-runtime.zip");
    }

    private GuestLayers() {}

    /**
     * The guest directories {@code packages} puts on {@code sys.path}, in order: its path entries
     * resolved under {@link #SITE_PACKAGES_PATH} ({@code ""} is the mount itself).
     */
    static List<String> sysPathOf(PackageLayer packages) {
        List<String> path = new ArrayList<>();
        for (String entry : packages.pathEntries()) {
            path.add(entry.isEmpty() ? SITE_PACKAGES_PATH : SITE_PACKAGES_PATH + "/" + entry);
        }
        return List.copyOf(path);
    }

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
