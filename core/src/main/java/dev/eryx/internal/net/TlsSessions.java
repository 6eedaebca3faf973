package dev.eryx.internal.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.net.secrets.ConnectionFilter;
import dev.eryx.internal.net.tls.TlsFailure;
import dev.eryx.internal.net.tls.TlsSession;
import dev.eryx.internal.net.tls.TlsTrust;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.util.List;

/**
 * What NET_TLS_WRAP and the TLS objects share: the trust a connection verifies with, the ALPN it
 * offers (http/1.1 only where a secret may travel), its secret filter once verified, and the facts
 * the guest's {@code ssl} module reports.
 */
final class TlsSessions {
    private static final String HTTP_1_1 = "http/1.1";

    private TlsSessions() {}

    record Prepared(TlsTrust trust, List<String> alpn) {}

    /**
     * @param guestAnchors the guest's PEM (cadata, load_verify_locations); ignored unless the
     *     policy trusts guest certificates: the host's verification is never weakened by the guest
     */
    static Prepared prepare(NetSession session, String name, List<String> alpn, String guestAnchors)
            throws TlsFailure {
        TlsTrust trust = session.trust();
        if (guestAnchors != null
                && !guestAnchors.isBlank()
                && session.policy().trustsGuestCertificates()) {
            trust = trust.withGuestAnchors(guestAnchors);
        }
        List<String> offered = alpn == null ? List.of() : alpn;
        // A secret may go to this name: nothing but HTTP/1.1, which the rewriter can parse.
        if (!offered.isEmpty()
                && session.secrets()
                        .forConnection(name, !trust.includesGuestAnchors())
                        .secretBound()) {
            offered = offered.contains(HTTP_1_1) ? List.of(HTTP_1_1) : List.of();
        }
        return new Prepared(trust, offered);
    }

    /** The filter of a verified session: trusted unless only a guest anchor verified it. */
    static ConnectionFilter filterFor(NetSession session, TlsSession tls) {
        return session.secrets().forConnection(tls.verifiedName(), !tls.verifiedWithGuestAnchors());
    }

    /** version, cipher, alpn, peercert, peercert_der: what the guest's SSLSocket reports. */
    static ObjectNode facts(TlsSession tls) {
        ObjectNode facts = JsonNodeFactory.instance.objectNode();
        facts.put("version", tls.protocol());
        facts.putArray("cipher").add(tls.cipherSuite()).add(tls.protocol()).add(tls.cipherBits());
        facts.put("alpn", tls.applicationProtocol());
        facts.set("peercert", tls.peerCertDict());
        if (tls.peerChain().isEmpty()) {
            facts.putNull("peercert_der");
        } else {
            try {
                byte[] der = tls.peerChain().get(0).getEncoded();
                facts.put("peercert_der", new String(der, StandardCharsets.ISO_8859_1));
            } catch (CertificateEncodingException e) {
                facts.putNull("peercert_der");
            }
        }
        return facts;
    }
}
