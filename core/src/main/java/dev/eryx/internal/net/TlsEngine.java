package dev.eryx.internal.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.net.secrets.ConnectionFilter;
import dev.eryx.internal.net.tls.TlsFailure;
import dev.eryx.internal.net.tls.TlsSession;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One NET_TLS_OBJECT: a TLS client the guest drives through memory buffers ({@code ssl.SSLObject}
 * over MemoryBIOs, as asyncio's sslproto does). Each NET_TLS_STEP hands in the ciphertext the guest
 * received and takes out what to send. The bytes travel over the guest's own socket, which counts
 * them; the plaintext goes through the secret filter of the verified name. Guest thread only.
 */
final class TlsEngine implements TlsObjects.Engine {
    private final NetSession session;
    private final TlsSession tls;

    /** Before the handshake: a placeholder-refusing filter (nothing may leave unverified). */
    private ConnectionFilter filter;

    /** Plaintext read from TLS and through the filter, not yet taken by the guest. */
    private final ByteQueue plain = new ByteQueue();

    private boolean eof;
    private boolean factsSent;

    TlsEngine(NetSession session, String name, List<String> alpn, String guestAnchors)
            throws TlsFailure {
        this.session = session;
        TlsSessions.Prepared prepared = TlsSessions.prepare(session, name, alpn, guestAnchors);
        this.tls = TlsSession.client(prepared.trust(), name, 443, prepared.alpn());
    }

    /**
     * One step: {@code op} is handshake, read, write or shutdown; {@code incoming} the ciphertext
     * the guest received since the last step, {@code incomingEof} whether its BIO saw EOF.
     */
    ObjectNode step(String op, byte[] incoming, boolean incomingEof, int n, byte[] data)
            throws TlsFailure, NetException {
        if (incoming.length > 0) {
            tls.receive(incoming, 0, incoming.length);
        }
        if (incomingEof) {
            tls.networkEof();
        }
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        String status = "ok";
        switch (op) {
            case "handshake" -> status = handshake() ? "ok" : "want_read";
            case "read" -> {
                if (!handshake()) {
                    status = "want_read";
                } else {
                    fill();
                    byte[] out = new byte[Math.max(0, Math.min(n, plain.size()))];
                    plain.take(out, 0, out.length, true);
                    answer.put("data", new String(out, StandardCharsets.ISO_8859_1));
                    if (out.length == 0 && n > 0) {
                        status = eof ? "eof" : "want_read";
                    }
                }
            }
            case "write" -> {
                if (!handshake()) {
                    status = "want_read";
                    answer.put("written", 0);
                } else {
                    byte[] out = filter.outbound(data, 0, data.length);
                    tls.write(out, 0, out.length);
                    answer.put("written", data.length);
                }
            }
            case "shutdown" -> {
                tls.closeOutbound();
                answer.put("done", true);
            }
            default ->
                    throw new NetException(
                            NetException.Kind.OTHER, "unknown TLS step '" + op + "'");
        }
        answer.put("outgoing", new String(takeOutgoing(), StandardCharsets.ISO_8859_1));
        answer.put("status", status);
        if (!op.equals("shutdown")) {
            answer.put("done", tls.handshakeDone());
        }
        if (tls.handshakeDone() && !factsSent) {
            answer.setAll(TlsSessions.facts(tls));
            factsSent = true;
        }
        return answer;
    }

    private boolean handshake() throws TlsFailure {
        boolean done = tls.handshake();
        if (done && filter == null) {
            filter = TlsSessions.filterFor(session, tls);
        }
        return done;
    }

    private void fill() throws TlsFailure {
        byte[] buffer = session.tlsBuffer();
        while (!eof) {
            int got = tls.read(buffer, 0, buffer.length);
            if (got > 0) {
                byte[] through = filter.inbound(buffer, 0, got);
                plain.add(through, 0, through.length);
            } else {
                if (got < 0) {
                    eof = true;
                    byte[] rest = filter.inboundEnd();
                    plain.add(rest, 0, rest.length);
                }
                return;
            }
        }
    }

    private byte[] takeOutgoing() {
        ByteQueue out = new ByteQueue();
        byte[] chunk = session.tlsBuffer();
        while (tls.hasOutgoing()) {
            int n = tls.takeOutgoing(chunk, 0, chunk.length);
            out.add(chunk, 0, n);
        }
        byte[] bytes = new byte[out.size()];
        out.take(bytes, 0, bytes.length, true);
        return bytes;
    }

    @Override
    public void close() {
        plain.clear();
    }
}
