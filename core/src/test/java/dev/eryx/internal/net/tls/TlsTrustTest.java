package dev.eryx.internal.net.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.testing.TestCertificates;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Guest PEM bundles: what is accepted and how bad ones are refused. */
class TlsTrustTest {
    @Test
    void pemBundleWithTextAroundIsParsed() throws Exception {
        TestCertificates.Identity a = TestCertificates.localhost();
        TestCertificates.Identity b = TestCertificates.otherName();
        String bundle = "Subject: a\n" + a.pem() + "\n# b\r\n" + b.pem().replace("\n", "\r\n");
        assertEquals(List.of(a.certificate(), b.certificate()), TlsTrust.parsePem(bundle));
        TlsTrust trust = TlsTrust.of(List.of());
        assertFalse(trust.includesGuestAnchors());
        assertTrue(trust.withGuestAnchors(bundle).includesGuestAnchors());
        assertFalse(trust.includesGuestAnchors(), "immutable");
    }

    @Test
    void garbageIsRefusedClearly() {
        TlsTrust trust = TlsTrust.of(List.of());
        TlsFailure none = assertThrows(TlsFailure.class, () -> trust.withGuestAnchors("garbage"));
        assertEquals("SSLError", none.pythonType());
        assertEquals(
                "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:1000)",
                none.getMessage());

        TlsFailure base64 =
                assertThrows(
                        TlsFailure.class,
                        () ->
                                trust.withGuestAnchors(
                                        "-----BEGIN CERTIFICATE-----\n!!!*\n"
                                                + "-----END CERTIFICATE-----\n"));
        assertEquals(
                "[PEM: BAD_BASE64_DECODE] certificate 1 of the PEM bundle is not valid base64"
                        + " (_ssl.c:1000)",
                base64.getMessage());

        TlsFailure notCert =
                assertThrows(
                        TlsFailure.class,
                        () ->
                                trust.withGuestAnchors(
                                        TestCertificates.localhost().pem()
                                                + "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                + "-----END CERTIFICATE-----\n"));
        assertTrue(
                notCert.getMessage()
                        .startsWith(
                                "[X509: PEM_LIB] certificate 2 of the PEM bundle is not an X.509"
                                        + " certificate"),
                notCert.getMessage());

        TlsFailure unterminated =
                assertThrows(
                        TlsFailure.class,
                        () -> trust.withGuestAnchors("-----BEGIN CERTIFICATE-----\nAAAA\n"));
        assertEquals("PEM", unterminated.library());
        assertThrows(TlsFailure.class, () -> trust.withGuestAnchors(null));
    }

    @Test
    void cipherNamesAsOpenSsl() {
        assertEquals("TLS_AES_256_GCM_SHA384", Ciphers.opensslName("TLS_AES_256_GCM_SHA384"));
        assertEquals(
                "ECDHE-RSA-AES128-GCM-SHA256",
                Ciphers.opensslName("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assertEquals(
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                Ciphers.opensslName("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"));
        assertEquals(
                "ECDHE-RSA-AES256-SHA384",
                Ciphers.opensslName("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));
        assertEquals("AES128-SHA", Ciphers.opensslName("TLS_RSA_WITH_AES_128_CBC_SHA"));
        assertEquals(256, Ciphers.bits("TLS_CHACHA20_POLY1305_SHA256"));
        assertEquals(128, Ciphers.bits("TLS_AES_128_GCM_SHA256"));
    }

    @Test
    void ipLiterals() {
        assertTrue(TlsSession.isIpLiteral("127.0.0.1"));
        assertTrue(TlsSession.isIpLiteral("::1"));
        assertFalse(TlsSession.isIpLiteral("localhost"));
        assertFalse(TlsSession.isIpLiteral("1.2.3.256"));
        assertFalse(TlsSession.isIpLiteral("1.2.3"));
        assertFalse(TlsSession.isIpLiteral("1.2.3.4.example"));
    }
}
