package dev.eryx.internal.net.tls;

import java.util.Locale;

/**
 * A TLS failure as the guest's {@code ssl} module must raise it: the Python exception type, and a
 * message that reads like CPython's ({@code [LIBRARY: REASON] text (_ssl.c:1000)}) so that guest
 * code matching on it keeps working. Certificate failures carry OpenSSL's {@code verify_code} and
 * {@code verify_message} ({@code ssl.SSLCertVerificationError}).
 */
public final class TlsFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** The source position CPython's messages end with; guests match the text before it. */
    private static final String WHERE = " (_ssl.c:1000)";

    // OpenSSL's X509_V_ERR_* codes and texts (OpenSSL 3 spelling) that the checks here produce.
    static final int CERT_NOT_YET_VALID = 9;
    static final int CERT_HAS_EXPIRED = 10;
    static final int SELF_SIGNED = 18;
    static final int SELF_SIGNED_IN_CHAIN = 19;
    static final int UNABLE_TO_GET_ISSUER_LOCALLY = 20;
    static final int UNSPECIFIED = 1;
    static final int HOSTNAME_MISMATCH = 62;
    static final int IP_ADDRESS_MISMATCH = 64;

    private final String pythonType;
    private final String library;
    private final String reason;
    private final int verifyCode;
    private final String verifyMessage;

    private TlsFailure(
            String pythonType,
            String library,
            String reason,
            String text,
            int verifyCode,
            String verifyMessage,
            Throwable cause) {
        super(
                (reason == null ? "[" + library + "] " : "[" + library + ": " + reason + "] ")
                        + text
                        + WHERE,
                cause);
        this.pythonType = pythonType;
        this.library = library;
        this.reason = reason;
        this.verifyCode = verifyCode;
        this.verifyMessage = verifyMessage;
    }

    /** A certificate the chain or name checks refused: {@code ssl.SSLCertVerificationError}. */
    static TlsFailure verify(int code, String message, Throwable cause) {
        return new TlsFailure(
                "SSLCertVerificationError",
                "SSL",
                "CERTIFICATE_VERIFY_FAILED",
                "certificate verify failed: " + message,
                code,
                message,
                cause);
    }

    /** Any other {@code ssl.SSLError}, e.g. {@code ("SSL", "WRONG_VERSION_NUMBER", ...)}. */
    static TlsFailure ssl(String library, String reason, String text, Throwable cause) {
        return new TlsFailure("SSLError", library, reason, text, 0, null, cause);
    }

    /**
     * The connection ended without a TLS close_notify where one was due (CPython: {@code
     * ssl.SSLEOFError}).
     */
    static TlsFailure unexpectedEof() {
        return new TlsFailure(
                "SSLEOFError",
                "SSL",
                "UNEXPECTED_EOF_WHILE_READING",
                "EOF occurred in violation of protocol",
                0,
                null,
                null);
    }

    /** The message of a truncated connection, for a guest that does not suppress ragged EOFs. */
    public static String unexpectedEofMessage() {
        return unexpectedEof().getMessage();
    }

    /** True for a certificate verification failure (then {@link #verifyCode()} is set). */
    public boolean certificateVerify() {
        return verifyMessage != null;
    }

    /** OpenSSL's X509_V_ERR code, e.g. 20; 0 when not a verification failure. */
    public int verifyCode() {
        return verifyCode;
    }

    /** OpenSSL's text for {@link #verifyCode()}, e.g. "self-signed certificate"; else null. */
    public String verifyMessage() {
        return verifyMessage;
    }

    /**
     * The Python exception the guest raises: {@code SSLCertVerificationError}, {@code SSLError} or
     * {@code SSLEOFError}.
     */
    public String pythonType() {
        return pythonType;
    }

    /** The exception's {@code library} attribute, e.g. "SSL". */
    public String library() {
        return library;
    }

    /** The exception's {@code reason} attribute, e.g. "CERTIFICATE_VERIFY_FAILED"; may be null. */
    public String reason() {
        return reason;
    }

    /** OpenSSL's reason for a TLS alert the peer sent, from the alert's JDK name. */
    static TlsFailure alert(String jdkAlertName, Throwable cause) {
        String name = jdkAlertName.toLowerCase(Locale.ROOT);
        String prefix =
                switch (name) {
                    case "unexpected_message",
                            "bad_record_mac",
                            "decompression_failure",
                            "handshake_failure",
                            "no_certificate",
                            "bad_certificate",
                            "unsupported_certificate",
                            "certificate_revoked",
                            "certificate_expired",
                            "certificate_unknown",
                            "illegal_parameter" ->
                            "sslv3";
                    case "certificate_required" -> "tlsv13";
                    default -> "tlsv1";
                };
        return ssl(
                "SSL",
                (prefix + "_alert_" + name).toUpperCase(Locale.ROOT),
                prefix + " alert " + name.replace('_', ' '),
                cause);
    }
}
