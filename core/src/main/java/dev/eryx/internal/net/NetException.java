package dev.eryx.internal.net;

import java.util.Objects;

/**
 * A network operation the host refused or that failed, with the Python exception the guest raises
 * for it ({@link #pythonType()}) and its errno ({@link #errnoName()}).
 */
public final class NetException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What went wrong; decides the guest's exception type. */
    public enum Kind {
        /** The name is not on the allowlist; no DNS query was sent. */
        NAME_NOT_ALLOWED("gaierror", "EAI_NONAME"),
        /** DNS knows no such name (or did not answer in time). */
        NAME_UNKNOWN("gaierror", "EAI_NONAME"),
        /** The policy refuses the address or port. */
        DENIED("PermissionError", "EPERM"),
        TIMEOUT("TimeoutError", "ETIMEDOUT"),
        REFUSED("ConnectionRefusedError", "ECONNREFUSED"),
        RESET("ConnectionResetError", "ECONNRESET"),
        UNREACHABLE("OSError", "EHOSTUNREACH"),
        /** A policy limit (connections, bytes). */
        LIMIT("OSError", null),
        TLS_VERIFY("SSLCertVerificationError", null),
        TLS("SSLError", null),
        /** A secret's placeholder would go where it may not. */
        SECRET("PermissionError", "EPERM"),
        CLOSED("OSError", "EBADF"),
        NOT_SUPPORTED("OSError", "EOPNOTSUPP"),
        CANCELLED("OSError", "ECANCELED"),
        OTHER("OSError", null);

        private final String pythonType;
        private final String errno;

        Kind(String pythonType, String errno) {
            this.pythonType = pythonType;
            this.errno = errno;
        }
    }

    private final Kind kind;
    private final String errno;

    public NetException(Kind kind, String message) {
        this(kind, message, kind.errno);
    }

    /**
     * With an errno other than the kind's (e.g. {@code EAI_AGAIN} for a DNS timeout). Addition to
     * the contract.
     */
    public NetException(Kind kind, String message, String errnoName) {
        super(Objects.requireNonNull(message, "message"));
        this.kind = Objects.requireNonNull(kind, "kind");
        this.errno = errnoName;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Python exception type name the guest raises, e.g. "gaierror", "PermissionError",
     * "TimeoutError", "ConnectionRefusedError", "SSLCertVerificationError".
     */
    public String pythonType() {
        return kind.pythonType;
    }

    /** errno as its symbolic name ("ECONNREFUSED"), "EAI_NONAME" for gaierror, or null. */
    public String errnoName() {
        return errno;
    }
}
