package dev.eryx.internal.execution;

import dev.eryx.internal.engine.GuestSnapshot;
import java.util.List;

/**
 * The interpreter image plain {@code Sandbox.builder().build()} restores from: CPython booted
 * once per JVM, with nothing preloaded beyond what the runtime itself imports. Booting takes
 * seconds on the JVM; restoring takes milliseconds.
 */
public final class DefaultImage {
    private static final class Holder {
        static final GuestSnapshot IMAGE = SandboxRuntime.captureImage(List.of());
    }

    private DefaultImage() {
    }

    public static GuestSnapshot get() {
        return Holder.IMAGE;
    }
}
