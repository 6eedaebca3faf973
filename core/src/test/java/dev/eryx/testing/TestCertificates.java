package dev.eryx.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Certificates for loopback TLS tests, made by the running JDK's {@code keytool} in a subprocess
 * (the JDK has no public API that issues certificates) and cached for the life of the JVM in a
 * temporary directory. Each identity is made on first use only: a {@code keytool} run costs about a
 * JVM start (see docs/network.md, "TLS", for measured figures), and most tests need one identity.
 *
 * <p>Every key is EC P-256 (fast to generate). Every server certificate names {@code localhost} and
 * {@code 127.0.0.1} in its subjectAltName, except {@link #otherName()}.
 *
 * <pre>{@code
 * TestCertificates.Identity id = TestCertificates.localhost();
 * try (LoopbackServers server = LoopbackServers.https(id)) {
 *     NetworkPolicy policy =
 *             NetworkPolicy.builder().allowLocalhost().trustCertificates(id.certificate()).build();
 *     // ... connect to server.port() on 127.0.0.1
 * }
 * }</pre>
 */
public final class TestCertificates {
    private static final char[] PASSWORD = "eryx-test".toCharArray();
    private static final String SAN = "SAN=dns:localhost,ip:127.0.0.1";

    /** Authority information access: an OCSP responder and a CA issuer URI. */
    private static final String AIA =
            "AIA=ocsp:uri:http://ocsp.invalid/,caIssuers:uri:http://ca.invalid/ca.crt";

    /**
     * CRL distribution points (keytool has no name for it: 2.5.29.31 as DER hex), one full name,
     * the URI http://crl.invalid/ca.crl.
     */
    private static final String CRL_DP =
            "2.5.29.31=3021301fa01da01b8619687474703a2f2f63726c2e696e76616c69642f63612e63726c";

    private TestCertificates() {}

    /**
     * A server identity: the context a server answers with, and the certificate a client must trust
     * to accept it.
     *
     * @param serverContext an {@code SSLContext} holding the server's key and chain, for {@code
     *     HttpsServer} or {@code SSLServerSocket}
     * @param certificate the anchor to trust: the server's own certificate when self-signed, the
     *     issuing CA's for {@link #caSigned()}
     * @param serverChain the chain the server presents, leaf first
     * @param generationMillis how long {@code keytool} took to make this identity
     */
    public record Identity(
            SSLContext serverContext,
            X509Certificate certificate,
            List<X509Certificate> serverChain,
            long generationMillis) {
        public Identity {
            serverChain = List.copyOf(serverChain);
        }

        /** The server's own (leaf) certificate. */
        public X509Certificate serverCertificate() {
            return serverChain.get(0);
        }

        /** {@link #certificate()} as a PEM block, as a guest's {@code cadata} would give it. */
        public String pem() {
            return TestCertificates.pem(certificate);
        }
    }

    /**
     * Self-signed, {@code CN=localhost}, valid for ten years from today; it also names an OCSP
     * responder, a CA issuer and a CRL distribution point ({@code .invalid} URIs).
     */
    public static Identity localhost() {
        return Localhost.ID;
    }

    /** Self-signed, {@code CN=localhost}; its one day of validity ended 30 days ago. */
    public static Identity expired() {
        return Expired.ID;
    }

    /**
     * Self-signed for {@code other.invalid} only (no localhost, no IP address): a name mismatch for
     * a client connecting to {@code localhost} or {@code 127.0.0.1}.
     */
    public static Identity otherName() {
        return OtherName.ID;
    }

    /**
     * A localhost certificate issued by a test CA ({@code CN=eryx test CA}); the server presents
     * the leaf alone, as most servers do, and {@link Identity#certificate()} is the CA's.
     */
    public static Identity caSigned() {
        return CaSigned.ID;
    }

    /** One certificate as a PEM block. */
    public static String pem(X509Certificate certificate) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'})
                            .encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // One holder per identity: the JVM initializes each once, on first use, thread-safely.
    private static final class Localhost {
        static final Identity ID =
                selfSigned(
                        "localhost",
                        "CN=localhost, O=eryx tests",
                        List.of(SAN, AIA, CRL_DP),
                        null,
                        "3650");
    }

    private static final class Expired {
        static final Identity ID =
                selfSigned("expired", "CN=localhost, O=eryx tests", List.of(SAN), "-30d", "1");
    }

    private static final class OtherName {
        static final Identity ID =
                selfSigned(
                        "other",
                        "CN=other.invalid, O=eryx tests",
                        List.of("SAN=dns:other.invalid"),
                        null,
                        "3650");
    }

    private static final class CaSigned {
        static final Identity ID = issued();
    }

    private static final class Directory {
        static final Path DIR = create();

        private static Path create() {
            try {
                Path dir = Files.createTempDirectory("eryx-test-certs");
                Runtime.getRuntime()
                        .addShutdownHook(
                                new Thread(
                                        () -> {
                                            try {
                                                TestCache.deleteTree(dir);
                                            } catch (IOException ignored) {
                                                // A temp directory left behind is harmless.
                                            }
                                        }));
                return dir;
            } catch (IOException e) {
                throw new IllegalStateException("cannot create a temporary directory", e);
            }
        }
    }

    private static Identity selfSigned(
            String name,
            String dname,
            List<String> extensions,
            String startDate,
            String validityDays) {
        long start = System.nanoTime();
        Path store = Directory.DIR.resolve(name + ".p12");
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "-genkeypair",
                                "-alias",
                                name,
                                "-keyalg",
                                "EC",
                                "-groupname",
                                "secp256r1",
                                "-dname",
                                dname,
                                "-validity",
                                validityDays));
        for (String ext : extensions) {
            args.add("-ext");
            args.add(ext);
        }
        if (startDate != null) {
            args.add("-startdate");
            args.add(startDate);
        }
        keytool(store, args);
        KeyStore ks = load(store);
        try {
            X509Certificate cert = (X509Certificate) ks.getCertificate(name);
            PrivateKey key = (PrivateKey) ks.getKey(name, PASSWORD);
            return identity(key, List.of(cert), cert, start);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Identity issued() {
        long start = System.nanoTime();
        Path caStore = Directory.DIR.resolve("ca.p12");
        // The two key pairs are independent: made at the same time.
        Running caPair =
                start(
                        caStore,
                        List.of(
                                "-genkeypair",
                                "-alias",
                                "ca",
                                "-keyalg",
                                "EC",
                                "-groupname",
                                "secp256r1",
                                "-dname",
                                "CN=eryx test CA, O=eryx tests",
                                "-ext",
                                "bc:c=ca:true",
                                "-ext",
                                "ku:c=keyCertSign,cRLSign",
                                "-validity",
                                "3650"));
        Path leafStore = Directory.DIR.resolve("leaf.p12");
        Running leafPair =
                start(
                        leafStore,
                        List.of(
                                "-genkeypair",
                                "-alias",
                                "leaf",
                                "-keyalg",
                                "EC",
                                "-groupname",
                                "secp256r1",
                                "-dname",
                                "CN=localhost, O=eryx tests",
                                "-validity",
                                "3650"));
        finish(caPair);
        finish(leafPair);
        Path request = Directory.DIR.resolve("leaf.csr");
        Path issued = Directory.DIR.resolve("leaf.crt");
        keytool(leafStore, List.of("-certreq", "-alias", "leaf", "-file", request.toString()));
        keytool(
                caStore,
                List.of(
                        "-gencert",
                        "-alias",
                        "ca",
                        "-infile",
                        request.toString(),
                        "-outfile",
                        issued.toString(),
                        "-ext",
                        SAN,
                        "-ext",
                        "eku=serverAuth",
                        "-validity",
                        "3650",
                        "-rfc"));
        try (InputStream in = Files.newInputStream(issued)) {
            X509Certificate leaf =
                    (X509Certificate)
                            CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore leafKeys = load(leafStore);
            PrivateKey key = (PrivateKey) leafKeys.getKey("leaf", PASSWORD);
            X509Certificate ca = (X509Certificate) load(caStore).getCertificate("ca");
            return identity(key, List.of(leaf), ca, start);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Identity identity(
            PrivateKey key, List<X509Certificate> chain, X509Certificate anchor, long start) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, PASSWORD, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            return new Identity(ctx, anchor, chain, millis);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore load(Path store) {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD);
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + store, e);
        }
    }

    private static void keytool(Path store, List<String> args) {
        finish(start(store, args));
    }

    /** A keytool run under way. */
    private record Running(Process process, List<String> command, Path log) {}

    private static Running start(Path store, List<String> args) {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        // A short-lived JVM: C1 only and the serial collector halve its CPU time.
        command.add("-J-XX:TieredStopAtLevel=1");
        command.add("-J-XX:+UseSerialGC");
        command.addAll(args);
        command.addAll(
                List.of(
                        "-keystore",
                        store.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        new String(PASSWORD),
                        "-keypass",
                        new String(PASSWORD),
                        "-noprompt"));
        try {
            Path log = Files.createTempFile(Directory.DIR, "keytool", ".log");
            Process p =
                    new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            p.getOutputStream().close();
            return new Running(p, command, log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + keytool, e);
        }
    }

    private static void finish(Running run) {
        try {
            Process p = run.process();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        "keytool failed: "
                                + run.command()
                                + "\n"
                                + Files.readString(run.log(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read keytool's output", e);
        } catch (InterruptedException e) {
            run.process().destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }
}
