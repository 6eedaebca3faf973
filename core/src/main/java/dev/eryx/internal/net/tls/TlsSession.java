package dev.eryx.internal.net.tls;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * One client TLS connection as a byte pump over an {@link SSLEngine}: the caller moves ciphertext
 * between the network and {@link #receive}/{@link #takeOutgoing}, and plaintext through {@link
 * #read}/{@link #write}. The certificate is always verified, with the host name ({@code HTTPS}
 * endpoint identification), against a {@link TlsTrust}; there is no way to turn that off. TLS 1.2
 * and 1.3 only. Delegated tasks run inline, on the caller's thread. Not thread-safe.
 *
 * <p>Buffers grow with what the caller gives and does not drain: {@link #write} wraps everything it
 * is given into the outgoing buffer, so the caller should send it before writing more.
 */
public final class TlsSession {
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final TlsTrust trust;
    private final SSLEngine engine;
    private final String serverName;

    /** Ciphertext received and not yet unwrapped (write mode). */
    private ByteBuffer netIn;

    /** Ciphertext to send (write mode). */
    private ByteBuffer netOut;

    /** Plaintext unwrapped and not yet read (write mode). */
    private ByteBuffer appIn;

    private boolean begun;
    private boolean done;
    private boolean eof;
    private boolean inboundClosed;
    private boolean closeNotifyReceived;
    private boolean raggedEof;
    private TlsFailure failure;
    private Boolean guestOnly;

    private TlsSession(TlsTrust trust, SSLEngine engine, String serverName) {
        this.trust = trust;
        this.engine = engine;
        this.serverName = serverName;
        SSLSession s = engine.getSession();
        this.netIn = ByteBuffer.allocate(s.getPacketBufferSize());
        this.netOut = ByteBuffer.allocate(s.getPacketBufferSize());
        this.appIn = ByteBuffer.allocate(s.getApplicationBufferSize());
    }

    /**
     * A client connection to {@code serverName}: the name sent as SNI (not for an IP literal) and
     * the name the certificate must be valid for.
     *
     * @param serverName a host name or IP literal (IPv6 without brackets)
     * @param port the server's port (sessions resume per name and port)
     * @param alpn protocols to offer, in order of preference; empty offers none
     */
    public static TlsSession client(
            TlsTrust trust, String serverName, int port, List<String> alpn) {
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(alpn, "alpn");
        if (serverName == null || serverName.isBlank()) {
            throw new IllegalArgumentException("a TLS connection needs a server name to verify");
        }
        String name = serverName.strip();
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        if (name.endsWith(".") && name.length() > 1) {
            name = name.substring(0, name.length() - 1); // the certificate never has the dot
        }
        for (String p : alpn) {
            if (p == null || p.isEmpty() || p.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new IllegalArgumentException("invalid ALPN protocol: " + p);
            }
        }
        SSLEngine engine = trust.context().createSSLEngine(name, port);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        List<String> supported = Arrays.asList(engine.getSupportedProtocols());
        params.setProtocols(PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new));
        if (!isIpLiteral(name)) {
            try {
                params.setServerNames(List.of(new SNIHostName(name)));
            } catch (IllegalArgumentException e) {
                // Not a name SNI can carry (e.g. an underscore): send none; the check still runs
                // against the name.
                params.setServerNames(List.of());
            }
        }
        params.setApplicationProtocols(alpn.toArray(String[]::new));
        engine.setSSLParameters(params);
        return new TlsSession(trust, engine, name);
    }

    /** Ciphertext from the network. */
    public void receive(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        netIn = ensure(netIn, len);
        netIn.put(b, off, len);
    }

    public boolean hasOutgoing() {
        return netOut.position() > 0;
    }

    /** Moves up to {@code len} bytes of ciphertext to send into {@code dst}; returns how many. */
    public int takeOutgoing(byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        netOut.flip();
        int n = Math.min(len, netOut.remaining());
        netOut.get(dst, off, n);
        netOut.compact();
        return n;
    }

    /**
     * Advances the handshake with what was received; true once it is done. False: send what is
     * outgoing, receive more, call again.
     *
     * @throws TlsFailure the handshake failed (the alert to the server, if any, is outgoing); every
     *     later call throws it again
     */
    public boolean handshake() throws TlsFailure {
        if (failure != null) {
            throw failure;
        }
        if (done) {
            return true;
        }
        try {
            if (!begun) {
                begun = true;
                engine.beginHandshake();
            }
            while (!done) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_TASK -> runTasks();
                    case NEED_WRAP -> wrap(EMPTY);
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        if (!unwrap() && needsUnwrap()) {
                            if (eof || inboundClosed) {
                                throw TlsFailure.unexpectedEof();
                            }
                            return false;
                        }
                    }
                    case FINISHED, NOT_HANDSHAKING -> {
                        if (engine.isInboundDone() || engine.isOutboundDone()) {
                            // Closed mid-handshake: never "done" without a verified peer.
                            throw TlsFailure.unexpectedEof();
                        }
                        done = true;
                    }
                }
            }
            finishHandshake();
            return true;
        } catch (SSLException e) {
            throw fail(Failures.of(e));
        } catch (RuntimeException e) {
            // Whatever the peer sent must end this connection only, not the caller.
            throw fail(Failures.internal(e));
        } catch (TlsFailure e) {
            throw fail(e);
        }
    }

    /**
     * Plaintext into {@code dst}: the count (> 0), 0 when more network input is needed (or {@code
     * len} is 0), -1 at the end: a close_notify, or a TCP EOF without one ({@link #raggedEof()}).
     * Runs the handshake first if it is not done.
     */
    public int read(byte[] dst, int off, int len) throws TlsFailure {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (failure != null) {
            throw failure;
        }
        if (!done && !handshake()) {
            return 0;
        }
        if (len == 0) {
            return 0;
        }
        try {
            while (true) {
                if (appIn.position() > 0) {
                    appIn.flip();
                    int n = Math.min(len, appIn.remaining());
                    appIn.get(dst, off, n);
                    appIn.compact();
                    return n;
                }
                if (inboundClosed) {
                    return -1;
                }
                boolean progress = unwrap();
                // A post-handshake message (key update) may need an answer.
                while (true) {
                    SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
                    if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        runTasks();
                    } else if (hs == SSLEngineResult.HandshakeStatus.NEED_WRAP
                            && !engine.isOutboundDone()) {
                        if (wrap(EMPTY).bytesProduced() == 0) {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                if (!progress && appIn.position() == 0) {
                    if (eof) {
                        // TCP ended without close_notify: a truncation CPython reports as
                        // SSLEOFError unless suppress_ragged_eofs.
                        raggedEof = true;
                        inboundClosed = true;
                        return -1;
                    }
                    return 0;
                }
            }
        } catch (SSLException e) {
            throw fail(Failures.of(e));
        } catch (RuntimeException e) {
            // Whatever the peer sent must end this connection only, not the caller.
            throw fail(Failures.internal(e));
        }
    }

    /** Plaintext to send: all of it is wrapped into the outgoing ciphertext. */
    public void write(byte[] src, int off, int len) throws TlsFailure {
        Objects.checkFromIndexSize(off, len, src.length);
        if (failure != null) {
            throw failure;
        }
        if (!done) {
            throw new IllegalStateException("write before the TLS handshake is done");
        }
        ByteBuffer in = ByteBuffer.wrap(src, off, len);
        try {
            while (in.hasRemaining()) {
                SSLEngineResult r = wrap(in);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    throw TlsFailure.ssl(
                            "SSL", "PROTOCOL_IS_SHUTDOWN", "protocol is shutdown", null);
                }
            }
        } catch (SSLException e) {
            throw fail(Failures.of(e));
        } catch (RuntimeException e) {
            // Whatever the peer sent must end this connection only, not the caller.
            throw fail(Failures.internal(e));
        }
    }

    /** Puts a close_notify into the outgoing ciphertext; later writes fail. */
    public void closeOutbound() {
        engine.closeOutbound();
        try {
            while (!engine.isOutboundDone()) {
                if (wrap(EMPTY).bytesProduced() == 0) {
                    break;
                }
            }
        } catch (SSLException e) {
            // Closing a connection that already failed: nothing more to send.
        }
    }

    /** The server closed TCP: what is buffered can still be read, then {@link #read} gives -1. */
    public void networkEof() {
        eof = true;
    }

    public boolean handshakeDone() {
        return done;
    }

    /** True once the server's close_notify has been read. */
    public boolean closeNotifyReceived() {
        return closeNotifyReceived;
    }

    /**
     * True when {@link #read} returned -1 because TCP ended without a close_notify. CPython's
     * {@code SSLSocket} reports that as end of file when {@code suppress_ragged_eofs} (the default)
     * and otherwise raises {@code ssl.SSLEOFError} with {@link TlsFailure#unexpectedEofMessage()};
     * an {@code SSLObject} always raises it.
     */
    public boolean raggedEof() {
        return raggedEof;
    }

    /** "TLSv1.3" or "TLSv1.2" (CPython's {@code version()}); null before the handshake. */
    public String protocol() {
        return done ? engine.getSession().getProtocol() : null;
    }

    /** The cipher suite as OpenSSL (and so CPython's {@code cipher()}) names it. */
    public String cipherSuite() {
        return done ? Ciphers.opensslName(engine.getSession().getCipherSuite()) : null;
    }

    /** The secret bits of the cipher, as CPython's {@code cipher()[2]}. */
    public int cipherBits() {
        return done ? Ciphers.bits(engine.getSession().getCipherSuite()) : 0;
    }

    /** The protocol the server chose by ALPN; null when none. */
    public String applicationProtocol() {
        String p = done ? engine.getApplicationProtocol() : null;
        return p == null || p.isEmpty() ? null : p;
    }

    /** The name the certificate was verified for (the server name without brackets or dot). */
    public String verifiedName() {
        return serverName;
    }

    /**
     * True when the certificate verified only thanks to an anchor the guest supplied (not the JDK's
     * or the policy's): such a connection must not be trusted with a secret.
     */
    public boolean verifiedWithGuestAnchors() {
        return done && Boolean.TRUE.equals(guestOnly);
    }

    /** The server's chain as it sent it, leaf first; empty before the handshake. */
    public List<X509Certificate> peerChain() {
        if (!done) {
            return List.of();
        }
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : engine.getSession().getPeerCertificates()) {
                out.add((X509Certificate) c);
            }
            return List.copyOf(out);
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    /**
     * The server's certificate as CPython's {@code getpeercert()} dict, tuples as arrays; an empty
     * object before the handshake.
     */
    public ObjectNode peerCertDict() {
        List<X509Certificate> chain = peerChain();
        return chain.isEmpty() ? PeerCertDict.empty() : PeerCertDict.of(chain.get(0));
    }

    /** True for an IPv4 dotted quad or an IPv6 literal (no DNS lookup). */
    static boolean isIpLiteral(String host) {
        if (host == null) {
            return false;
        }
        if (host.indexOf(':') >= 0) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return false;
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private boolean needsUnwrap() {
        SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
        return hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP
                || hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP_AGAIN;
    }

    private void finishHandshake() throws TlsFailure {
        X509Certificate[] chain = peerChain().toArray(X509Certificate[]::new);
        if (chain.length == 0) {
            // The trust manager saw and accepted a chain, or there is no handshake to speak of.
            done = false;
            throw TlsFailure.ssl("SSL", null, "the server's certificate was not verified", null);
        }
        guestOnly =
                trust.includesGuestAnchors()
                        && !trust.trustedWithoutGuestAnchors(
                                chain, authType(engine.getSession().getCipherSuite()));
    }

    /** The key exchange name the JDK passes as authType ("UNKNOWN" in TLS 1.3). */
    private static String authType(String suite) {
        int with = suite.indexOf("_WITH_");
        return suite.startsWith("TLS_") && with > 4
                ? suite.substring(4, with).toUpperCase(Locale.ROOT)
                : "UNKNOWN";
    }

    private TlsFailure fail(TlsFailure f) {
        failure = f;
        // The engine queued an alert for the server: put it in the outgoing bytes.
        try {
            for (int i = 0; i < 4 && !engine.isOutboundDone(); i++) {
                if (wrap(EMPTY).bytesProduced() == 0) {
                    break;
                }
            }
        } catch (SSLException | RuntimeException ignored) {
            // The failure is what matters.
        }
        return f;
    }

    private void runTasks() {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
            task.run();
        }
    }

    private SSLEngineResult wrap(ByteBuffer src) throws SSLException {
        while (true) {
            SSLEngineResult r = engine.wrap(src, netOut);
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                netOut = ensure(netOut, engine.getSession().getPacketBufferSize());
                continue;
            }
            noteFinished(r);
            return r;
        }
    }

    /** Unwraps what can be; false when nothing could be (more input needed). */
    private boolean unwrap() throws SSLException {
        netIn.flip();
        try {
            boolean progress = false;
            while (true) {
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                noteFinished(r);
                switch (r.getStatus()) {
                    case BUFFER_OVERFLOW ->
                            appIn = ensure(appIn, engine.getSession().getApplicationBufferSize());
                    case BUFFER_UNDERFLOW -> {
                        return progress;
                    }
                    case CLOSED -> {
                        inboundClosed = true;
                        closeNotifyReceived = engine.isInboundDone();
                        return true;
                    }
                    case OK -> {
                        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                            return progress;
                        }
                        progress = true;
                        // One record at a time while handshaking: the status says what is next.
                        if (!done || r.bytesProduced() > 0 || !netIn.hasRemaining()) {
                            return true;
                        }
                    }
                }
            }
        } finally {
            netIn.compact();
        }
    }

    private void noteFinished(SSLEngineResult r) {
        if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
            done = true;
        }
    }

    /** {@code buf} (write mode) with room for {@code more} bytes. */
    private static ByteBuffer ensure(ByteBuffer buf, int more) {
        if (buf.remaining() >= more) {
            return buf;
        }
        int size = Math.max(buf.capacity() * 2, buf.position() + more);
        ByteBuffer bigger = ByteBuffer.allocate(size);
        buf.flip();
        bigger.put(buf);
        return bigger;
    }
}
