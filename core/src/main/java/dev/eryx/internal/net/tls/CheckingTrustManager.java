package dev.eryx.internal.net.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a server's chain for a {@link TlsSession}: the JDK's PKIX checks with {@link TlsTrust}'s
 * anchors and the JDK's host name check, then a validity check of every certificate, including the
 * anchor (the JDK does not check the dates of an anchor, so an expired self-signed certificate that
 * is itself trusted would pass; OpenSSL, and so CPython, refuses it). Failures become {@link
 * Refusal}s carrying OpenSSL's verify code. Stateless: one per {@link TlsTrust}, shared by its
 * connections.
 */
final class CheckingTrustManager extends X509ExtendedTrustManager {
    private final TlsTrust trust;

    CheckingTrustManager(TlsTrust trust) {
        this.trust = trust;
    }

    /** A refused chain, with what CPython's {@code SSLCertVerificationError} would say. */
    static final class Refusal extends CertificateException {
        private static final long serialVersionUID = 1L;
        final int code;
        final String text;

        Refusal(int code, String text, Throwable cause) {
            super(text, cause);
            this.code = code;
            this.text = text;
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        if (engine == null
                || !"HTTPS"
                        .equalsIgnoreCase(
                                engine.getSSLParameters().getEndpointIdentificationAlgorithm())) {
            // TlsSession always sets it; anything else is a bug that must not weaken checks.
            throw new Refusal(
                    TlsFailure.UNSPECIFIED, "host name verification is not enabled", null);
        }
        if (chain == null || chain.length == 0) {
            throw new Refusal(TlsFailure.UNSPECIFIED, "the server sent no certificate", null);
        }
        X509ExtendedTrustManager full = trust.full();
        try {
            full.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException withName) {
            try {
                full.checkServerTrusted(chain, authType); // the chain alone, no name check
            } catch (CertificateException chainFailure) {
                throw classify(chain, chainFailure);
            }
            throw nameFailure(engine.getPeerHost(), withName);
        }
        checkDates(chain, new Date());
    }

    private static Refusal nameFailure(String host, CertificateException e) {
        String message = String.valueOf(e.getMessage());
        if (!message.contains("No subject alternative") && !message.contains("No name matching")) {
            return new Refusal(
                    TlsFailure.UNSPECIFIED,
                    "unspecified certificate verification error (" + message + ")",
                    e);
        }
        return TlsSession.isIpLiteral(host)
                ? new Refusal(
                        TlsFailure.IP_ADDRESS_MISMATCH,
                        "IP address mismatch, certificate is not valid for '" + host + "'.",
                        e)
                : new Refusal(
                        TlsFailure.HOSTNAME_MISMATCH,
                        "Hostname mismatch, certificate is not valid for '" + host + "'.",
                        e);
    }

    private static Refusal classify(X509Certificate[] chain, CertificateException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return expired(e);
            }
            if (t instanceof CertificateNotYetValidException) {
                return notYetValid(e);
            }
            if (t instanceof CertPathValidatorException v) {
                if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                    return expired(e);
                }
                if (v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return notYetValid(e);
                }
            }
            if (t instanceof CertPathBuilderException) {
                return untrusted(chain, e);
            }
        }
        return new Refusal(
                TlsFailure.UNSPECIFIED,
                "unspecified certificate verification error (" + e.getMessage() + ")",
                e);
    }

    /** No path to an anchor: OpenSSL names the case by the shape of the chain. */
    private static Refusal untrusted(X509Certificate[] chain, Throwable cause) {
        X509Certificate last = chain[chain.length - 1];
        if (selfIssued(last)) {
            return chain.length == 1
                    ? new Refusal(TlsFailure.SELF_SIGNED, "self-signed certificate", cause)
                    : new Refusal(
                            TlsFailure.SELF_SIGNED_IN_CHAIN,
                            "self-signed certificate in certificate chain",
                            cause);
        }
        return new Refusal(
                TlsFailure.UNABLE_TO_GET_ISSUER_LOCALLY,
                "unable to get local issuer certificate",
                cause);
    }

    private void checkDates(X509Certificate[] chain, Date now) throws Refusal {
        for (X509Certificate c : chain) {
            checkDate(c, now);
        }
        X509Certificate last = chain[chain.length - 1];
        if (selfIssued(last)) {
            return; // the chain ends in its anchor, checked above
        }
        List<X509Certificate> issuers = trust.anchorsFor(last.getIssuerX500Principal());
        Refusal refusal = null;
        for (X509Certificate anchor : issuers) {
            if (!signed(last, anchor)) {
                continue;
            }
            try {
                checkDate(anchor, now);
                return; // one valid anchor issued it
            } catch (Refusal r) {
                refusal = r;
            }
        }
        if (refusal != null) {
            throw refusal;
        }
    }

    private static void checkDate(X509Certificate c, Date now) throws Refusal {
        try {
            c.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw expired(e);
        } catch (CertificateNotYetValidException e) {
            throw notYetValid(e);
        }
    }

    private static boolean signed(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean selfIssued(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
    }

    private static Refusal expired(Throwable cause) {
        return new Refusal(TlsFailure.CERT_HAS_EXPIRED, "certificate has expired", cause);
    }

    private static Refusal notYetValid(Throwable cause) {
        return new Refusal(TlsFailure.CERT_NOT_YET_VALID, "certificate is not yet valid", cause);
    }

    // A client only verifies servers, and only through an SSLEngine.

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("eryx verifies servers through an SSLEngine only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
            throws CertificateException {
        throw new CertificateException("eryx verifies servers through an SSLEngine only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("eryx does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("eryx does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
            throws CertificateException {
        throw new CertificateException("eryx does not accept client certificates");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
