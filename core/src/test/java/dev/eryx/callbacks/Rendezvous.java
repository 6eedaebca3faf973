package dev.eryx.callbacks;

import dev.eryx.Callback;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Callbacks that each count themselves in and return only once all of them have started. Run in
 * sequence, the first would wait for the others in vain; so a gather of them that returns proves
 * they ran concurrently, without measuring time (which a loaded machine makes unreliable).
 */
final class Rendezvous {
    /** Generous: only a broken (sequential) dispatch waits this long. */
    private static final long TIMEOUT_SECONDS = 20;

    private final CountDownLatch started;

    Rendezvous(int parties) {
        this.started = new CountDownLatch(parties);
    }

    /** A callback that answers its own name once every party has started. */
    Callback callback(String name) {
        return Callback.of(
                name,
                "waits for the others, then answers " + name,
                args -> {
                    started.countDown();
                    try {
                        if (!started.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                            throw new IllegalStateException(name + " ran without the others");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(name + " was interrupted", e);
                    }
                    return name;
                });
    }

    /** Parties that have not started yet; 0 once all met. */
    long missing() {
        return started.getCount();
    }
}
