package dev.eryx.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.pool.PoolExhaustedException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The LRU and TTL bookkeeping, on a clock the test moves (sessions without sandboxes). */
class SessionStoreTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicLong wallMillis = new AtomicLong(1_000_000);
    private final SessionStore store =
            new SessionStore(2, 100, now::get, new TestClock(wallMillis));

    /** A wall clock the test moves. */
    private static final class TestClock extends Clock {
        private final AtomicLong millis;

        TestClock(AtomicLong millis) {
            this.millis = millis;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    /** An execution that only counts its cancels (and runs {@link #onCancel} in each). */
    private static final class CountingHandle implements ExecutionHandle {
        final AtomicInteger cancels = new AtomicInteger();
        volatile boolean done;
        volatile Runnable onCancel = () -> {};

        @Override
        public void cancel() {
            cancels.incrementAndGet();
            onCancel.run();
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public ExecutionResult get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ExecutionResult> toCompletableFuture() {
            return new CompletableFuture<>();
        }
    }

    private void use(String id) {
        store.checkIn(store.checkOut(id, true));
    }

    @Test
    void leastRecentlyUsedIdleSessionMakesRoom() {
        use("a");
        use("b");
        use("a");
        use("c");
        assertEquals(List.of("a", "c"), store.idsEldestFirst());
    }

    @Test
    void busySessionsAreNeitherEvictedNorExpired() {
        SessionStore.Session a = store.checkOut("a", true);
        use("b");
        use("c"); // evicts b, the only idle one
        assertEquals(List.of("a", "c"), store.idsEldestFirst());
        SessionStore.Session c = store.checkOut("c", true);
        assertThrows(PoolExhaustedException.class, () -> store.checkOut("d", true));
        now.addAndGet(1_000);
        assertEquals(2, store.size()); // both busy: nothing expires
        store.checkIn(a);
        store.checkIn(c);
        now.addAndGet(99);
        assertEquals(2, store.size());
        now.addAndGet(1);
        assertEquals(0, store.size());
    }

    @Test
    void expiryIsFromLastUseAndAskingDoesNotTouch() {
        use("a");
        now.set(60);
        use("b");
        now.set(99);
        assertTrue(store.contains("a"));
        now.set(100);
        assertFalse(store.contains("a"));
        assertTrue(store.contains("b"));
        now.set(160);
        store.expireIdle();
        assertEquals(List.of(), store.idsEldestFirst());
    }

    @Test
    void checkOutWithoutCreateFindsOnlyLiveSessions() {
        assertNull(store.checkOut("a", false));
        use("a");
        SessionStore.Session a = store.checkOut("a", false);
        assertSame(a, store.checkOut("a", false));
        store.checkIn(a);
        store.checkIn(a);
    }

    @Test
    void aSessionRemovedWhileBusyIsSeenAsRemoved() {
        SessionStore.Session a = store.checkOut("a", true);
        assertTrue(store.remove("a"));
        assertTrue(store.isRemoved(a));
        assertFalse(store.remove(a));
        SessionStore.Session fresh = store.checkOut("a", true);
        assertFalse(store.isRemoved(fresh));
        store.checkIn(a);
        store.checkIn(fresh);
        assertEquals(List.of("a"), store.idsEldestFirst());
    }

    @Test
    void aClosedStoreRefuses() {
        use("a");
        store.close();
        assertThrows(IllegalStateException.class, () -> store.checkOut("a", true));
        assertFalse(store.contains("a"));
        assertEquals(0, store.size());
    }

    @Test
    void cancelReachesTheRunningExecutionOnlyAndTouchesNothing() {
        SessionStore.Session a = store.checkOut("a", true);
        use("b");
        assertFalse(store.cancel("a"), "nothing started in it");
        CountingHandle handle = new CountingHandle();
        store.started(a, handle);
        assertTrue(store.cancel("a"));
        assertEquals(1, handle.cancels.get());
        assertFalse(store.cancel("b"));
        assertFalse(store.cancel("c"));
        assertEquals(List.of("a", "b"), store.idsEldestFirst(), "cancel does not count as use");
        store.finished(a, 5);
        assertFalse(store.cancel("a"));
        assertEquals(1, handle.cancels.get());
        store.checkIn(a);
    }

    @Test
    void cancelReachesTheCallAboutToStartNotTheQueuedOnes() {
        SessionStore.Session a = store.checkOut("a", true);
        SessionStore.Session queued = store.checkOut("a", true); // waits for a's lock: not it
        assertFalse(store.cancel("a"), "no call owns the session yet");
        store.starting(a);
        assertTrue(store.snapshot().get(0).running(), "about to start counts as running");
        assertFalse(store.cancelRequested(a));
        assertTrue(store.cancel("a"));
        assertTrue(store.cancelRequested(a), "the call sees it before starting and does not");
        store.abandoned(a);
        assertFalse(store.snapshot().get(0).running());
        assertEquals(0, store.snapshot().get(0).executions(), "nothing ran");
        assertFalse(store.cancel("a"), "the queued call is not affected");

        // The next owner starts afresh: the earlier cancel does not carry over.
        store.starting(queued);
        assertFalse(store.cancelRequested(queued));
        // A cancel between the call's last look and its start stops the execution at once.
        assertTrue(store.cancel("a"));
        CountingHandle handle = new CountingHandle();
        store.started(queued, handle);
        assertEquals(1, handle.cancels.get());
        store.finished(queued, 1);
        assertFalse(store.cancel("a"));
        assertFalse(store.snapshot().get(0).running());
        store.checkIn(a);
        store.checkIn(queued);
    }

    @Test
    void cancelLeavesAnEndedExecutionAlone() {
        SessionStore.Session a = store.checkOut("a", true);
        store.starting(a);
        CountingHandle handle = new CountingHandle();
        store.started(a, handle);
        handle.done = true; // ended; its call has not reached finished() yet
        assertFalse(store.cancel("a"), "nothing runs any more");
        assertEquals(0, handle.cancels.get());
        store.finished(a, 1);
        store.checkIn(a);
    }

    @Test
    void cancelStopsTheHandleWhileItIsStillTheRunningOne() throws Exception {
        SessionStore.Session a = store.checkOut("a", true);
        store.starting(a);
        CountingHandle handle = new CountingHandle();
        AtomicBoolean finishedDuringCancel = new AtomicBoolean(true);
        Thread[] finisher = new Thread[1];
        handle.onCancel =
                () -> {
                    // The call ending (and another starting) must wait until cancel is done.
                    finisher[0] = new Thread(() -> store.finished(a, 1));
                    finisher[0].start();
                    try {
                        finisher[0].join(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    finishedDuringCancel.set(!finisher[0].isAlive());
                };
        store.started(a, handle);
        assertTrue(store.cancel("a"));
        assertFalse(finishedDuringCancel.get(), "cancel holds the store's lock");
        finisher[0].join(10_000);
        assertEquals(1, store.snapshot().get(0).executions());
        store.checkIn(a);
    }

    @Test
    void snapshotDescribesSessionsInCreationOrder() {
        use("a");
        wallMillis.addAndGet(10);
        SessionStore.Session b = store.checkOut("b", true);
        use("a"); // the most recently used: the snapshot's order is still creation order
        store.started(b, new CountingHandle());
        List<SessionInfo> running = store.snapshot();
        assertEquals(
                List.of("a", "b"),
                running.stream().map(SessionInfo::id).collect(Collectors.toList()));
        assertEquals(Instant.ofEpochMilli(1_000_000), running.get(0).created());
        assertEquals(running.get(0).created(), running.get(0).lastUsed(), "no call ended in a");
        assertEquals(0, running.get(0).executions());
        assertFalse(running.get(0).running());
        assertTrue(running.get(1).running());
        assertEquals(0, running.get(1).executions());

        wallMillis.addAndGet(25);
        store.finished(b, 4096);
        store.checkIn(b);
        SessionInfo done = store.snapshot().get(1);
        assertFalse(done.running());
        assertEquals(1, done.executions());
        assertEquals(4096, done.memoryBytes());
        assertEquals(Instant.ofEpochMilli(1_000_010), done.created());
        assertEquals(Instant.ofEpochMilli(1_000_035), done.lastUsed());

        now.addAndGet(100);
        assertEquals(List.of(), store.snapshot(), "idle past the TTL: expired");
        use("c");
        store.close();
        assertEquals(List.of(), store.snapshot());
    }
}
