package dev.eryx.internal.engine;

/**
 * The state of a booted interpreter between two host calls: linear memory up to its current size
 * and the values of all globals (the C stack pointer among them). Because the module is a reactor,
 * no guest frame is live at that point, so this is everything a fresh instance needs to continue.
 * Immutable; shared by every instance restored from it.
 */
public final class GuestSnapshot {
    private final byte[] memory;
    private final long[] globals;

    GuestSnapshot(byte[] memory, long[] globals) {
        this.memory = memory;
        this.globals = globals;
    }

    byte[] memory() {
        return memory;
    }

    long[] globals() {
        return globals;
    }

    public long memoryBytes() {
        return memory.length;
    }
}
