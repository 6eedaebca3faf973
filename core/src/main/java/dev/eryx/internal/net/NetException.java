package dev.eryx.internal.net;

import java.util.Objects;

/**
 * A network operation the host refused or that failed, with the Python exception the guest raises
 * for it. (Created by the secrets part so its filters compile; the policy part owns it.)
 */
public final class NetException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What went wrong; decides the guest's exception type and errno. */
    public enum Kind {
        NAME_NOT_ALLOWED,
        NAME_UNKNOWN,
        DENIED,
        TIMEOUT,
        REFUSED,
        RESET,
        UNREACHABLE,
        LIMIT,
        TLS_VERIFY,
        TLS,
        SECRET,
        CLOSED,
        NOT_SUPPORTED,
        CANCELLED,
        OTHER
    }

    private final Kind kind;

    public NetException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    /** Python exception type name the guest raises. */
    public String pythonType() {
        return switch (kind) {
            case NAME_NOT_ALLOWED, NAME_UNKNOWN -> "gaierror";
            case DENIED, SECRET -> "PermissionError";
            case TIMEOUT -> "TimeoutError";
            case REFUSED -> "ConnectionRefusedError";
            case RESET -> "ConnectionResetError";
            case TLS_VERIFY -> "SSLCertVerificationError";
            case TLS -> "SSLError";
            case CLOSED -> "BrokenPipeError";
            default -> "OSError";
        };
    }

    /** errno as its symbolic name, "EAI_NONAME" for gaierror, or null. */
    public String errnoName() {
        return switch (kind) {
            case NAME_NOT_ALLOWED, NAME_UNKNOWN -> "EAI_NONAME";
            case DENIED, SECRET -> "EPERM";
            case TIMEOUT -> "ETIMEDOUT";
            case REFUSED -> "ECONNREFUSED";
            case RESET -> "ECONNRESET";
            case UNREACHABLE -> "EHOSTUNREACH";
            case CLOSED -> "EPIPE";
            case NOT_SUPPORTED -> "ENOTSUP";
            case CANCELLED -> "ECANCELED";
            default -> null;
        };
    }
}
