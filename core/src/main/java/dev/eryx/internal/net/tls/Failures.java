package dev.eryx.internal.net.tls;

import javax.net.ssl.SSLException;

/** Maps the JDK's TLS exceptions to what CPython's {@code ssl} module would raise. */
final class Failures {
    private static final String ALERT = "Received fatal alert: ";

    private Failures() {}

    static TlsFailure of(SSLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CheckingTrustManager.Refusal r) {
                return TlsFailure.verify(r.code, r.text, e);
            }
        }
        String message = String.valueOf(e.getMessage());
        int alert = message.indexOf(ALERT);
        if (alert >= 0) {
            String name = message.substring(alert + ALERT.length()).strip();
            int space = name.indexOf(' ');
            return TlsFailure.alert(space > 0 ? name.substring(0, space) : name, e);
        }
        if (message.contains("Unsupported or unrecognized SSL message")
                || message.contains("Unrecognized SSL message")) {
            // What a TLS client reads from a server that does not speak TLS (plain HTTP, say).
            return TlsFailure.ssl("SSL", "WRONG_VERSION_NUMBER", "wrong version number", e);
        }
        if (message.contains("not accepted by client preferences")) {
            return TlsFailure.ssl("SSL", "UNSUPPORTED_PROTOCOL", "unsupported protocol", e);
        }
        if (message.contains("No appropriate protocol")) {
            return TlsFailure.ssl("SSL", "NO_PROTOCOLS_AVAILABLE", "no protocols available", e);
        }
        return TlsFailure.ssl("SSL", null, message, e);
    }

    /** An unexpected exception from the JDK's engine. */
    static TlsFailure internal(RuntimeException e) {
        return TlsFailure.ssl("SSL", "INTERNAL_ERROR", "internal error (" + e + ")", e);
    }
}
