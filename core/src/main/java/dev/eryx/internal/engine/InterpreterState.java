package dev.eryx.internal.engine;

/**
 * The state of a booted interpreter between two host calls: linear memory up to its current size
 * and the values of all globals (the C stack pointer among them). Because the module is a reactor,
 * no guest frame is live at that point, so this is everything a fresh instance needs to continue.
 * Immutable; every instance restored from it shares its unchanged memory pages (copy-on-write,
 * {@link PagedMemory}).
 */
public final class InterpreterState {
    private final SharedPages memory;
    private final long[] globals;

    InterpreterState(SharedPages memory, long[] globals) {
        this.memory = memory;
        this.globals = globals;
    }

    SharedPages pages() {
        return memory;
    }

    /** The linear memory as one array (a copy). */
    byte[] memory() {
        return memory.toBytes();
    }

    long[] globals() {
        return globals;
    }

    public long memoryBytes() {
        return memory.bytes();
    }

    /**
     * The same state with memory cut into pages of {@code 1 << pageShift} bytes: only for measuring
     * page sizes against each other (docs/performance.md); sandboxes use the default.
     */
    public InterpreterState withPageShift(int pageShift) {
        return new InterpreterState(memory.withPageShift(pageShift), globals);
    }
}
