package dev.eryx.internal.bridge;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static dev.eryx.internal.imports.HostImports.params;
import static dev.eryx.internal.imports.HostImports.returningI32;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The {@code eryx} import module: two functions that carry every host operation as bytes
 * (docs/bridge-abi.md). The response of the last {@code invoke} waits here until the guest copies
 * it out with {@code take_response}, so the host never allocates guest memory.
 */
public final class BridgeHost {
    public static final String MODULE = "eryx";

    /** Guest requests larger than this are refused: they can only be an attack or a bug. */
    static final int MAX_REQUEST_BYTES = 64 << 20;

    private static final byte[] EMPTY = new byte[0];

    private final BridgeHandler handler;
    private byte[] pendingResponse = EMPTY;

    public BridgeHost(BridgeHandler handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    public HostFunction[] hostFunctions() {
        return new HostFunction[] {
            returningI32(
                    MODULE,
                    "invoke",
                    params(I32, I32, I32),
                    (instance, args) -> new long[] {invoke(instance, args)}),
            returningI32(
                    MODULE,
                    "take_response",
                    params(I32, I32),
                    (instance, args) -> new long[] {takeResponse(instance, args)}),
        };
    }

    private int invoke(Instance instance, long[] args) {
        int opCode = (int) args[0];
        int requestLength = (int) args[2];
        BridgeOp op = BridgeOp.fromCode(opCode);
        if (op == null) {
            return fail(BridgeFailure.UNKNOWN_OP, "unknown bridge operation " + opCode);
        }
        if (requestLength < 0 || requestLength > MAX_REQUEST_BYTES) {
            return fail(
                    BridgeFailure.ERROR, "bridge request length out of range: " + requestLength);
        }
        Memory memory = instance.memory();
        long requestAddress = args[1] & 0xFFFF_FFFFL;
        if (!inside(memory, requestAddress, requestLength)) {
            return fail(BridgeFailure.ERROR, "bridge request outside guest memory");
        }
        byte[] request = memory.readBytes((int) requestAddress, requestLength);
        try {
            pendingResponse = Objects.requireNonNull(handler.handle(op, request), "response");
            return pendingResponse.length;
        } catch (BridgeFailure failure) {
            return fail(failure.status(), failure.getMessage());
        }
    }

    private int takeResponse(Instance instance, long[] args) {
        long address = args[0] & 0xFFFF_FFFFL;
        int capacity = (int) args[1];
        if (capacity < 0) {
            return BridgeFailure.ERROR;
        }
        int length = Math.min(capacity, pendingResponse.length);
        Memory memory = instance.memory();
        if (!inside(memory, address, length)) {
            return BridgeFailure.ERROR;
        }
        memory.write((int) address, pendingResponse, 0, length);
        pendingResponse = EMPTY;
        return length;
    }

    /**
     * Bounds are checked here rather than left to the memory: what a {@link Memory} throws for an
     * out-of-range access differs between implementations, and an exception escaping a host
     * function would crash the sandbox instead of returning an error to the guest.
     */
    private static boolean inside(Memory memory, long address, long length) {
        return address + length <= (long) memory.pages() * Memory.PAGE_SIZE;
    }

    private int fail(int status, String message) {
        pendingResponse = message == null ? EMPTY : message.getBytes(StandardCharsets.UTF_8);
        return status;
    }
}
