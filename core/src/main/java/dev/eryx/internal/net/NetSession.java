package dev.eryx.internal.net;

import dev.eryx.Effect;
import dev.eryx.NetworkPolicy;
import dev.eryx.internal.ledger.EffectLedger;
import dev.eryx.internal.net.secrets.SecretSet;
import dev.eryx.internal.net.tls.TlsTrust;
import dev.eryx.internal.wasi.GuestSocket;
import dev.eryx.internal.wasi.PollWaiter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The network of one sandbox: its {@link NetworkGate}, its secrets, the guest's open connections
 * (for maxConnections and the ledger), the TLS engines of NET_TLS_OBJECT, the execution's byte
 * budget, and the one NIO {@link Selector} every wait uses, so that a stop ({@link #wakeUp()}) ends
 * any of them at once. It is also the {@link PollWaiter} of the sandbox's WASI.
 *
 * <p>Everything runs on the guest thread except {@link #wakeUp()} and {@link #callbackFinished()},
 * which any thread may call. Without a policy it still serves the notifier (host calls are waited
 * on like sockets); everything else is refused by {@link NetBridge}.
 */
public final class NetSession implements PollWaiter, AutoCloseable {
    /** Bytes a single channel read takes at most. */
    private static final int READ_CHUNK = 64 * 1024;

    private final NetworkPolicy policy;
    private final NetworkGate gate;
    private final SecretSet secrets;
    private final EffectLedger ledger;
    private final BooleanSupplier callbackFinished;
    private final TlsObjects tlsObjects = new TlsObjects();

    /** Opened at the first wait that needs it: a sandbox that never networks holds none. */
    private volatile Selector selector;

    /** Set by a stop, cleared when the next execution begins. */
    private volatile boolean stopping;

    private volatile boolean closed;

    /** Connections holding a place under maxConnections; guest thread. */
    private final Set<Connection> open = new LinkedHashSet<>();

    /** A stop ended a wait of this execution (guest thread). */
    private boolean cancelledAWait;

    private ByteBuffer readBuffer;
    private byte[] tlsBuffer;

    /** The JDK's anchors and the policy's; made at the first TLS use. */
    private TlsTrust trust;

    private long bytesThisExecution;

    /**
     * @param policy what the guest may reach; null: no network (only the notifier works)
     * @param callbackFinished whether a host call of the running execution has finished and not
     *     been POLLed (the notifier's readiness)
     */
    public NetSession(
            NetworkPolicy policy,
            SecretSet secrets,
            EffectLedger ledger,
            BooleanSupplier callbackFinished) {
        this(
                policy,
                policy == null ? null : new NetworkGate(policy),
                secrets,
                ledger,
                callbackFinished);
    }

    /** With the gate given (tests inject a resolver through it); the session closes it. */
    public NetSession(
            NetworkPolicy policy,
            NetworkGate gate,
            SecretSet secrets,
            EffectLedger ledger,
            BooleanSupplier callbackFinished) {
        this.policy = policy;
        this.gate = gate;
        this.secrets = secrets == null ? SecretSet.none() : secrets;
        this.ledger = ledger;
        this.callbackFinished = callbackFinished;
    }

    /** Whether the sandbox has a network policy. */
    public boolean enabled() {
        return policy != null;
    }

    NetworkPolicy policy() {
        return policy;
    }

    NetworkGate gate() {
        return gate;
    }

    SecretSet secrets() {
        return secrets;
    }

    TlsObjects tlsObjects() {
        return tlsObjects;
    }

    BooleanSupplier callbackFinishedCheck() {
        return callbackFinished;
    }

    boolean allowsLocalhost() {
        return policy != null && policy.allowsLocalhost();
    }

    // ================================================================== lifecycle

    /** Guest thread, before an execution runs: a new byte budget, no stop pending. */
    public void beginExecution() {
        stopping = false;
        cancelledAWait = false;
        bytesThisExecution = 0;
        tlsObjects.markBegin();
    }

    /** Guest thread, at the end of an execution: entries for the connections still open. */
    public void endExecution() {
        for (Connection c : new ArrayList<>(open)) {
            c.recordAtExecutionEnd();
        }
    }

    /** Whether a stop ended one of the running execution's waits (it failed with ECANCELED). */
    public boolean cancelledAWait() {
        return cancelledAWait;
    }

    /** After a rollback: the TLS engines made since the execution began go. */
    public void rollBack() {
        tlsObjects.closeSinceBegin();
    }

    /**
     * Pool reset or saveState: forgets the names the guest resolved and frees every TLS engine. The
     * socket descriptors themselves are closed with the WASI that holds them.
     */
    public void reset() {
        tlsObjects.closeAll();
        if (gate != null) {
            gate.forget();
        }
    }

    /** The execution is being stopped: every wait ends now. Any thread. */
    public void wakeUp() {
        stopping = true;
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** A host call finished: a poll waiting on the notifier looks again. Any thread. */
    public void callbackFinished() {
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    @Override
    public void close() {
        closed = true;
        wakeUp();
        for (Connection c : new ArrayList<>(open)) {
            c.close();
        }
        tlsObjects.closeAll();
        Selector s = selector;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
        if (gate != null) {
            gate.close();
        }
    }

    // ================================================================== limits

    void reserve(Connection c) throws NetException {
        if (open.size() >= policy.maxConnections()) {
            throw new NetException(
                    NetException.Kind.LIMIT,
                    "maxConnections reached: "
                            + policy.maxConnections()
                            + " connections are open (NetworkPolicy.maxConnections)");
        }
        open.add(c);
    }

    void release(Connection c) {
        open.remove(c);
    }

    long budgetRoom() {
        return policy.maxBytes() - bytesThisExecution;
    }

    void charge(long n) {
        bytesThisExecution += n;
    }

    NetException overBudget() {
        return new NetException(
                NetException.Kind.LIMIT,
                "maxBytes reached: this execution moved "
                        + bytesThisExecution
                        + " bytes over the network (NetworkPolicy.maxBytes)");
    }

    long readDeadline() {
        return deadline(policy.readTimeout());
    }

    long connectTimeoutNanos() {
        return nanos(policy.connectTimeout());
    }

    static long deadline(Duration timeout) {
        return deadline(nanos(timeout));
    }

    static long deadline(long nanos) {
        long now = System.nanoTime();
        return nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    TlsTrust trust() {
        if (trust == null) {
            trust = TlsTrust.of(policy.trustedCertificates());
        }
        return trust;
    }

    /** Scratch for plaintext and ciphertext moved in and out of TLS sessions. */
    byte[] tlsBuffer() {
        if (tlsBuffer == null) {
            tlsBuffer = new byte[32 * 1024];
        }
        return tlsBuffer;
    }

    ByteBuffer readBuffer() {
        if (readBuffer == null) {
            readBuffer = ByteBuffer.allocate(READ_CHUNK);
        }
        return readBuffer;
    }

    // ================================================================== ledger

    void recordRefused(InetAddress address, int port, String reason) {
        recordRefused(new Destination(null, address, port, null), reason);
    }

    void recordRefused(Destination d, String reason) {
        ledger.connection(
                Connection.target(d),
                d.displayName(),
                d.port(),
                d.address().getHostAddress(),
                false,
                0,
                0,
                Duration.ZERO,
                Effect.Outcome.REJECTED,
                reason);
    }

    void recordConnection(
            Destination d, boolean tls, long sent, long received, long nanos, String error) {
        ledger.connection(
                Connection.target(d),
                d.displayName(),
                d.port(),
                d.address().getHostAddress(),
                tls,
                sent,
                received,
                Duration.ofNanos(Math.max(0, nanos)),
                error == null ? Effect.Outcome.OK : Effect.Outcome.ERROR,
                error);
    }

    // ================================================================== waiting

    private Selector selector() throws NetException {
        Selector s = selector;
        if (s == null) {
            if (closed) {
                throw new NetException(NetException.Kind.CLOSED, "the sandbox is closed");
            }
            try {
                s = Selector.open();
            } catch (IOException e) {
                throw new NetException(NetException.Kind.OTHER, "cannot wait: " + e.getMessage());
            }
            selector = s;
            if (stopping) {
                s.wakeup(); // a stop that came before the selector existed
            }
        }
        return s;
    }

    SelectionKey register(SelectableChannel channel) throws NetException {
        try {
            return channel.register(selector(), 0);
        } catch (IOException e) {
            throw new NetException(NetException.Kind.OTHER, "cannot wait: " + e.getMessage());
        }
    }

    /** After a key was cancelled: lets the selector drop it so its channel can block. */
    void flushCancelledKeys() throws NetException {
        try {
            selector().selectNow();
        } catch (IOException e) {
            throw new NetException(NetException.Kind.OTHER, "cannot wait: " + e.getMessage());
        }
    }

    /**
     * Waits until {@code key}'s channel is ready for one of {@code ops}, until {@code deadline}
     * (System.nanoTime; TIMEOUT after it) or a stop (CANCELLED).
     */
    void await(SelectionKey key, int ops, long deadline) throws NetException {
        Selector s = selector();
        while (true) {
            checkStop();
            long left = deadline == Long.MAX_VALUE ? -1 : deadline - System.nanoTime();
            if (deadline != Long.MAX_VALUE && left <= 0) {
                throw new NetException(NetException.Kind.TIMEOUT, "timed out");
            }
            try {
                key.interestOps(ops);
                s.selectedKeys().clear();
                select(s, left);
                boolean ready = s.selectedKeys().contains(key) && (key.readyOps() & ops) != 0;
                key.interestOps(0);
                if (ready) {
                    return;
                }
            } catch (java.nio.channels.CancelledKeyException e) {
                throw new NetException(NetException.Kind.CLOSED, "the socket was closed");
            } catch (IOException e) {
                throw new NetException(NetException.Kind.OTHER, "wait failed: " + e.getMessage());
            }
        }
    }

    private void checkStop() throws NetException {
        if (stopping || closed || Thread.currentThread().isInterrupted()) {
            cancelledAWait = true;
            throw new NetException(NetException.Kind.CANCELLED, "the execution is being stopped");
        }
    }

    /** One select: {@code nanos} < 0 without limit, 0 just a look. */
    private static void select(Selector s, long nanos) throws IOException {
        if (nanos < 0) {
            s.select();
        } else if (nanos == 0) {
            s.selectNow();
        } else {
            s.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
        }
    }

    @Override
    public int[] poll(GuestSocket[] sockets, int[] interests, long nanos) {
        long deadline =
                nanos < 0
                        ? Long.MAX_VALUE
                        : nanos >= Long.MAX_VALUE - System.nanoTime()
                                ? Long.MAX_VALUE
                                : System.nanoTime() + nanos;
        int n = sockets.length;
        int[] ready = new int[n];
        Selector s;
        try {
            s = selector();
        } catch (NetException e) {
            return interests.clone(); // closed: everything "ready", every call then fails
        }
        while (true) {
            boolean any = false;
            List<SelectionKey> keys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ready[i] = 0;
                GuestSocket socket = sockets[i];
                if (socket instanceof Notifier notifier) {
                    ready[i] = notifier.readable() ? interests[i] & GuestSocket.READABLE : 0;
                } else if (socket instanceof Connection c) {
                    boolean pendingOut = c.flushForPoll();
                    ready[i] = c.readyWithoutChannel() & interests[i];
                    SelectionKey key = c.key();
                    if (ready[i] == 0 && key != null && key.isValid()) {
                        int ops = 0;
                        if ((interests[i] & GuestSocket.READABLE) != 0) {
                            ops |= SelectionKey.OP_READ;
                        }
                        if ((interests[i] & GuestSocket.WRITABLE) != 0 || pendingOut) {
                            ops |= SelectionKey.OP_WRITE;
                        }
                        key.interestOps(key.interestOps() | ops);
                        keys.add(key);
                    }
                } else {
                    ready[i] = interests[i]; // not ours: never waits
                }
                any |= ready[i] != 0;
            }
            long left = deadline == Long.MAX_VALUE ? -1 : deadline - System.nanoTime();
            boolean stop = stopping || closed || Thread.currentThread().isInterrupted();
            try {
                s.selectedKeys().clear();
                select(s, any || stop || (left <= 0 && left != -1) ? 0 : left);
                for (int i = 0; i < n; i++) {
                    if (sockets[i] instanceof Connection c
                            && c.key() != null
                            && c.key().isValid()
                            && s.selectedKeys().contains(c.key())) {
                        int ops = c.key().readyOps();
                        int bits = 0;
                        if ((ops & SelectionKey.OP_READ) != 0) {
                            bits |= GuestSocket.READABLE;
                        }
                        if ((ops & SelectionKey.OP_WRITE) != 0 && !c.hasOutgoing()) {
                            bits |= GuestSocket.WRITABLE;
                        }
                        ready[i] |= bits & interests[i];
                        any |= ready[i] != 0;
                    }
                }
            } catch (IOException e) {
                return interests.clone();
            } finally {
                for (SelectionKey key : keys) {
                    if (key.isValid()) {
                        key.interestOps(0);
                    }
                }
            }
            if (any || stop || stopping || (left != -1 && deadline - System.nanoTime() <= 0)) {
                return ready;
            }
        }
    }
}
