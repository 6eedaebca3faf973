package dev.eryx.internal.net.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * The certificates a sandbox's TLS connections trust: the JDK's default anchors, plus the policy's
 * ({@code NetworkPolicy.trustedCertificates}), plus the guest's ({@code cadata}) only when the
 * policy trusts them ({@link #withGuestAnchors}). Immutable and thread-safe.
 *
 * <p>Each instance holds its trust manager(s), built once, and its own {@code SSLContext}: TLS
 * sessions resume only between connections of the same instance (one sandbox's, when the host makes
 * one per sandbox), so one sandbox cannot learn from handshake times where another connected. The
 * JDK's default anchors are loaded once per JVM.
 */
public final class TlsTrust {
    /** A guest bundle larger than this is refused: the host parses it. */
    static final int MAX_GUEST_CERTIFICATES = 1000;

    private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
    private static final String END = "-----END CERTIFICATE-----";

    private final List<X509Certificate> policyAnchors;
    private final List<X509Certificate> guestAnchors;

    /** JDK + policy anchors: what decides {@link TlsSession#verifiedWithGuestAnchors()}. */
    private final X509ExtendedTrustManager base;

    /** Every anchor: what verifies; equals {@link #base} without guest anchors. */
    private final X509ExtendedTrustManager full;

    /** Every anchor by subject, to check the validity of the anchor a chain ends in. */
    private final Map<X500Principal, List<X509Certificate>> anchorsBySubject;

    private final SSLContext context;

    private TlsTrust(
            List<X509Certificate> policyAnchors,
            List<X509Certificate> guestAnchors,
            X509ExtendedTrustManager base,
            X509ExtendedTrustManager full,
            Map<X500Principal, List<X509Certificate>> anchorsBySubject) {
        this.policyAnchors = List.copyOf(policyAnchors);
        this.guestAnchors = List.copyOf(guestAnchors);
        this.base = base;
        this.full = full;
        this.anchorsBySubject = anchorsBySubject;
        try {
            this.context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new CheckingTrustManager(this)}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no usable TLS", e);
        }
    }

    /** The JDK's default anchors ({@code cacerts}), read once per JVM. */
    private static final class Jdk {
        static final X509ExtendedTrustManager MANAGER = managerFor(null);
        static final List<X509Certificate> ANCHORS = List.of(MANAGER.getAcceptedIssuers());
        static final Map<X500Principal, List<X509Certificate>> BY_SUBJECT =
                bySubject(List.of(ANCHORS));
    }

    /** The JDK's anchors plus {@code policyAnchors} (none: the JDK's default trust manager). */
    public static TlsTrust of(List<X509Certificate> policyAnchors) {
        Objects.requireNonNull(policyAnchors, "policyAnchors");
        policyAnchors.forEach(c -> Objects.requireNonNull(c, "policy anchor"));
        X509ExtendedTrustManager base =
                policyAnchors.isEmpty() ? Jdk.MANAGER : managerFor(policyAnchors);
        return new TlsTrust(
                policyAnchors,
                List.of(),
                base,
                base,
                policyAnchors.isEmpty()
                        ? Jdk.BY_SUBJECT
                        : bySubject(List.of(Jdk.ANCHORS, policyAnchors)));
    }

    /**
     * This trust plus the certificates of a PEM bundle (what the guest gave as {@code cadata} or in
     * a file it loaded). Text outside {@code BEGIN/END CERTIFICATE} blocks is ignored, as OpenSSL
     * does.
     *
     * @throws TlsFailure no certificate in the bundle, a block that is not a certificate, or more
     *     than {@value #MAX_GUEST_CERTIFICATES} certificates ({@code ssl.SSLError})
     */
    public TlsTrust withGuestAnchors(String pem) throws TlsFailure {
        List<X509Certificate> parsed = parsePem(pem);
        List<X509Certificate> guest = new ArrayList<>(guestAnchors);
        guest.addAll(parsed);
        List<X509Certificate> extra = new ArrayList<>(policyAnchors);
        extra.addAll(guest);
        return new TlsTrust(
                policyAnchors,
                guest,
                base,
                managerFor(extra),
                bySubject(List.of(Jdk.ANCHORS, policyAnchors, guest)));
    }

    public boolean includesGuestAnchors() {
        return !guestAnchors.isEmpty();
    }

    SSLContext context() {
        return context;
    }

    X509ExtendedTrustManager full() {
        return full;
    }

    /** Whether the chain alone (no name check) verifies without the guest's anchors. */
    boolean trustedWithoutGuestAnchors(X509Certificate[] chain, String authType) {
        try {
            base.checkServerTrusted(chain, authType);
            return true;
        } catch (CertificateException e) {
            return false;
        }
    }

    /** The anchors (any source) whose subject is {@code issuer}. */
    List<X509Certificate> anchorsFor(X500Principal issuer) {
        return anchorsBySubject.getOrDefault(issuer, List.of());
    }

    /** Parses a PEM bundle of certificates. */
    static List<X509Certificate> parsePem(String pem) throws TlsFailure {
        if (pem == null) {
            throw TlsFailure.ssl(
                    "X509", "NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", null);
        }
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 support", e);
        }
        for (int from = pem.indexOf(BEGIN); from >= 0; from = pem.indexOf(BEGIN, from)) {
            int end = pem.indexOf(END, from + BEGIN.length());
            int number = out.size() + 1;
            if (end < 0) {
                throw TlsFailure.ssl(
                        "PEM",
                        "BAD_END_LINE",
                        "certificate " + number + " of the PEM bundle has no END line",
                        null);
            }
            if (out.size() == MAX_GUEST_CERTIFICATES) {
                throw TlsFailure.ssl(
                        "X509",
                        "PEM_LIB",
                        "the PEM bundle has more than " + MAX_GUEST_CERTIFICATES + " certificates",
                        null);
            }
            String body = pem.substring(from + BEGIN.length(), end);
            from = end + END.length();
            try {
                // Strict: the MIME decoder would skip stray characters and parse what is left.
                byte[] der = Base64.getDecoder().decode(body.replaceAll("\\s", ""));
                out.add(
                        (X509Certificate)
                                factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (IllegalArgumentException e) {
                throw TlsFailure.ssl(
                        "PEM",
                        "BAD_BASE64_DECODE",
                        "certificate " + number + " of the PEM bundle is not valid base64",
                        e);
            } catch (CertificateException | ClassCastException e) {
                throw TlsFailure.ssl(
                        "X509",
                        "PEM_LIB",
                        "certificate "
                                + number
                                + " of the PEM bundle is not an X.509 certificate ("
                                + e.getMessage()
                                + ")",
                        e);
            }
        }
        if (out.isEmpty()) {
            throw TlsFailure.ssl(
                    "X509", "NO_CERTIFICATE_OR_CRL_FOUND", "no certificate or crl found", null);
        }
        return out;
    }

    /** One PKIX trust manager over the JDK's anchors and {@code extra} (null: the JDK's own). */
    private static X509ExtendedTrustManager managerFor(List<X509Certificate> extra) {
        try {
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (extra == null) {
                tmf.init((KeyStore) null);
            } else {
                // One in-memory store: the JDK's anchors as loaded, then ours.
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int i = 0;
                for (X509Certificate c : Jdk.ANCHORS) {
                    store.setCertificateEntry("jdk-" + i++, c);
                }
                for (X509Certificate c : extra) {
                    store.setCertificateEntry("extra-" + i++, c);
                }
                tmf.init(store);
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK gave no X509ExtendedTrustManager");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the TLS trust store", e);
        }
    }

    private static Map<X500Principal, List<X509Certificate>> bySubject(
            List<List<X509Certificate>> lists) {
        Map<X500Principal, List<X509Certificate>> map = new HashMap<>();
        for (List<X509Certificate> list : lists) {
            for (X509Certificate c : list) {
                map.computeIfAbsent(c.getSubjectX500Principal(), k -> new ArrayList<>()).add(c);
            }
        }
        map.replaceAll((k, v) -> List.copyOf(v));
        return Map.copyOf(map);
    }
}
