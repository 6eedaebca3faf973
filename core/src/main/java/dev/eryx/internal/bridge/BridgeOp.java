package dev.eryx.internal.bridge;

/** Operation codes of the host bridge; see docs/bridge-abi.md. */
public enum BridgeOp {
    CALL(1),
    START(2),
    POLL(3),
    CANCEL(4),
    EMIT(5),
    CONFIG(6),
    REQUEST(7),
    COMPLETE(8);

    private static final BridgeOp[] BY_CODE = new BridgeOp[9];

    static {
        for (BridgeOp op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    BridgeOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The operation with this code, or {@code null} for a code the host does not know. */
    public static BridgeOp fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
