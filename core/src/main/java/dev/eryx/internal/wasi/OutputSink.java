package dev.eryx.internal.wasi;

/**
 * Receives raw bytes the guest writes to stdout or stderr. The array is only valid during the call
 * (it is reused). An unchecked exception thrown here (an output limit, say) propagates out of the
 * wasm call unchanged.
 */
@FunctionalInterface
public interface OutputSink {
    void write(byte[] bytes, int offset, int length);

    /** A sink that drops everything. */
    static OutputSink discarding() {
        return (bytes, offset, length) -> {};
    }
}
