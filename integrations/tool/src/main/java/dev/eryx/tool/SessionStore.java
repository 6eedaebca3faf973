package dev.eryx.tool;

import dev.eryx.ExecutionHandle;
import dev.eryx.Sandbox;
import dev.eryx.pool.PoolExhaustedException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The live sessions of a {@link PythonTool}: an LRU of at most {@code maxSessions}, each closed
 * when idle longer than the TTL. A session owns one caller-owned {@link Sandbox}.
 *
 * <p>A caller {@link #checkOut checks a session out} (counting it busy, so it is never evicted or
 * expired under the caller), locks it, uses its sandbox and {@link #checkIn checks it in}. A
 * session removed while busy (reset, replaced, tool closed) is closed by the last caller to check
 * it in. Sandboxes are closed outside the store's lock: closing one may wait for its execution.
 *
 * <p>A caller that runs code in a session tells the store when it owns the session and is {@link
 * #starting} (it holds the session's lock, and may still be building the sandbox), when the
 * execution {@link #started} and when it {@link #finished} (or {@link #abandoned} the run without
 * starting it), so that {@link #cancel} can reach it and {@link #snapshot} can describe it.
 */
final class SessionStore {
    /** One session. Its sandbox is guarded by {@link #lock}; the rest by the store's lock. */
    static final class Session {
        final String id;

        /** Fair: calls to one session run in the order they arrived. */
        final ReentrantLock lock = new ReentrantLock(true);

        /** Null until the first call creates it (outside the store's lock). */
        private volatile Sandbox sandbox;

        /** Creation order, for {@link #snapshot} (wall-clock instants may tie or step back). */
        private final long sequence;

        private final Instant created;
        private long lastUsedNanos;
        private int busy;
        private boolean removed;
        private boolean sandboxClosed;

        // What snapshot() reports.
        private Instant lastCallEnded;
        private long executions;
        private long memoryBytes;

        /** The execution running now, or null; what cancel() stops. */
        private ExecutionHandle running;

        /**
         * A call owns the session (holds its lock) and has not started its execution yet: cancel()
         * then sets {@link #cancelRequested}, which the call checks before it starts.
         */
        private boolean starting;

        /** cancel() came while {@link #starting}: the call must not run its code. */
        private boolean cancelRequested;

        Session(String id, Sandbox sandbox, long now, long sequence, Instant created) {
            this.id = id;
            this.sandbox = sandbox;
            this.lastUsedNanos = now;
            this.sequence = sequence;
            this.created = created;
            this.lastCallEnded = created;
        }

        /** The sandbox, or null before the first call. Call with {@link #lock} held. */
        Sandbox sandbox() {
            return sandbox;
        }
    }

    private final int maxSessions;
    private final long ttlNanos;
    private final LongSupplier clock;
    private final Clock wallClock;

    /** Access order: the eldest entry is the least recently used session. */
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);

    private final Object lock = new Object();
    private boolean closed;
    private long nextSequence;

    SessionStore(int maxSessions, long ttlNanos, LongSupplier clock) {
        this(maxSessions, ttlNanos, clock, Clock.systemUTC());
    }

    /**
     * @param clock the monotonic clock idle times are measured with, in nanoseconds
     * @param wallClock the clock of {@link SessionInfo}'s instants
     */
    SessionStore(int maxSessions, long ttlNanos, LongSupplier clock, Clock wallClock) {
        this.maxSessions = maxSessions;
        this.ttlNanos = ttlNanos;
        this.clock = clock;
        this.wallClock = wallClock;
    }

    /** A new session, not yet in the map. Holding the lock. */
    private Session newSession(String id, Sandbox sandbox, long now) {
        return new Session(id, sandbox, now, nextSequence++, wallClock.instant());
    }

    /**
     * The session of that id, marked busy; created (without a sandbox) when there is none, which
     * may evict the least recently used idle session.
     *
     * @param create false: returns null when there is no such session
     * @throws PoolExhaustedException every one of {@code maxSessions} sessions is busy
     * @throws IllegalStateException the store is closed
     */
    Session checkOut(String id, boolean create) {
        List<Session> toClose = new ArrayList<>();
        try {
            synchronized (lock) {
                ensureOpen();
                long now = clock.getAsLong();
                expire(now, toClose);
                Session session = sessions.get(id);
                if (session == null) {
                    if (!create) {
                        return null;
                    }
                    makeRoom(toClose);
                    session = newSession(id, null, now);
                    sessions.put(id, session);
                }
                session.busy++;
                session.lastUsedNanos = now;
                return session;
            }
        } finally {
            closeAll(toClose);
        }
    }

    /**
     * Gives a checked-out session without a sandbox the one just created for it; false when the
     * session was closed meanwhile (the tool closed), and the caller must close the sandbox.
     */
    boolean adopt(Session session, Sandbox sandbox) {
        synchronized (lock) {
            if (session.sandboxClosed) {
                return false;
            }
            session.sandbox = sandbox;
            return true;
        }
    }

    /** Whether the session was reset, replaced, evicted or closed since it was checked out. */
    boolean isRemoved(Session session) {
        synchronized (lock) {
            return session.removed;
        }
    }

    /**
     * Records that the caller now owns a checked-out session (it holds its {@link Session#lock})
     * and is about to start an execution in it: from now on {@link #cancel} reaches the call.
     */
    void starting(Session session) {
        synchronized (lock) {
            session.starting = true;
            session.cancelRequested = false;
        }
    }

    /**
     * Whether {@link #cancel} came since {@link #starting}: the caller checks just before starting
     * the execution, and does not start it when it did (then calls {@link #abandoned}).
     */
    boolean cancelRequested(Session session) {
        synchronized (lock) {
            return session.cancelRequested;
        }
    }

    /**
     * Records that an execution started in a checked-out session (the caller holds its {@link
     * Session#lock}), so that {@link #cancel} can stop it. A cancel that came after the caller's
     * last look at {@link #cancelRequested} stops it now.
     */
    void started(Session session, ExecutionHandle handle) {
        synchronized (lock) {
            session.running = handle;
            session.starting = false;
            if (session.cancelRequested) {
                handle.cancel(); // returns at once
            }
        }
    }

    /**
     * Records that the caller that was {@link #starting} gave up the session without starting an
     * execution (cancelled, or its sandbox could not be built): not counted as an execution.
     */
    void abandoned(Session session) {
        synchronized (lock) {
            session.starting = false;
            session.cancelRequested = false;
            session.running = null;
        }
    }

    /**
     * Records that the execution {@link #started} last ended, having used at most {@code
     * peakMemoryBytes} of memory.
     */
    void finished(Session session, long peakMemoryBytes) {
        synchronized (lock) {
            session.running = null;
            session.starting = false;
            session.cancelRequested = false;
            session.executions++;
            session.memoryBytes = peakMemoryBytes;
            session.lastCallEnded = wallClock.instant();
        }
    }

    /**
     * Cancels the call that owns the session of that id now: the execution running in it, or the
     * call that is {@link #starting} one (it then ends cancelled without running its code). Calls
     * still waiting for the session's lock are not affected. False when there is no such session,
     * or no call owns it, or its execution already ended. Does not make the session recently used.
     */
    boolean cancel(String id) {
        synchronized (lock) {
            // Not get(): in access order it would make the session recently used.
            Session session = null;
            for (Session s : sessions.values()) {
                if (s.id.equals(id)) {
                    session = s;
                    break;
                }
            }
            if (session == null) {
                return false;
            }
            ExecutionHandle handle = session.running;
            if (handle != null) {
                if (handle.isDone()) {
                    return false; // it ended; its call is on its way to finished()
                }
                // Under the lock: the handle is still this session's running one, not one that
                // ended meanwhile while a later call started. Returns at once.
                handle.cancel();
                return true;
            }
            if (session.starting) {
                session.cancelRequested = true;
                return true;
            }
            return false;
        }
    }

    /** The live sessions (expiring idle ones first), in the order they were created. */
    List<SessionInfo> snapshot() {
        List<Session> toClose = new ArrayList<>();
        List<SessionInfo> infos = new ArrayList<>();
        try {
            synchronized (lock) {
                if (closed) {
                    return List.of();
                }
                expire(clock.getAsLong(), toClose);
                List<Session> live = new ArrayList<>(sessions.values());
                live.sort(Comparator.comparingLong(s -> s.sequence));
                for (Session s : live) {
                    infos.add(
                            new SessionInfo(
                                    s.id,
                                    s.created,
                                    s.lastCallEnded,
                                    s.executions,
                                    s.memoryBytes,
                                    s.running != null || s.starting));
                }
            }
        } finally {
            closeAll(toClose);
        }
        return infos;
    }

    /** Ends a use of a session; closes it if it was removed meanwhile and nobody else uses it. */
    void checkIn(Session session) {
        boolean close;
        synchronized (lock) {
            session.busy--;
            session.lastUsedNanos = clock.getAsLong();
            if (!session.removed) {
                sessions.get(session.id); // the most recently used again
            }
            close = closeIfDone(session);
        }
        if (close) {
            closeSandbox(session);
        }
    }

    /**
     * Puts a session with an existing sandbox under {@code id}, replacing (and closing once idle)
     * one of that id.
     *
     * @throws PoolExhaustedException every one of {@code maxSessions} sessions is busy; the sandbox
     *     is closed
     */
    void put(String id, Sandbox sandbox) {
        List<Session> toClose = new ArrayList<>();
        try {
            synchronized (lock) {
                if (closed) {
                    sandbox.close();
                    throw new IllegalStateException("the tool is closed");
                }
                long now = clock.getAsLong();
                expire(now, toClose);
                Session old = sessions.remove(id);
                if (old != null) {
                    markRemoved(old, toClose);
                }
                try {
                    makeRoom(toClose);
                } catch (PoolExhaustedException full) {
                    sandbox.close();
                    throw full;
                }
                sessions.put(id, newSession(id, sandbox, now));
            }
        } finally {
            closeAll(toClose);
        }
    }

    /**
     * Removes the session (if it is still the one under its id); its sandbox is closed now if it is
     * idle, else when the last caller checks it in. False when it was not there.
     */
    boolean remove(Session session) {
        List<Session> toClose = new ArrayList<>();
        boolean removed;
        synchronized (lock) {
            removed = sessions.remove(session.id, session);
            if (removed) {
                markRemoved(session, toClose);
            }
        }
        closeAll(toClose);
        return removed;
    }

    /**
     * Removes the session of that id, as {@link #remove(Session)} does; false when there is none.
     */
    boolean remove(String id) {
        Session session;
        synchronized (lock) {
            session = sessions.get(id);
        }
        return session != null && remove(session);
    }

    boolean contains(String id) {
        List<Session> toClose = new ArrayList<>();
        try {
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                expire(clock.getAsLong(), toClose);
                // Not get(): asking must not make a session recently used.
                return sessions.containsKey(id);
            }
        } finally {
            closeAll(toClose);
        }
    }

    int size() {
        List<Session> toClose = new ArrayList<>();
        try {
            synchronized (lock) {
                expire(clock.getAsLong(), toClose);
                return sessions.size();
            }
        } finally {
            closeAll(toClose);
        }
    }

    /** Closes the sessions idle past the TTL (what the tool's cleaner thread runs). */
    void expireIdle() {
        List<Session> toClose = new ArrayList<>();
        synchronized (lock) {
            expire(clock.getAsLong(), toClose);
        }
        closeAll(toClose);
    }

    /**
     * Closes every session, busy ones included (their executions end as the sandbox closes), and
     * refuses new ones. Idempotent.
     */
    void close() {
        List<Session> toClose = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            for (Session session : sessions.values()) {
                session.removed = true;
                if (!session.sandboxClosed) {
                    session.sandboxClosed = true;
                    toClose.add(session);
                }
            }
            sessions.clear();
        }
        closeAll(toClose);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the tool is closed");
        }
    }

    /** Removes the idle sessions unused for longer than the TTL. Holding the lock. */
    private void expire(long now, List<Session> toClose) {
        Iterator<Session> eldestFirst = sessions.values().iterator();
        while (eldestFirst.hasNext()) {
            Session session = eldestFirst.next();
            if (session.busy > 0) {
                continue; // in use: it is touched again when checked in
            }
            if (now - session.lastUsedNanos < ttlNanos) {
                break; // every later session was used more recently
            }
            eldestFirst.remove();
            markRemoved(session, toClose);
        }
    }

    /** Evicts the least recently used idle session if the store is full. Holding the lock. */
    private void makeRoom(List<Session> toClose) {
        if (sessions.size() < maxSessions) {
            return;
        }
        Iterator<Session> eldestFirst = sessions.values().iterator();
        while (eldestFirst.hasNext()) {
            Session session = eldestFirst.next();
            if (session.busy == 0) {
                eldestFirst.remove();
                markRemoved(session, toClose);
                return;
            }
        }
        throw new PoolExhaustedException(
                "all "
                        + maxSessions
                        + " sessions are running code, so none can be evicted for a new one; retry"
                        + " later, or raise maxSessions");
    }

    private void markRemoved(Session session, List<Session> toClose) {
        session.removed = true;
        if (closeIfDone(session)) {
            toClose.add(session);
        }
    }

    /** Whether the caller must close this session's sandbox now. Holding the lock. */
    private static boolean closeIfDone(Session session) {
        if (session.removed && session.busy == 0 && !session.sandboxClosed) {
            session.sandboxClosed = true;
            return true;
        }
        return false;
    }

    private static void closeAll(List<Session> toClose) {
        for (Session session : toClose) {
            closeSandbox(session);
        }
    }

    private static void closeSandbox(Session session) {
        Sandbox sandbox = session.sandbox;
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** For tests: the ids in LRU order, eldest first. */
    List<String> idsEldestFirst() {
        synchronized (lock) {
            return new ArrayList<>(sessions.keySet());
        }
    }
}
