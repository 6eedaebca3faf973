package dev.eryx.internal.bridge;

/**
 * Operation codes of the host bridge, and the event kinds of {@link #EMIT}: the one declaration of
 * these numbers. The guest's copy ({@code eryx/_bridge.py}) and the table in docs/bridge-abi.md are
 * checked against this enum by {@code BridgeAbiTest}; the C module only forwards the number.
 */
public enum BridgeOp {
    CALL(1),
    START(2),
    POLL(3),
    CANCEL(4),
    EMIT(5),
    // 6 was CONFIG, never used; a retired code is not reused, so an old guest cannot be misread.
    REQUEST(7),
    COMPLETE(8),
    // The network (docs/bridge-abi.md, "Network operations"; host: dev.eryx.internal.net).
    NET_RESOLVE(9),
    NET_SOCKET(10),
    NET_CONNECT(11),
    NET_TLS_WRAP(12),
    NET_TLS_OBJECT(13),
    NET_TLS_STEP(14),
    NET_NOTIFIER(15),
    NET_CLOSE(16);

    private static final BridgeOp[] BY_CODE = new BridgeOp[17];

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

    /** What an {@link #EMIT} carries: its first byte, before the UTF-8 JSON payload. */
    public enum EmitKind {
        TRACE(1);

        private final byte code;

        EmitKind(int code) {
            this.code = (byte) code;
        }

        public byte code() {
            return code;
        }
    }
}
