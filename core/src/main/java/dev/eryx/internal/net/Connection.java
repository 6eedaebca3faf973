package dev.eryx.internal.net;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.net.secrets.ConnectionFilter;
import dev.eryx.internal.net.tls.TlsFailure;
import dev.eryx.internal.net.tls.TlsSession;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.wasi.GuestSocket;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * One guest socket: a non-blocking {@link SocketChannel} to the address the gate checked, the
 * connection's secret filter, and the bytes on their way in each direction. Every wait goes through
 * the session's selector, so a stop ends it at once. Guest thread only.
 *
 * <p>Sends are taken whole: the bytes go into {@link #outgoing} and are pushed out as the channel
 * takes them (by this send when blocking, else by later sends, receives and polls), so a secret
 * filter that changes their length never shows the guest a partial count it did not write.
 */
final class Connection implements GuestSocket {
    private enum State {
        NEW,
        CONNECTED,
        FAILED
    }

    private final NetSession session;

    private State state = State.NEW;
    private boolean closed;
    private SocketChannel channel;
    private SelectionKey key;
    private Destination destination;
    private ConnectionFilter filter;

    /** Non-null once NET_TLS_WRAP made this a TLS connection: recv/send carry plaintext. */
    private TlsSession tls;

    /** Plaintext for the guest. */
    private final ByteQueue incoming = new ByteQueue();

    /** Bytes for the network, in the order the guest sent them. */
    private final ByteQueue outgoing = new ByteQueue();

    private boolean eof;
    private boolean inputShut;
    private boolean outputShut;

    /** Bytes each way since the last ledger entry of this connection. */
    private long sent;

    private long received;

    private long openedNanos;
    private boolean recorded;

    Connection(NetSession session) {
        this.session = session;
    }

    // ================================================================== connect

    /**
     * Connects to {@code address:port} if the gate allows it, waiting at most {@code timeoutNanos}
     * (and the policy's connectTimeout). Every attempt ends up in the ledger.
     */
    void connect(InetAddress address, int port, long timeoutNanos) throws NetException {
        requireOpen();
        if (state == State.CONNECTED) {
            throw new NetException(NetException.Kind.OTHER, "the socket is already connected");
        }
        if (state == State.FAILED) {
            throw new NetException(
                    NetException.Kind.OTHER, "a failed connect leaves the socket unusable");
        }
        long started = System.nanoTime();
        Destination checked;
        try {
            checked = session.gate().checkConnect(address, port);
        } catch (NetException e) {
            session.recordRefused(address, port, e.getMessage());
            state = State.FAILED;
            throw e;
        }
        try {
            session.reserve(this);
        } catch (NetException e) {
            session.recordRefused(checked, e.getMessage());
            state = State.FAILED;
            throw e;
        }
        this.destination = checked;
        openedNanos = started;
        long deadline = started + Math.min(timeoutNanos, session.connectTimeoutNanos());
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            InetSocketAddress target =
                    checked.proxy() != null
                            ? checked.proxy()
                            : new InetSocketAddress(checked.address(), checked.port());
            key = session.register(channel);
            boolean done = channel.connect(target);
            while (!done) {
                session.await(key, SelectionKey.OP_CONNECT, deadline);
                done = channel.finishConnect();
            }
            if (checked.proxy() != null) {
                tunnel(checked, deadline);
            }
            filter = session.secrets().forConnection(secretHost(checked), plainTrusted());
            state = State.CONNECTED;
        } catch (NetException e) {
            fail(e);
            throw e;
        } catch (IOException e) {
            NetException failure = failure(e, "connect to " + target(checked));
            fail(failure);
            throw failure;
        }
    }

    /** Through the proxy: CONNECT host:port on the channel, blocking (bounded by the deadline). */
    private void tunnel(Destination checked, long deadline) throws IOException, NetException {
        key.cancel();
        session.flushCancelledKeys();
        channel.configureBlocking(true);
        long left = Math.max(1, deadline - System.nanoTime());
        ProxyTunnel.establish(
                channel,
                checked.hostName() != null
                        ? checked.hostName()
                        : checked.address().getHostAddress(),
                checked.port(),
                java.time.Duration.ofNanos(left));
        channel.configureBlocking(false);
        key = session.register(channel);
    }

    /** Plain HTTP may carry a secret only to loopback under allowLocalhost (the tests' case). */
    /**
     * The name secrets are matched against: the name the address was given out for, except on a
     * plain loopback connection whose address literal a secret is bound to (the guest may have
     * resolved "localhost" before it connected to 127.0.0.1).
     */
    private String secretHost(Destination checked) {
        if (checked.hostName() != null && plainTrusted()) {
            String literal = IpLiteral.format(checked.address());
            if (session.secrets().bindsHost(literal)) {
                return literal;
            }
        }
        return checked.displayName();
    }

    private boolean plainTrusted() {
        return destination.proxy() == null
                && destination.address().isLoopbackAddress()
                && session.allowsLocalhost();
    }

    private void fail(NetException e) {
        state = State.FAILED;
        session.release(this);
        closeChannel();
        session.recordConnection(
                destination,
                false,
                sent,
                received,
                System.nanoTime() - openedNanos,
                e.getMessage());
        recorded = true;
        sent = 0;
        received = 0;
    }

    static String target(Destination d) {
        String host = d.displayName();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + d.port();
    }

    /** The guest's peer address: the address checked (not the proxy). */
    InetSocketAddress peer() {
        return new InetSocketAddress(destination.address(), destination.port());
    }

    InetSocketAddress local() throws NetException {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw failure(e, "getsockname");
        }
    }

    boolean connected() {
        return state == State.CONNECTED && !closed;
    }

    // ================================================================== TLS

    /**
     * Makes this a TLS connection (NET_TLS_WRAP): the handshake runs here, waiting at most {@code
     * timeoutNanos} and the policy's read timeout for each step; afterwards recv and send carry
     * plaintext. Verification is always on; the name verified is {@code serverName}, else the name
     * the guest resolved, else the address.
     *
     * @param guestAnchors PEM the guest gave; used only if the policy trusts guest certificates
     * @return the session's facts for the guest (version, cipher, ALPN, peer certificate)
     */
    ObjectNode startTls(
            String serverName, List<String> alpn, String guestAnchors, long timeoutNanos)
            throws NetException, TlsFailure {
        requireConnected();
        if (tls != null) {
            throw new NetException(NetException.Kind.OTHER, "the socket already carries TLS");
        }
        flushAll(session.readDeadline());
        String name = serverName != null ? serverName : destination.displayName();
        TlsSessions.Prepared prepared = TlsSessions.prepare(session, name, alpn, guestAnchors);
        tls = TlsSession.client(prepared.trust(), name, destination.port(), prepared.alpn());
        long deadline = Math.min(session.readDeadline(), NetSession.deadline(timeoutNanos));
        while (!tls.handshake()) {
            pumpTlsOut();
            flushAll(deadline);
            if (!fillTls()) {
                session.await(key, SelectionKey.OP_READ, deadline);
            }
        }
        pumpTlsOut();
        flushAll(deadline);
        filter = TlsSessions.filterFor(session, tls);
        return TlsSessions.facts(tls);
    }

    /** Ciphertext the TLS session produced, on its way out. */
    private void pumpTlsOut() {
        byte[] chunk = session.tlsBuffer();
        while (tls.hasOutgoing()) {
            int n = tls.takeOutgoing(chunk, 0, chunk.length);
            outgoing.add(chunk, 0, n);
        }
    }

    /** During the handshake: ciphertext the channel has now into the TLS session. */
    private boolean fillTls() throws NetException {
        ByteBuffer buffer = session.readBuffer();
        int n = readChannel(buffer);
        if (n < 0) {
            tls.networkEof();
            eof = true;
            return true; // the next handshake() reports the truncation
        }
        if (n > 0) {
            tls.receive(buffer.array(), 0, n);
        }
        return n > 0;
    }

    /** One channel read within the byte budget: the count, 0 for nothing now, -1 at EOF. */
    private int readChannel(ByteBuffer buffer) throws NetException {
        long room = session.budgetRoom();
        if (room <= 0) {
            throw session.overBudget();
        }
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), room));
        int n;
        try {
            n = channel.read(buffer);
        } catch (IOException e) {
            throw failure(e, "recv");
        }
        if (n > 0) {
            session.charge(n);
            received += n;
        }
        return n;
    }

    // ================================================================== GuestSocket

    @Override
    public int recv(byte[] dst, int off, int len, boolean peek, boolean waitAll, boolean nonBlock) {
        try {
            return receive(dst, off, len, peek, waitAll, nonBlock);
        } catch (NetException e) {
            throw errno(e);
        }
    }

    private int receive(
            byte[] dst, int off, int len, boolean peek, boolean waitAll, boolean nonBlock)
            throws NetException {
        requireConnected();
        if (inputShut) {
            return 0;
        }
        long deadline = session.readDeadline();
        int done = 0;
        while (true) {
            flush();
            if (!incoming.isEmpty()) {
                if (peek) {
                    return incoming.take(dst, off, len, false);
                }
                done += incoming.take(dst, off + done, len - done, true);
                if (!waitAll || done == len) {
                    return done;
                }
            }
            if (eof) {
                return done;
            }
            if (fill()) {
                continue;
            }
            if (nonBlock) {
                if (done > 0) {
                    return done;
                }
                throw new ErrnoException(Errno.AGAIN, "would block");
            }
            int ops = SelectionKey.OP_READ | (outgoing.isEmpty() ? 0 : SelectionKey.OP_WRITE);
            try {
                session.await(key, ops, deadline);
            } catch (NetException e) {
                if (done > 0 && e.kind() == NetException.Kind.TIMEOUT) {
                    return done;
                }
                throw e;
            }
        }
    }

    /**
     * Reads what the channel has now into {@link #incoming} (through the filter); false when it had
     * nothing. Counts toward the execution's byte budget, reading no more than it allows.
     */
    private boolean fill() throws NetException {
        if (eof) {
            return false;
        }
        ByteBuffer buffer = session.readBuffer();
        int n = readChannel(buffer);
        if (tls != null) {
            if (n < 0) {
                tls.networkEof();
            } else if (n > 0) {
                tls.receive(buffer.array(), 0, n);
            }
            boolean more = drainTls();
            return more || n != 0;
        }
        if (n < 0) {
            eof = true;
            byte[] rest = filter.inboundEnd();
            incoming.add(rest, 0, rest.length);
            return true;
        }
        if (n == 0) {
            return false;
        }
        byte[] plain = filter.inbound(buffer.array(), 0, n);
        incoming.add(plain, 0, plain.length);
        return true;
    }

    /** Plaintext the TLS session can give now, through the filter; true if anything changed. */
    private boolean drainTls() throws NetException {
        byte[] plain = session.tlsBuffer();
        boolean changed = false;
        while (true) {
            int got;
            try {
                got = tls.read(plain, 0, plain.length);
            } catch (TlsFailure e) {
                throw new NetException(NetException.Kind.TLS, e.getMessage());
            }
            pumpTlsOut(); // a key update or alert to answer
            if (got > 0) {
                byte[] through = filter.inbound(plain, 0, got);
                incoming.add(through, 0, through.length);
                changed = true;
            } else {
                if (got < 0) {
                    eof = true;
                    byte[] rest = filter.inboundEnd();
                    incoming.add(rest, 0, rest.length);
                    changed = true;
                }
                return changed;
            }
        }
    }

    @Override
    public int send(byte[] src, int off, int len, boolean nonBlock) {
        try {
            return transmit(src, off, len, nonBlock);
        } catch (NetException e) {
            throw errno(e);
        }
    }

    private int transmit(byte[] src, int off, int len, boolean nonBlock) throws NetException {
        requireConnected();
        if (outputShut) {
            throw new NetException(NetException.Kind.CLOSED, "the socket is shut down for writing");
        }
        long deadline = session.readDeadline();
        flush();
        if (!outgoing.isEmpty()) {
            if (nonBlock) {
                throw new ErrnoException(Errno.AGAIN, "would block");
            }
            flushAll(deadline);
        }
        byte[] out = filter.outbound(src, off, len); // refuses before anything is queued
        if (tls != null) {
            try {
                tls.write(out, 0, out.length);
            } catch (TlsFailure e) {
                throw new NetException(NetException.Kind.TLS, e.getMessage());
            }
            pumpTlsOut();
        } else {
            outgoing.add(out, 0, out.length);
        }
        if (nonBlock) {
            flush();
        } else {
            flushAll(deadline);
        }
        return len;
    }

    /** Writes what the channel takes now. */
    private void flush() throws NetException {
        while (!outgoing.isEmpty()) {
            long room = session.budgetRoom();
            if (room <= 0) {
                throw session.overBudget();
            }
            int length = (int) Math.min(outgoing.size(), room);
            int n;
            try {
                n = channel.write(ByteBuffer.wrap(outgoing.array(), outgoing.offset(), length));
            } catch (IOException e) {
                throw failure(e, "send");
            }
            if (n == 0) {
                return;
            }
            outgoing.drop(n);
            session.charge(n);
            sent += n;
        }
    }

    private void flushAll(long deadline) throws NetException {
        flush();
        while (!outgoing.isEmpty()) {
            session.await(key, SelectionKey.OP_WRITE, deadline);
            flush();
        }
    }

    @Override
    public void shutdown(boolean read, boolean write) {
        try {
            requireConnected();
            if (read) {
                inputShut = true;
                incoming.clear();
            }
            if (write && !outputShut) {
                if (tls != null) {
                    tls.closeOutbound();
                    pumpTlsOut();
                }
                flushAll(session.readDeadline());
                outputShut = true;
                channel.shutdownOutput();
            }
        } catch (NetException e) {
            throw errno(e);
        } catch (IOException e) {
            throw errno(failure(e, "shutdown"));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (tls != null && state == State.CONNECTED && !outputShut) {
            // close_notify, if the channel takes it now: a close never waits.
            tls.closeOutbound();
            pumpTlsOut();
            try {
                flush();
            } catch (NetException e) {
                // the peer learns of the close from TCP then
            }
        }
        if (state == State.CONNECTED) {
            session.release(this);
            recordNow();
        }
        closeChannel();
        incoming.clear();
        outgoing.clear();
    }

    /**
     * The execution ends with this connection open: its entry so far (bytes since the last one),
     * once per execution at most.
     */
    void recordAtExecutionEnd() {
        if (state == State.CONNECTED && !closed && (!recorded || sent + received > 0)) {
            recordNow();
        }
    }

    private void recordNow() {
        session.recordConnection(
                destination, tls != null, sent, received, System.nanoTime() - openedNanos, null);
        recorded = true;
        sent = 0;
        received = 0;
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close(); // also cancels the key
            } catch (IOException e) {
                // closing a socket does not fail in a way the guest could act on
            }
        }
    }

    // ================================================================== readiness

    SelectionKey key() {
        return key;
    }

    /** What is ready without asking the channel (bits of GuestSocket). */
    int readyWithoutChannel() {
        if (state != State.CONNECTED || closed) {
            return READABLE | WRITABLE; // a recv/send reports the problem at once
        }
        int ready = 0;
        if (!incoming.isEmpty() || eof || inputShut) {
            ready |= READABLE;
        }
        if (outputShut) {
            ready |= WRITABLE;
        }
        return ready;
    }

    /** Before a poll: pushes out queued bytes; true when some remain (then wait for OP_WRITE). */
    boolean flushForPoll() {
        if (state != State.CONNECTED || closed || outgoing.isEmpty()) {
            return false;
        }
        try {
            flush();
        } catch (NetException e) {
            return false; // the next send or recv reports it
        }
        return !outgoing.isEmpty();
    }

    boolean hasOutgoing() {
        return !outgoing.isEmpty();
    }

    // ================================================================== errors

    private void requireOpen() throws NetException {
        if (closed) {
            throw new NetException(NetException.Kind.CLOSED, "the socket is closed");
        }
    }

    private void requireConnected() throws NetException {
        requireOpen();
        if (state != State.CONNECTED) {
            throw new ErrnoException(Errno.NOTCONN, "not connected");
        }
    }

    static NetException failure(IOException e, String what) {
        if (e instanceof ClosedByInterruptException) {
            return new NetException(NetException.Kind.CANCELLED, "the execution was stopped");
        }
        if (e instanceof ConnectException) {
            return new NetException(NetException.Kind.REFUSED, what + ": connection refused");
        }
        if (e instanceof NoRouteToHostException) {
            return new NetException(NetException.Kind.UNREACHABLE, what + ": no route to host");
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("reset")) {
            return new NetException(NetException.Kind.RESET, what + ": connection reset by peer");
        }
        if (message.contains("Broken pipe")) {
            return new NetException(NetException.Kind.CLOSED, what + ": broken pipe");
        }
        return new NetException(NetException.Kind.OTHER, what + ": " + message);
    }

    /** The errno a WASI call returns for {@code e}. */
    static ErrnoException errno(NetException e) {
        Errno errno =
                switch (e.kind()) {
                    case TIMEOUT -> Errno.TIMEDOUT;
                    case REFUSED -> Errno.CONNREFUSED;
                    case RESET -> Errno.CONNRESET;
                    case UNREACHABLE -> Errno.HOSTUNREACH;
                    case LIMIT -> Errno.DQUOT;
                    case DENIED, SECRET -> Errno.PERM;
                    case CLOSED -> Errno.PIPE;
                    case CANCELLED -> Errno.CANCELED;
                    case NOT_SUPPORTED -> Errno.NOTSUP;
                    default -> Errno.IO;
                };
        return new ErrnoException(errno, e.getMessage());
    }
}
