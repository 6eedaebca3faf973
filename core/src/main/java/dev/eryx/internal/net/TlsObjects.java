package dev.eryx.internal.net;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The TLS engines of NET_TLS_OBJECT (the guest's {@code ssl.SSLObject}), by id. Guest thread only.
 * Ids are never reused within a sandbox, so a stale id from a rolled-back execution finds nothing.
 */
final class TlsObjects {
    /** One engine; what it holds is released by {@link #close()}. */
    interface Engine {
        void close();
    }

    private final Map<Long, Engine> engines = new LinkedHashMap<>();
    private long nextId = 1;
    private long firstIdOfExecution = 1;

    long add(Engine engine) {
        long id = nextId++;
        engines.put(id, engine);
        return id;
    }

    Engine get(long id) {
        return engines.get(id);
    }

    int size() {
        return engines.size();
    }

    boolean remove(long id) {
        Engine engine = engines.remove(id);
        if (engine != null) {
            engine.close();
        }
        return engine != null;
    }

    void markBegin() {
        firstIdOfExecution = nextId;
    }

    /** A rollback: engines made by the execution rolled back go. */
    void closeSinceBegin() {
        for (Iterator<Map.Entry<Long, Engine>> it = engines.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Engine> e = it.next();
            if (e.getKey() >= firstIdOfExecution) {
                it.remove();
                e.getValue().close();
            }
        }
    }

    void closeAll() {
        for (Engine engine : engines.values()) {
            engine.close();
        }
        engines.clear();
    }
}
