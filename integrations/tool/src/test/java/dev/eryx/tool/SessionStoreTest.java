package dev.eryx.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.pool.PoolExhaustedException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The LRU and TTL bookkeeping, on a clock the test moves (sessions without sandboxes). */
class SessionStoreTest {
    private final AtomicLong now = new AtomicLong();
    private final SessionStore store = new SessionStore(2, 100, now::get);

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
}
